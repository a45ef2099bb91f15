from odoo import api, fields, models

EVENT_KINDS = [
    ("notice", "Notice"),
    ("letter", "Letter Printed"),
    ("call", "Call"),
    ("promise", "Promise to Pay"),
    ("dispute", "Dispute"),
    ("plan", "Payment Plan"),
    ("escalation", "Escalation"),
    ("waiver", "Waiver"),
    ("statement", "Statement of Account"),
]
CALL_OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No Answer"),
    ("wrong_contact", "Wrong Contact"),
    ("promise", "Promise to Pay"),
    ("dispute", "Dispute"),
    ("plan_requested", "Payment Plan Requested"),
]


class AccountDunningEvent(models.Model):
    """A customer's collection history: one entry per communication or event, in
    order. Written by the server as things happen, never edited afterwards."""

    _name = "account.dunning.event"
    _description = "Collection History Entry"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, readonly=True
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", required=True, index=True, readonly=True
    )
    kind = fields.Selection(selection=EVENT_KINDS, required=True, readonly=True)
    summary = fields.Char(required=True, readonly=True)
    note = fields.Text(readonly=True)
    call_outcome = fields.Selection(selection=CALL_OUTCOMES, readonly=True)
    user_id = fields.Many2one(
        comodel_name="res.users", string="By", default=lambda self: self.env.user, readonly=True
    )
    notice_id = fields.Many2one(
        comodel_name="account.dunning.notice", index="btree_not_null", readonly=True
    )
    email_state = fields.Selection(related="notice_id.email_state", string="Email")
    promise_id = fields.Many2one(comodel_name="account.dunning.promise", readonly=True)
    dispute_id = fields.Many2one(comodel_name="account.dunning.dispute", readonly=True)
    plan_id = fields.Many2one(comodel_name="account.dunning.payment.plan", readonly=True)
    attachment_id = fields.Many2one(
        comodel_name="ir.attachment", string="Document", readonly=True, ondelete="set null"
    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _record(self, vals_list):
        """Add entries to the history: the only way in."""
        for vals in vals_list:
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id
            vals.setdefault("company_id", self.env.company.id)
            vals.setdefault("user_id", self.env.user.id)
        # sudo: the history is a record of what happened, which no user writes by hand.
        return self.sudo().create(vals_list)
