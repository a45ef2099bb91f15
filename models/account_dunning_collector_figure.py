from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.tools import SQL

from .account_dunning_collection_figure import FIGURE_MONTHS

# A payment counts for a collector who called the customer or took its promise in
# the 14 days before it (that day included).
COLLECTOR_WINDOW_DAYS = 14


class AccountDunningCollectorFigure(models.Model):
    """What each collector did per company and month: calls logged, promises taken
    and how many were kept, and the payments of their customers' invoices that came
    in within 14 days after one of their calls or promises (a payment counts for
    each collector who acted in those days)."""

    _name = "account.dunning.collector.figure"
    _description = "Collector Figures per Month"
    _auto = False
    _order = "date desc, company_id, user_id"
    _rec_name = "user_id"
    # Flushed before the figures are read.
    _depends = {
        "account.dunning.event": ["company_id", "partner_id", "user_id", "kind", "date"],
        "account.dunning.promise": ["company_id", "partner_id", "user_id", "state"],
        "account.move": ["move_type", "state", "origin_payment_id", "statement_line_id"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "amount"],
        "res.company": ["currency_id"],
    }

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    user_id = fields.Many2one(comodel_name="res.users", string="Collector", readonly=True)
    call_count = fields.Integer(string="Calls Logged", readonly=True)
    promise_count = fields.Integer(string="Promises Taken", readonly=True)
    promise_kept_count = fields.Integer(string="Promises Kept", readonly=True)
    amount_collected = fields.Monetary(
        string="Collected After Action",
        readonly=True,
        help="Payments of the customer's invoices within 14 days after the collector's call "
        "or promise taken, in the company's currency.",
    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        since = today.replace(day=1) - relativedelta(months=FIGURE_MONTHS - 1)
        return SQL(
            """
            WITH action AS (%(actions)s),
                 collected AS (
                SELECT payment.company_id, who.user_id,
                       date_trunc('month', payment.date)::date AS date,
                       SUM(payment.amount) AS amount
                  FROM (%(payments)s) payment
                  JOIN LATERAL (
                       SELECT DISTINCT action.user_id
                         FROM action
                        WHERE action.company_id = payment.company_id
                          AND action.partner_id = payment.partner_id
                          AND action.date BETWEEN payment.date - %(window)s AND payment.date
                       ) who ON TRUE
              GROUP BY payment.company_id, who.user_id, date_trunc('month', payment.date)
            ),
                 acted AS (
                SELECT company_id, user_id, date_trunc('month', date)::date AS date,
                       COUNT(*) FILTER (WHERE kind = 'call') AS call_count,
                       COUNT(*) FILTER (WHERE kind = 'promise') AS promise_count,
                       COUNT(*) FILTER (WHERE kind = 'promise' AND kept) AS promise_kept_count
                  FROM action
                 WHERE date >= %(since)s
              GROUP BY company_id, user_id, date_trunc('month', date)
            )
            SELECT ROW_NUMBER() OVER (ORDER BY date, company_id, user_id) AS id, figure.*,
                   company.currency_id
              FROM (
                SELECT COALESCE(acted.company_id, collected.company_id) AS company_id,
                       COALESCE(acted.user_id, collected.user_id) AS user_id,
                       COALESCE(acted.date, collected.date) AS date,
                       COALESCE(acted.call_count, 0) AS call_count,
                       COALESCE(acted.promise_count, 0) AS promise_count,
                       COALESCE(acted.promise_kept_count, 0) AS promise_kept_count,
                       COALESCE(collected.amount, 0) AS amount_collected
                  FROM acted
             FULL JOIN collected ON collected.company_id = acted.company_id
                                AND collected.user_id = acted.user_id
                                AND collected.date = acted.date
                   ) figure
              JOIN res_company company ON company.id = figure.company_id
            """,
            actions=self._get_actions_sql(),
            payments=self.env["account.dunning.forecast"]._get_payments_sql(since, today),
            window=COLLECTOR_WINDOW_DAYS,
            since=since,
        )

    def _get_actions_sql(self):
        """The collectors' calls logged and promises taken (not cancelled), per day."""
        return SQL(
            """
            SELECT event.company_id, event.partner_id, event.user_id, event.date::date AS date,
                   'call' AS kind, FALSE AS kept
              FROM account_dunning_event event
             WHERE event.kind = 'call' AND event.user_id IS NOT NULL
             UNION ALL
            SELECT pr.company_id, pr.partner_id, pr.user_id, pr.create_date::date AS date,
                   'promise' AS kind, pr.state = 'kept' AS kept
              FROM account_dunning_promise pr
             WHERE pr.state != 'cancel' AND pr.user_id IS NOT NULL
            """
        )
