from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

RISK_CLASSES = [
    ("new", "New"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
]
TRENDS = [("better", "Getting Better"), ("stable", "Stable"), ("worse", "Getting Worse")]
# The window the figures cover, back from the refresh date, and its recent part
# that the trend compares with the months before it.
WINDOW_MONTHS = 12
RECENT_MONTHS = 3
# The trend moves when the recent average days late differs from the months
# before by more than this many days.
TREND_TOLERANCE_DAYS = 5
# Share of a customer's net overdue expected to be lost, by risk class: the
# worklist's expected loss. A customer without history counts as a medium one.
RISK_LOSS_WEIGHTS = {"new": 0.10, "low": 0.02, "medium": 0.10, "high": 0.30}


class AccountDunningBehaviour(models.Model):
    """How a customer pays a company, learnt from its reconciliations over a window
    (12 months by default): one row per company and customer, refreshed by the
    daily run and after payments. Read by the risk class, the worklist, the deposit
    rules, the ladder and the cash-in forecast."""

    _name = "account.dunning.behaviour"
    _description = "Customer Payment Behaviour"
    _order = "company_id, partner_id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    company_id = fields.Many2one(comodel_name="res.company", required=True, readonly=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", required=True, index=True, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="Refreshed On", readonly=True)
    date_from = fields.Date(string="Window From", readonly=True, help="Excluded.")
    invoice_paid_count = fields.Integer(string="Invoices Paid", readonly=True)
    late_count = fields.Integer(string="Paid Late", readonly=True)
    late_share = fields.Float(string="Share Paid Late (%)", readonly=True, digits=(5, 1))
    # Weighted by amount, over the invoices paid in the window.
    days_late_avg = fields.Float(string="Average Days Late", readonly=True, digits=(16, 1))
    days_late_median = fields.Float(string="Median Days Late", readonly=True, digits=(16, 1))
    days_late_max = fields.Integer(string="Worst Days Late", readonly=True)
    days_late_recent = fields.Float(
        string="Days Late, Last 3 Months", readonly=True, digits=(16, 1)
    )
    days_late_before = fields.Float(
        string="Days Late, 9 Months Before", readonly=True, digits=(16, 1)
    )
    trend = fields.Selection(selection=TRENDS, readonly=True)
    notice_count = fields.Integer(string="Notices", readonly=True)
    notices_per_invoice = fields.Float(readonly=True, digits=(16, 2))
    promise_kept_count = fields.Integer(string="Promises Kept", readonly=True)
    promise_broken_count = fields.Integer(
        string="Promises Broken", readonly=True, help="Broken or only partly kept."
    )
    dispute_count = fields.Integer(string="Disputes", readonly=True)
    dispute_amount = fields.Monetary(string="Disputed", readonly=True)
    dispute_accepted_count = fields.Integer(string="Disputes Accepted", readonly=True)
    risk = fields.Selection(selection=RISK_CLASSES, default="new", required=True, readonly=True)
    # In the reader's language, from the stored figures and the policy's thresholds.
    risk_reason = fields.Char(compute="_compute_risk_reason")

    _sql_constraints = [
        (
            "partner_company_unique",
            "UNIQUE (company_id, partner_id)",
            "A customer has one payment behaviour per company.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("risk", "invoice_paid_count", "late_count", "days_late_avg", "trend")
    def _compute_risk_reason(self):
        for row in self:
            policy = self.env["account.dunning.policy"]._get_risk_policy(row.company_id)
            row.risk_reason = policy._get_dunning_risk(row._get_risk_figures())[1]

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_open_days_late_chart(self):
        """Days late per month of the customer's paid invoices, as a chart."""
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_dunning_days_late_chart()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_risk_figures(self):
        """The figures the policy's risk rule reads, as plain values."""
        self.ensure_one()
        return {
            "invoice_paid_count": self.invoice_paid_count,
            "late_count": self.late_count,
            "late_share": self.late_share,
            "days_late_avg": self.days_late_avg,
            "trend": self.trend,
            "promise_broken_count": self.promise_broken_count,
        }

    @api.model
    def _cron_refresh_behaviour(self):
        """After payments (triggered by reconciliations) and daily: every company."""
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].search([]):
            self._refresh(company, today)

    @api.model
    def _refresh(self, company, date):
        """Recompute the payment behaviour of every customer of `company` on `date`:
        one upsert of the figures, then the risk classes by the policy's rule."""
        for model in (
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "account.dunning.notice",
            "account.dunning.notice.line",
            "account.dunning.promise",
            "account.dunning.dispute",
        ):
            self.env[model].flush_model()
        self.flush_model()
        self.env.execute_query(self._get_refresh_sql(company, date))
        self.invalidate_model()
        self._refresh_risk(company)
        self.invalidate_model(["risk"])

    @api.model
    def _refresh_risk(self, company):
        """Class every customer of `company` by its policy's rule; rows written in
        one statement per class. The quotations of customers whose class changed
        show their deposit again."""
        policy = self.env["account.dunning.policy"]._get_risk_policy(company)
        rows = self.search([("company_id", "=", company.id)])
        by_risk = defaultdict(list)
        for row in rows:
            by_risk[policy._get_dunning_risk(row._get_risk_figures())[0]].append(row.id)
        changed = []
        for risk, ids in by_risk.items():
            changed += self.env.execute_query(
                SQL(
                    "UPDATE account_dunning_behaviour SET risk = %s"
                    " WHERE id = ANY(%s) AND risk != %s RETURNING partner_id",
                    risk,
                    ids,
                    risk,
                )
            )
        if changed:
            self.env["sale.order"]._mark_deposits_to_recompute(
                [
                    ("company_id", "=", company.id),
                    ("partner_id.commercial_partner_id", "in", [row[0] for row in changed]),
                ]
            )

    @api.model
    def _get_refresh_sql(self, company, date):
        """The upsert of the figures of `company`'s customers on `date`: those with
        a posted invoice and those already kept (their figures may fall to nothing)."""
        date_from = date - relativedelta(months=WINDOW_MONTHS)
        recent_from = date - relativedelta(months=RECENT_MONTHS)
        paid = self.env["account.dunning.behaviour.invoice"]._get_paid_invoices_sql()
        return SQL(
            """
            WITH paid AS (
                SELECT * FROM (%(paid)s) i
                 WHERE i.company_id = %(company)s
                   AND i.date_paid > %(date_from)s AND i.date_paid <= %(date)s
            ), figures AS (
                SELECT i.partner_id, COUNT(*) AS paid_count,
                       COUNT(*) FILTER (WHERE i.days_late > 0) AS late_count,
                       SUM(i.days_late * i.amount) / NULLIF(SUM(i.amount), 0) AS avg,
                       PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY i.days_late) AS median,
                       MAX(i.days_late) AS max,
                       SUM(i.days_late * i.amount) FILTER (WHERE i.date_paid > %(recent_from)s)
                         / NULLIF(SUM(i.amount) FILTER (WHERE i.date_paid > %(recent_from)s), 0)
                         AS recent,
                       SUM(i.days_late * i.amount) FILTER (WHERE i.date_paid <= %(recent_from)s)
                         / NULLIF(SUM(i.amount) FILTER (WHERE i.date_paid <= %(recent_from)s), 0)
                         AS before
                  FROM paid i
              GROUP BY i.partner_id
            ), notices AS (
                SELECT i.partner_id, COUNT(*) AS count
                  FROM paid i
                  JOIN account_dunning_notice_line nl ON nl.move_id = i.move_id
                  JOIN account_dunning_notice n ON n.id = nl.notice_id AND n.state != 'cancel'
              GROUP BY i.partner_id
            ), promises AS (
                SELECT pr.partner_id,
                       COUNT(*) FILTER (WHERE pr.state = 'kept') AS kept,
                       COUNT(*) FILTER (WHERE pr.state IN ('broken', 'partial')) AS broken
                  FROM account_dunning_promise pr
                 WHERE pr.company_id = %(company)s
                   AND pr.date > %(date_from)s AND pr.date <= %(date)s
              GROUP BY pr.partner_id
            ), disputes AS (
                SELECT d.partner_id, COUNT(*) AS count,
                       SUM(d.amount * m.amount_total_signed / NULLIF(m.amount_total, 0)) AS amount,
                       COUNT(*) FILTER (WHERE d.state = 'accepted') AS accepted
                  FROM account_dunning_dispute d
                  JOIN account_move m ON m.id = d.move_id
                 WHERE d.company_id = %(company)s
                   AND d.date > %(date_from)s AND d.date <= %(date)s
              GROUP BY d.partner_id
            ), customer AS (
                SELECT commercial_partner_id AS partner_id FROM account_move
                 WHERE company_id = %(company)s AND move_type = 'out_invoice'
                   AND state = 'posted' AND commercial_partner_id IS NOT NULL
                 UNION
                SELECT partner_id FROM account_dunning_behaviour WHERE company_id = %(company)s
            )
            INSERT INTO account_dunning_behaviour (
                company_id, partner_id, date, date_from, invoice_paid_count, late_count,
                late_share, days_late_avg, days_late_median, days_late_max, days_late_recent,
                days_late_before, trend, notice_count, notices_per_invoice, promise_kept_count,
                promise_broken_count, dispute_count, dispute_amount, dispute_accepted_count,
                risk, create_uid, create_date, write_uid, write_date)
            SELECT %(company)s, c.partner_id, %(date)s, %(date_from)s,
                   COALESCE(f.paid_count, 0), COALESCE(f.late_count, 0),
                   COALESCE(100.0 * f.late_count / f.paid_count, 0),
                   COALESCE(f.avg, 0), COALESCE(f.median, 0), COALESCE(f.max, 0),
                   COALESCE(f.recent, 0), COALESCE(f.before, 0),
                   CASE WHEN f.recent IS NULL OR f.before IS NULL THEN NULL
                        WHEN f.recent > f.before + %(tolerance)s THEN 'worse'
                        WHEN f.recent < f.before - %(tolerance)s THEN 'better'
                        ELSE 'stable' END,
                   COALESCE(n.count, 0), COALESCE(n.count::float / f.paid_count, 0),
                   COALESCE(p.kept, 0), COALESCE(p.broken, 0),
                   COALESCE(d.count, 0), COALESCE(d.amount, 0), COALESCE(d.accepted, 0),
                   'new', %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM customer c
         LEFT JOIN figures f ON f.partner_id = c.partner_id
         LEFT JOIN notices n ON n.partner_id = c.partner_id
         LEFT JOIN promises p ON p.partner_id = c.partner_id
         LEFT JOIN disputes d ON d.partner_id = c.partner_id
            ON CONFLICT (company_id, partner_id) DO UPDATE SET
                date = EXCLUDED.date, date_from = EXCLUDED.date_from,
                invoice_paid_count = EXCLUDED.invoice_paid_count,
                late_count = EXCLUDED.late_count, late_share = EXCLUDED.late_share,
                days_late_avg = EXCLUDED.days_late_avg,
                days_late_median = EXCLUDED.days_late_median,
                days_late_max = EXCLUDED.days_late_max,
                days_late_recent = EXCLUDED.days_late_recent,
                days_late_before = EXCLUDED.days_late_before, trend = EXCLUDED.trend,
                notice_count = EXCLUDED.notice_count,
                notices_per_invoice = EXCLUDED.notices_per_invoice,
                promise_kept_count = EXCLUDED.promise_kept_count,
                promise_broken_count = EXCLUDED.promise_broken_count,
                dispute_count = EXCLUDED.dispute_count,
                dispute_amount = EXCLUDED.dispute_amount,
                dispute_accepted_count = EXCLUDED.dispute_accepted_count,
                write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
            """,
            paid=paid,
            company=company.id,
            date=date,
            date_from=date_from,
            recent_from=recent_from,
            tolerance=TREND_TOLERANCE_DAYS,
            uid=self.env.uid,
        )
