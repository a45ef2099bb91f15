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
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call"),
            "res_model": "account.dunning.call.outcome",
            "view_mode": "form",
            # Called by the web client's ORM service: no server-side action cleaning.
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.res_id,
                "default_activity_id": self.id,
            },
        }

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
