from odoo import fields, models
from odoo.tools import SQL


class AccountDunningBehaviourInvoice(models.Model):
    """Each customer invoice paid in full, with the day it was fully paid and how
    many days late that was: what a customer's payment behaviour is learnt from,
    and the chart of its days late per month."""

    _name = "account.dunning.behaviour.invoice"
    _description = "Paid Invoice Lateness"
    _auto = False
    _rec_name = "move_id"
    _order = "date_paid desc, id desc"
    _depends = {
        "account.move": [
            "company_id",
            "commercial_partner_id",
            "move_type",
            "state",
            "payment_state",
            "invoice_date_due",
            "amount_total_signed",
        ],
        "account.move.line": ["move_id", "display_type"],
        "account.partial.reconcile": ["debit_move_id", "max_date"],
    }

    move_id = fields.Many2one(comodel_name="account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    invoice_date_due = fields.Date(string="Due Date", readonly=True)
    date_paid = fields.Date(string="Paid On", readonly=True)
    days_late = fields.Integer(readonly=True, aggregator="avg")
    amount = fields.Monetary(string="Total", readonly=True)

    @property
    def _table_query(self):
        return self._get_paid_invoices_sql()

    def _get_paid_invoices_sql(self):
        """The paid invoices as the deposit rules define them
        (sale.deposit.rule._get_paid_invoice_domain), each with the day it was fully
        paid: the latest reconciliation of its receivable lines, by a payment or a
        credit note; days late: that day less the due date, never below 0."""
        Move = self.env["account.move"]
        paid = Move._where_calc(self.env["sale.deposit.rule"]._get_paid_invoice_domain())
        return SQL(
            """
            SELECT invoice.id, invoice.id AS move_id, invoice.company_id,
                   invoice.commercial_partner_id AS partner_id, invoice.invoice_date_due,
                   last.date AS date_paid,
                   GREATEST(last.date - invoice.invoice_date_due, 0) AS days_late,
                   invoice.amount_total_signed AS amount
              FROM (%s) invoice
              JOIN LATERAL (
                    SELECT MAX(partial.max_date) AS date
                      FROM account_move_line line
                      JOIN account_partial_reconcile partial ON partial.debit_move_id = line.id
                     WHERE line.move_id = invoice.id AND line.display_type = 'payment_term'
                   ) last ON last.date IS NOT NULL
            """,
            paid.select(
                SQL(
                    "account_move.id, account_move.company_id, account_move.commercial_partner_id,"
                    " account_move.invoice_date_due, account_move.amount_total_signed"
                )
            ),
        )
