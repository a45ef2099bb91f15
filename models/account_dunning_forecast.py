from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .account_dunning_behaviour import RISK_CLASSES

# How many weeks the forecast looks back (collected) and the filters look ahead.
FORECAST_WEEKS = 13
FORECAST_SOURCES = [
    ("plan", "Payment Plan"),
    ("promise", "Promise to Pay"),
    ("history", "Payment History"),
    ("default", "New Customer"),
]


class AccountDunningForecast(models.Model):
    """The cash-in forecast: one row per open customer invoice on the day it is
    expected to be paid, and one per payment of a customer invoice over the past
    13 weeks, so that what was forecast can be judged against what came in."""

    _name = "account.dunning.forecast"
    _description = "Cash-in Forecast"
    _auto = False
    _rec_name = "move_id"
    _order = "date, id"
    # Flushed before the forecast is read.
    _depends = {
        "account.move": [
            "company_id",
            "commercial_partner_id",
            "currency_id",
            "amount_residual",
            "amount_residual_signed",
            "dunning_date_due",
            "dunning_promise_date",
            "dunning_plan_active",
            "dunning_awaits_order",
            "move_type",
            "state",
            "payment_state",
            "origin_payment_id",
            "statement_line_id",
        ],
        "account.move.line": ["move_id", "date", "partner_id"],
        "account.partial.reconcile": [
            "debit_move_id",
            "credit_move_id",
            "amount",
            "debit_amount_currency",
        ],
        "account.dunning.payment.plan": ["state"],
        "account.dunning.payment.plan.installment": ["plan_id", "date", "sequence", "state"],
        "account.dunning.behaviour": ["company_id", "partner_id", "days_late_avg", "risk"],
        "res.company": ["currency_id", "dunning_new_customer_delay"],
    }

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    kind = fields.Selection(
        selection=[("forecast", "Forecast"), ("collected", "Collected")],
        readonly=True,
        help="Forecast: an open invoice on the day it is expected to be paid. Collected: a "
        "payment of a customer invoice over the past 13 weeks.",
    )
    move_id = fields.Many2one(comodel_name="account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    company_currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    date = fields.Date(
        string="Expected Date",
        readonly=True,
        help="Forecast: the next installment of the invoice's payment plan, else its open "
        "promise, else its due date plus the customer's average days late (the company's "
        "delay for new customers); never before today. Collected: the payment's date.",
    )
    week = fields.Date(readonly=True, help="The Monday of the date's week.")
    date_due = fields.Date(string="Due Date", readonly=True)
    source = fields.Selection(selection=FORECAST_SOURCES, readonly=True)
    risk = fields.Selection(selection=RISK_CLASSES, string="Risk Class", readonly=True)
    amount = fields.Monetary(currency_field="company_currency_id", readonly=True)
    amount_currency = fields.Monetary(
        string="Amount in Currency", currency_field="currency_id", readonly=True
    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        # Ids: even for invoices, odd for payments, so both kinds share one sequence.
        return SQL("(%s) UNION ALL (%s)", self._get_forecast_sql(), self._get_collected_sql())

    def _get_open_invoices_sql(self):
        """The open invoices as account.move defines them, in SQL."""
        Move = self.env["account.move"]
        return Move._where_calc(Move._get_dunning_open_invoice_domain()).select(
            SQL(
                """
                account_move.id, account_move.company_id, account_move.commercial_partner_id,
                account_move.currency_id, account_move.amount_residual,
                account_move.amount_residual_signed, account_move.dunning_date_due,
                account_move.dunning_promise_date, account_move.dunning_plan_active
                """
            )
        )

    def _get_forecast_sql(self):
        """One row per open invoice on its expected date: the plan's next installment,
        else the open promise, else the due date plus the customer's average days late
        (the company's delay for a customer without history). What is late is
        expected today at the earliest."""
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT m.id * 2 AS id, 'forecast' AS kind, m.id AS move_id,
                   m.commercial_partner_id AS partner_id, m.company_id,
                   company.currency_id AS company_currency_id, m.currency_id,
                   expected.date, date_trunc('week', expected.date)::date AS week,
                   m.dunning_date_due AS date_due, expected.source,
                   COALESCE(behaviour.risk, 'new') AS risk,
                   m.amount_residual_signed AS amount, m.amount_residual AS amount_currency
              FROM (%(moves)s) m
              JOIN res_company company ON company.id = m.company_id
         LEFT JOIN account_dunning_behaviour behaviour
                ON behaviour.company_id = m.company_id
               AND behaviour.partner_id = m.commercial_partner_id
         LEFT JOIN LATERAL (%(installment)s) installment ON TRUE
         CROSS JOIN LATERAL (
                SELECT GREATEST(%(today)s::date, COALESCE(
                           installment.date,
                           m.dunning_promise_date,
                           m.dunning_date_due + ROUND(COALESCE(
                               behaviour.days_late_avg,
                               company.dunning_new_customer_delay, 0))::int)) AS date,
                       CASE WHEN installment.date IS NOT NULL THEN 'plan'
                            WHEN m.dunning_promise_date IS NOT NULL THEN 'promise'
                            WHEN behaviour.id IS NOT NULL THEN 'history'
                            ELSE 'default' END AS source
                ) expected
            """,
            moves=self._get_open_invoices_sql(),
            installment=self._get_installment_sql(),
            today=today,
        )

    def _get_installment_sql(self):
        """Of an invoice (`m`): the next unpaid installment of its active payment plan."""
        return SQL(
            """
            SELECT MIN(inst.date) AS date
              FROM account_dunning_payment_plan_move_rel rel
              JOIN account_dunning_payment_plan plan ON plan.id = rel.plan_id
              JOIN account_dunning_payment_plan_installment inst ON inst.plan_id = plan.id
             WHERE m.dunning_plan_active AND rel.move_id = m.id AND plan.state = 'active'
               AND inst.state != 'paid'
            """
        )

    def _get_collected_sql(self):
        """One row per payment of a customer invoice over the past 13 weeks."""
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT payment.id * 2 + 1 AS id, 'collected' AS kind, payment.move_id,
                   payment.partner_id, payment.company_id,
                   company.currency_id AS company_currency_id, payment.currency_id,
                   payment.date, date_trunc('week', payment.date)::date AS week,
                   payment.date_due, NULL AS source, COALESCE(behaviour.risk, 'new') AS risk,
                   payment.amount, payment.amount_currency
              FROM (%(payments)s) payment
              JOIN res_company company ON company.id = payment.company_id
         LEFT JOIN account_dunning_behaviour behaviour
                ON behaviour.company_id = payment.company_id
               AND behaviour.partner_id = payment.partner_id
            """,
            payments=self._get_payments_sql(
                today - timedelta(days=today.weekday(), weeks=FORECAST_WEEKS), today
            ),
        )

    @api.model
    def _get_payments_sql(self, date_from, date_to):
        """The payments of customer invoices dated from `date_from` to `date_to`: one
        row per reconciliation of an invoice's receivable item with a payment's or a
        bank statement line's (id, move_id, partner_id, company_id, currency_id, date,
        date_due, amount in the company's currency, amount_currency in the invoice's).
        Credit notes are not cash and do not count. The collector figures read it too."""
        return SQL(
            """
            SELECT partial.id, invoice.id AS move_id,
                   invoice.commercial_partner_id AS partner_id, invoice.company_id,
                   invoice.currency_id, payment_line.date,
                   invoice.invoice_date_due AS date_due, partial.amount,
                   partial.debit_amount_currency AS amount_currency
              FROM account_partial_reconcile partial
              JOIN account_move_line invoice_line ON invoice_line.id = partial.debit_move_id
              JOIN account_move invoice ON invoice.id = invoice_line.move_id
              JOIN account_move_line payment_line ON payment_line.id = partial.credit_move_id
              JOIN account_move payment ON payment.id = payment_line.move_id
             WHERE invoice.move_type = 'out_invoice' AND invoice.state = 'posted'
               AND payment.state = 'posted'
               AND (payment.origin_payment_id IS NOT NULL
                    OR payment.statement_line_id IS NOT NULL)
               AND payment_line.date >= %(date_from)s AND payment_line.date <= %(date_to)s
            """,
            date_from=date_from,
            date_to=date_to,
        )
