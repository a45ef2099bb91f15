from odoo import api, fields, models

from .account_dunning_notice import EMAILED_STATES

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
    ("reply", "Customer Reply"),
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
    _inherit = ["account.dunning.set.mixin"]
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
        # A run records thousands: as a set.
        return self.sudo()._insert_set(vals_list)

    @api.model
    def _record_notices(self, notices):
        """One entry per notice sent: its channels and its amount."""
        channels = {
            "email": self.env._("email"),
            "letter": self.env._("letter"),
            "post": self.env._("letter by post"),
            "sms": self.env._("text message"),
            "call": self.env._("call"),
        }
        record_only = self.env._("record only")
        vals_list = []
        for notice in notices:
            used = [
                label
                for key, label in channels.items()
                if (key == "email" and notice.email_state in EMAILED_STATES)
                or (key == "letter" and notice.letter_state in ("to_print", "printed"))
                or (key == "post" and notice.letter_state in ("to_post", "posted", "post_failed"))
                or (key == "sms" and notice.sms_state in ("pending", "sent"))
                or (key == "call" and notice.activity_id)
            ]
            vals_list.append(
                {
                    "company_id": notice.company_id.id,
                    "partner_id": notice.partner_id.id,
                    "kind": "notice",
                    "date": notice.date,
                    "notice_id": notice.id,
                    "summary": self.env._(
                        "%(notice)s, %(level)s (%(channels)s): %(amount)s",
                        notice=notice.name,
                        level=notice.level_id.name,
                        channels=", ".join(used) or record_only,
                        amount=notice.currency_id.format(notice.amount_residual),
                    ),
                }
            )
        return self._record(vals_list)

    @api.model
    def _record_letters(self, notices, kept, posted=False):
        """One entry per letter printed (or `posted`), with its PDF (`kept`: {notice
        id: attachment id})."""
        return self._record(
            [
                {
                    "company_id": notice.company_id.id,
                    "partner_id": notice.partner_id.id,
                    "kind": "letter",
                    "notice_id": notice.id,
                    "attachment_id": kept.get(notice.id, False),
                    "summary": self.env._("Letter %(notice)s posted", notice=notice.name)
                    if posted
                    else self.env._("Letter %(notice)s printed", notice=notice.name),
                }
                for notice in notices
            ]
        )

    @api.model
    def _record_statements(self, customers):
        """One entry per statement of account emailed."""
        return self._record(
            [
                {
                    "partner_id": customer.id,
                    "kind": "statement",
                    "summary": self.env._(
                        "Statement of account sent to %(email)s", email=customer.email
                    ),
                }
                for customer in customers
            ]
        )

    @api.model
    def _record_replies(self, notices, msg_dict):
        """One entry per notice a customer's email answered (`msg_dict`: the email as
        Odoo's mail gateway parsed it): who wrote, and about what."""
        summary = self.env._(
            "Reply from %(sender)s: %(subject)s",
            sender=msg_dict.get("email_from") or self.env._("unknown sender"),
            subject=msg_dict.get("subject") or self.env._("no subject"),
        )
        return self._record(
            [
                {
                    "company_id": notice.company_id.id,
                    "partner_id": notice.partner_id.id,
                    "kind": "reply",
                    "notice_id": notice.id,
                    "summary": summary,
                    # Written by the customer, not by a user of the database.
                    "user_id": False,
                }
                for notice in notices
            ]
        )
