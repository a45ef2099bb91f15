from odoo import fields, models

RISK_CLASSES = [
    ("new", "New"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
]


class AccountDunningBehaviour(models.Model):
    """How a customer pays a company, learnt from its reconciliations over a window
    (12 months by default): one row per company and customer, refreshed by the
    daily run and after payments. Read by the risk class, the worklist, the deposit
    rules, the ladder and the cash-in forecast."""

    _name = "account.dunning.behaviour"
    _description = "Customer Payment Behaviour"
    _order = "company_id, partner_id"
    _check_company_auto = True

    company_id = fields.Many2one(comodel_name="res.company", required=True, readonly=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", required=True, index=True, readonly=True
    )
    # Weighted by amount, over the invoices paid in the window.
    days_late_avg = fields.Float(string="Average Days Late", readonly=True, digits=(16, 1))
    risk = fields.Selection(selection=RISK_CLASSES, default="new", required=True, readonly=True)
    risk_reason = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "partner_company_unique",
            "UNIQUE (company_id, partner_id)",
            "A customer has one payment behaviour per company.",
        ),
    ]
