from odoo import models
from odoo.exceptions import UserError

# The activity type of collection calls (data/mail_activity_type_data.xml).
DUNNING_CALL_TYPE = "account_dunning.mail_activity_type_dunning_call"
# The activity of a customer's reply to a reminder, for its collector.
DUNNING_REPLY_TYPE = "account_dunning.mail_activity_type_dunning_reply"


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_dunning_call_outcome(self):
        """The call outcome dialog of a collection call, else False (the web client
        then marks the activity done as usual)."""
        self.ensure_one()
        if not self._get_dunning_calls():
            return False
        partner = self.env["res.partner"].browse(self.res_id)
        return self.env["account.dunning.call.outcome"]._get_dialog_action(
            partner, self.env.company, self
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_dunning_calls(self):
        """Those of these activities that are collection calls."""
        call_type = self.env.ref(DUNNING_CALL_TYPE, raise_if_not_found=False)
        return self.filtered(lambda activity: call_type and activity.activity_type_id == call_type)

    def _action_done(self, feedback=False, attachment_ids=None):
        # A collection call is done with its outcome (account.dunning.call.outcome),
        # on every path: the chatter, the activity views, RPC.
        if not self.env.context.get("dunning_call_outcome") and self._get_dunning_calls():
            raise UserError(
                self.env._("Log the outcome of this collection call: use Log Call on the customer.")
            )
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
