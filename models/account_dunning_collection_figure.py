from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.tools import SQL

# How many months back the figures go, the current one included.
FIGURE_MONTHS = 24


class AccountDunningCollectionFigure(models.Model):
    """The collection figures of a company per month, in its currency, read live
    from the journal items (definitions of the Credit Research Foundation; see
    README, "Collection figures"):

    - DSO = ending AR / credit sales of the month * days in the month;
    - best possible DSO = ending current AR / credit sales * days;
    - average days delinquent = DSO - best possible DSO;
    - CEI = (beginning AR + credit sales - ending AR)
            / (beginning AR + credit sales - ending current AR) * 100.

    AR at a date is the balance of the receivable journal items dated up to it;
    the current AR is what was still open that day of the invoices not yet due,
    reconciliations counting from the day both items existed (max_date)."""

    _name = "account.dunning.collection.figure"
    _description = "Collection Figures per Month"
    _auto = False
    _order = "date desc, company_id"
    _rec_name = "date"
    # Flushed before the figures are read.
    _depends = {
        "account.move.line": [
            "move_id",
            "company_id",
            "account_id",
            "date",
            "date_maturity",
            "balance",
            "parent_state",
        ],
        "account.move": ["move_type"],
        "account.partial.reconcile": ["debit_move_id", "amount", "max_date"],
        "account.account": ["account_type"],
        "account.dunning.promise": ["company_id", "date", "state"],
        "res.company": ["currency_id"],
    }

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    days = fields.Integer(readonly=True, aggregator=None)
    ar_begin = fields.Monetary(string="Beginning AR", readonly=True, aggregator=None)
    ar_end = fields.Monetary(string="Ending AR", readonly=True, aggregator=None)
    ar_current_end = fields.Monetary(
        string="Ending Current AR",
        readonly=True,
        aggregator=None,
        help="What was still open at the end of the month of the invoices not due yet.",
    )
    credit_sales = fields.Monetary(
        readonly=True, help="Customer invoices less credit notes dated in the month."
    )
    dso = fields.Float(
        string="DSO",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days sales outstanding: ending AR / credit sales × days in the month.",
    )
    best_dso = fields.Float(
        string="Best Possible DSO",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Ending current AR / credit sales × days in the month: the DSO if no one paid late.",
    )
    add = fields.Float(
        string="Average Days Delinquent",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="DSO less the best possible DSO.",
    )
    cei = fields.Float(
        string="CEI (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Collection effectiveness index: (beginning AR + credit sales - ending AR) / "
        "(beginning AR + credit sales - ending current AR) × 100; 100 collects all that "
        "could be.",
    )
    promise_settled_count = fields.Integer(
        string="Promises Due", readonly=True, help="Promises due in the month, now settled."
    )
    promise_kept_count = fields.Integer(string="Promises Kept", readonly=True)
    promise_kept_rate = fields.Float(
        string="Promise-kept Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT figure.*,
                   figure.ar_end / NULLIF(figure.credit_sales, 0) * figure.days AS dso,
                   figure.ar_current_end / NULLIF(figure.credit_sales, 0) * figure.days
                       AS best_dso,
                   (figure.ar_end - figure.ar_current_end) / NULLIF(figure.credit_sales, 0)
                       * figure.days AS add,
                   (figure.ar_begin + figure.credit_sales - figure.ar_end)
                       / NULLIF(figure.ar_begin + figure.credit_sales - figure.ar_current_end, 0)
                       * 100 AS cei,
                   100.0 * figure.promise_kept_count / NULLIF(figure.promise_settled_count, 0)
                       AS promise_kept_rate
              FROM (%s) figure
            """,
            self._get_months_sql(),
        )

    def _get_months_sql(self):
        """One row per company and month, with its AR, current AR, credit sales and
        settled promises."""
        first = fields.Date.context_today(self).replace(day=1)
        return SQL(
            """
            SELECT company.id * 100000 + (EXTRACT(YEAR FROM month.date) * 12
                                          + EXTRACT(MONTH FROM month.date))::int AS id,
                   month.date::date AS date, company.id AS company_id,
                   company.currency_id,
                   ((month.date + INTERVAL '1 month')::date - month.date::date) AS days,
                   COALESCE(ar.ar_begin, 0) AS ar_begin, COALESCE(ar.ar_end, 0) AS ar_end,
                   COALESCE(ar.credit_sales, 0) AS credit_sales,
                   COALESCE(current_ar.amount, 0) AS ar_current_end,
                   COALESCE(promise.settled, 0) AS promise_settled_count,
                   COALESCE(promise.kept, 0) AS promise_kept_count
              FROM res_company company
        CROSS JOIN generate_series(%(since)s::date, %(first)s::date, INTERVAL '1 month') month
         LEFT JOIN LATERAL (%(ar)s) ar ON TRUE
         LEFT JOIN LATERAL (%(current_ar)s) current_ar ON TRUE
         LEFT JOIN LATERAL (%(promise)s) promise ON TRUE
            """,
            since=first - relativedelta(months=FIGURE_MONTHS - 1),
            first=first,
            ar=self._get_ar_sql(),
            current_ar=self._get_current_ar_sql(),
            promise=self._get_promise_sql(),
        )

    def _get_receivable_sql(self):
        """The posted receivable journal items."""
        return SQL(
            """
            SELECT line.id, line.company_id, line.date, line.date_maturity, line.balance,
                   move.move_type
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
              JOIN account_account account ON account.id = line.account_id
             WHERE line.parent_state = 'posted' AND account.account_type = 'asset_receivable'
            """
        )

    def _get_ar_sql(self):
        """Of a month (`month`, `company`): the AR before it and at its end, and its
        credit sales (customer invoices less credit notes)."""
        return SQL(
            """
            SELECT SUM(r.balance) FILTER (WHERE r.date < month.date) AS ar_begin,
                   SUM(r.balance) AS ar_end,
                   SUM(r.balance) FILTER (WHERE r.date >= month.date
                                            AND r.move_type IN ('out_invoice', 'out_refund'))
                       AS credit_sales
              FROM (%s) r
             WHERE r.company_id = company.id
               AND r.date < month.date + INTERVAL '1 month'
            """,
            self._get_receivable_sql(),
        )

    def _get_current_ar_sql(self):
        """Of a month: what was open at its end of the customer invoices not yet due
        then: their receivable items less what was reconciled with them by then."""
        return SQL(
            """
            SELECT SUM(r.balance - COALESCE((
                       SELECT SUM(partial.amount)
                         FROM account_partial_reconcile partial
                        WHERE partial.debit_move_id = r.id
                          AND partial.max_date < month.date + INTERVAL '1 month'), 0)) AS amount
              FROM (%s) r
             WHERE r.company_id = company.id AND r.move_type = 'out_invoice'
               AND r.date < month.date + INTERVAL '1 month'
               AND r.date_maturity >= month.date + INTERVAL '1 month'
            """,
            self._get_receivable_sql(),
        )

    def _get_promise_sql(self):
        """Of a month: the promises due in it that are settled, and those kept."""
        return SQL(
            """
            SELECT COUNT(*) FILTER (WHERE pr.state IN ('kept', 'partial', 'broken')) AS settled,
                   COUNT(*) FILTER (WHERE pr.state = 'kept') AS kept
              FROM account_dunning_promise pr
             WHERE pr.company_id = company.id
               AND pr.date >= month.date AND pr.date < month.date + INTERVAL '1 month'
            """
        )
