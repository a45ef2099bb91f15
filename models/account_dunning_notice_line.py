from odoo import fields, models


class AccountDunningNoticeLine(models.Model):
    _name = "account.dunning.notice.line"
    _description = "Dunning Notice Line"
    _order = "notice_id, invoice_date_due, id"
    _check_company_auto = True

    notice_id = fields.Many2one(
        comodel_name="account.dunning.notice", required=True, index=True, ondelete="cascade"
    )
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="notice_id.company_id", store=True, index=True)
    # Copied from the notice when the run inserts the lines.
    currency_id = fields.Many2one(comodel_name="res.currency")
    date = fields.Date()
    partner_id = fields.Many2one(related="notice_id.partner_id")
    notice_state = fields.Selection(related="notice_id.state", string="Notice Status")
    level_id = fields.Many2one(comodel_name="account.dunning.level")
    previous_level_id = fields.Many2one(comodel_name="account.dunning.level")
    dunned = fields.Boolean(
        help="The invoice reached the notice's level with this notice; other lines only list "
        "the customer's other overdue invoices.",
    )
    amount_total = fields.Monetary(string="Original Amount")
    amount_residual = fields.Monetary(string="Amount Due")
    invoice_date = fields.Date()
    invoice_date_due = fields.Date(string="Due Date")
    days_overdue = fields.Integer()

    _sql_constraints = [
        (
            "move_level_dunned_once",
            "EXCLUDE (move_id WITH =, level_id WITH =) WHERE (dunned)",
            "An invoice can be dunned only once at each level.",
        ),
    ]
