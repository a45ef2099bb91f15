from odoo import fields, models

CHARGE_KINDS = [("fee", "Fee"), ("interest", "Interest"), ("compensation", "Compensation")]


class AccountDunningCharge(models.Model):
    """What a notice charges: a fee, the interest of one invoice over a period, or the
    statutory compensation of one invoice. The database refuses to charge the same
    invoice twice for the same level or period."""

    _name = "account.dunning.charge"
    _description = "Dunning Charge"
    _order = "notice_id, kind, move_id, period_from"

    notice_id = fields.Many2one(
        comodel_name="account.dunning.notice", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="notice_id.company_id", store=True)
    currency_id = fields.Many2one(related="notice_id.currency_id", store=True)
    kind = fields.Selection(selection=CHARGE_KINDS, required=True)
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        index=True,
        help="The overdue invoice charged for; empty for the fee of the notice.",
    )
    level_id = fields.Many2one(comodel_name="account.dunning.level")
    period_from = fields.Date()
    period_to = fields.Date()
    days = fields.Integer()
    base = fields.Monetary()
    rate = fields.Float(string="Rate (%)", digits=(6, 3))
    detail = fields.Char(help="Each period of constant base and rate, as computed.")
    amount = fields.Monetary(required=True)
    charge_move_id = fields.Many2one(
        comodel_name="account.move", string="Charge Invoice", index="btree_not_null"
    )

    _sql_constraints = [
        (
            "fee_once_per_notice",
            "EXCLUDE (notice_id WITH =) WHERE (kind = 'fee')",
            "A notice charges its fee once.",
        ),
        (
            "interest_once_per_period",
            "EXCLUDE (move_id WITH =, period_from WITH =) WHERE (kind = 'interest')",
            "The interest of an invoice is charged once for each period.",
        ),
        (
            "compensation_once_per_invoice",
            "EXCLUDE (move_id WITH =) WHERE (kind = 'compensation')",
            "The flat compensation of an invoice is charged once, ever.",
        ),
    ]
