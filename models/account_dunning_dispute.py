from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

DISPUTE_REASONS = [
    ("damaged", "Damaged Goods"),
    ("quantity", "Wrong Quantity"),
    ("price", "Wrong Price"),
    ("documents", "Documents Missing or Wrong"),
    ("not_received", "Not Received"),
    ("other", "Other"),
]
DISPUTE_STATES = [
    ("open", "Open"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn"),
]
# Written by the server alone: what the dispute came to.
DISPUTE_SERVER_FIELDS = ("state", "credit_note_id")


class AccountDunningDispute(models.Model):
    """A customer's objection to (part of) an invoice. While open, only its amount
    is held back from dunning: the rest of the invoice stays on the ladder."""

    _name = "account.dunning.dispute"
    _inherit = ["mail.thread", "account.dunning.mixin"]
    _description = "Invoice Dispute"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        index=True,
        check_company=True,
        domain=[("dunning_open", "=", True)],
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", string="Customer", store=True, index=True
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(string="Disputed Amount", required=True, tracking=True)
    reason = fields.Selection(selection=DISPUTE_REASONS, required=True, tracking=True)
    note = fields.Text(help="What the customer says, in their words.")
    attachment_ids = fields.Many2many(comodel_name="ir.attachment", string="Evidence")
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Owner",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
    )
    state = fields.Selection(
        selection=DISPUTE_STATES, default="open", required=True, readonly=True, tracking=True
    )
    answer = fields.Text(help="Our answer to the customer, required to reject the dispute.")
    credit_note_id = fields.Many2one(comodel_name="account.move", readonly=True, copy=False)

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("move_id", "amount", "reason")
    def _compute_display_name(self):
        labels = dict(self._fields["reason"]._description_selection(self.env))
        for dispute in self:
            dispute.display_name = self.env._(
                "%(invoice)s: %(amount)s (%(reason)s)",
                invoice=dispute.move_id.name,
                amount=dispute.currency_id.format(dispute.amount),
                reason=labels.get(dispute.reason, ""),
            )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("amount", "move_id", "reason")
    def _check_settled_unchanged(self):
        # What a settled dispute was about is on record (its credit note, its answer).
        if any(dispute.state != "open" for dispute in self):
            raise ValidationError(self.env._("A settled dispute cannot be changed."))

    @api.constrains("amount", "move_id", "state")
    def _check_amount(self):
        for dispute in self.filtered(lambda dispute: dispute.state == "open"):
            move = dispute.move_id
            if move.move_type != "out_invoice":
                raise ValidationError(self.env._("Only a customer invoice can be disputed."))
            held = sum(
                move.dunning_dispute_ids.filtered(lambda d: d.state == "open").mapped("amount")
            )
            currency = dispute.currency_id
            if currency.compare_amounts(dispute.amount, 0) <= 0:
                raise ValidationError(self.env._("A dispute is for a positive amount."))
            if currency.compare_amounts(held, move.amount_residual) > 0:
                raise ValidationError(
                    self.env._(
                        "%(invoice)s has %(open)s left to pay: open disputes cannot hold %(held)s.",
                        invoice=move.display_name,
                        open=currency.format(move.amount_residual),
                        held=currency.format(held),
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        disputes = super().create(vals_list)
        disputes._record_events()
        return disputes

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_accept(self):
        """The customer is right: a credit note for the disputed amount, through
        Odoo's own reversal, settles that part of the invoice."""
        self._check_open()
        for dispute in self:
            dispute._action_accept()
        return True

    def action_reject(self):
        """The customer is wrong: the answer is logged and dunning resumes."""
        self._check_open()
        missing = self.filtered(lambda dispute: not (dispute.answer or "").strip())
        if missing:
            raise UserError(self.env._("Write the answer to the customer before rejecting."))
        self._set_state("rejected")
        return True

    def action_withdraw(self):
        """The customer withdrew the dispute: dunning resumes."""
        self._check_open()
        self._set_state("withdrawn")
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _dunning_protected_fields(self):
        return set(DISPUTE_SERVER_FIELDS)

    @api.model
    def _dunning_field_group(self, field_name):
        return None

    def _check_open(self):
        self.check_access("write")
        if any(dispute.state != "open" for dispute in self):
            raise UserError(self.env._("Only an open dispute can be settled."))

    def _set_state(self, state, **vals):
        # sudo: the state is written by the server alone (DISPUTE_SERVER_FIELDS).
        self.sudo().write({"state": state, **vals})
        self._record_events()

    def _action_accept(self):
        self.ensure_one()
        move = self.move_id
        credit_note = move._reverse_moves(
            [
                {
                    "ref": self.env._("Dispute accepted: %(dispute)s", dispute=self.display_name),
                    "invoice_date": fields.Date.context_today(self),
                }
            ]
        )
        credit_note._dunning_scale_to(self.amount)
        credit_note.action_post()
        (move.line_ids | credit_note.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        ).reconcile()
        self._set_state("accepted", credit_note_id=credit_note.id)
        return credit_note

    def _get_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _record_events(self):
        self.env["account.dunning.event"]._record(
            [
                {
                    "company_id": dispute.company_id.id,
                    "partner_id": dispute.partner_id.id,
                    "kind": "dispute",
                    "dispute_id": dispute.id,
                    "summary": self.env._(
                        "Dispute %(dispute)s: %(state)s",
                        dispute=dispute.display_name,
                        state=dispute._get_state_label(),
                    ),
                    "note": dispute.answer if dispute.state == "rejected" else dispute.note,
                }
                for dispute in self
            ]
        )
