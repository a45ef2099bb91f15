from odoo import api, fields, models
from odoo.tools import SQL

from .account_dunning_worklist import AGING_BUCKETS, _between


class AccountDunningSnapshot(models.Model):
    """What customers owed a company in one currency at the end of a day: the aging
    buckets and what is held back, taken once a day by a cron and kept, so that
    the trend of the receivables can be charted."""

    _name = "account.dunning.snapshot"
    _description = "Receivables Snapshot"
    _order = "date desc, company_id, currency_id"
    _rec_name = "date"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one(comodel_name="res.company", required=True, readonly=True)
    currency_id = fields.Many2one(comodel_name="res.currency", required=True, readonly=True)
    invoice_count = fields.Integer(string="Open Invoices", readonly=True)
    amount_open = fields.Monetary(string="Open", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)
    amount_not_due = fields.Monetary(string="Not Due", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    amount_90_plus = fields.Monetary(string="Over 90 Days", readonly=True)
    amount_disputed = fields.Monetary(
        string="Disputed",
        readonly=True,
        help="Held back by open disputes, and the open amount of blocked invoices.",
    )
    amount_promised = fields.Monetary(
        string="Promised", readonly=True, help="Open amount of the invoices promised to be paid."
    )
    amount_in_plan = fields.Monetary(
        string="In Payment Plans",
        readonly=True,
        help="Open amount of the invoices in an active payment plan.",
    )

    _sql_constraints = [
        (
            "company_currency_date_unique",
            "UNIQUE (company_id, currency_id, date)",
            "A company keeps one snapshot per currency and day.",
        ),
    ]

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _cron_take_snapshot(self):
        """Take today's snapshot of every company, in one statement. Rerun-safe: a
        day that has its snapshot keeps it (the unique constraint and ON CONFLICT)."""
        self._take_snapshot(fields.Date.context_today(self))

    @api.model
    def _take_snapshot(self, date):
        Move = self.env["account.move"]
        Move.flush_model()
        self.env["account.dunning.payment.plan"].flush_model()
        age = SQL("(%s::date - m.dunning_date_due)", date)
        buckets = SQL(", ").join(
            SQL("COALESCE(SUM(m.amount_residual) FILTER (WHERE %s), 0)", _between(age, low, high))
            for _name, low, high in AGING_BUCKETS
        )
        moves = Move._where_calc(Move._get_dunning_open_invoice_domain()).select(
            SQL(
                """
                account_move.company_id, account_move.currency_id, account_move.amount_residual,
                account_move.dunning_date_due, account_move.dunning_blocked,
                account_move.dunning_disputed_amount, account_move.dunning_promise_date,
                account_move.dunning_plan_active
                """
            )
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO account_dunning_snapshot (
                       date, company_id, currency_id, invoice_count, amount_open, amount_overdue,
                       %(bucket_columns)s, amount_disputed, amount_promised, amount_in_plan,
                       create_uid, create_date, write_uid, write_date)
                SELECT %(date)s, m.company_id, m.currency_id, COUNT(*), SUM(m.amount_residual),
                       COALESCE(SUM(m.amount_residual) FILTER (WHERE %(age)s > 0), 0),
                       %(buckets)s,
                       COALESCE(SUM(CASE WHEN m.dunning_blocked THEN m.amount_residual
                                         ELSE LEAST(COALESCE(m.dunning_disputed_amount, 0),
                                                    m.amount_residual) END), 0),
                       COALESCE(SUM(m.amount_residual)
                                FILTER (WHERE m.dunning_promise_date IS NOT NULL), 0),
                       COALESCE(SUM(m.amount_residual) FILTER (WHERE m.dunning_plan_active), 0),
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM (%(moves)s) m
              GROUP BY m.company_id, m.currency_id
                    ON CONFLICT (company_id, currency_id, date) DO NOTHING
                """,
                bucket_columns=SQL(", ").join(
                    SQL.identifier(name) for name, _low, _high in AGING_BUCKETS
                ),
                date=date,
                age=age,
                buckets=buckets,
                uid=self.env.uid,
                moves=moves,
            )
        )
        self.invalidate_model()
