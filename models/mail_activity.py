from odoo import fields, models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    dunning_call = fields.Boolean(
        readonly=True, help="A collection call: marking it done asks for the call's outcome."
    )

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_dunning_call_outcome(self):
        """The call outcome dialog of a collection call, else False (the web client
        then marks the activity done as usual)."""
        self.ensure_one()
        if not self.dunning_call:
            return False
        partner = self.env["res.partner"].browse(self.res_id)
        return self.env["account.dunning.call.outcome"]._get_dialog_action(
            partner, self.env.company, self
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _action_done(self, feedback=False, attachment_ids=None):
        # A collection call is done with its outcome (account.dunning.call.outcome),
        # on every path: the chatter, the activity views, RPC.
        if not self.env.context.get("dunning_call_outcome") and any(self.mapped("dunning_call")):
            raise UserError(
                self.env._("Log the outcome of this collection call: use Log Call on the customer.")
            )
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
