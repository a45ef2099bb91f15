from odoo import api, fields, models
from odoo.tools import SQL

from .account_dunning_behaviour import RISK_CLASSES, RISK_LOSS_WEIGHTS
from .mail_activity import DUNNING_CALL_TYPE

# Aging buckets: (field, days overdue from, to), both included; None is open-ended.
AGING_BUCKETS = (
    ("amount_not_due", None, 0),
    ("amount_1_30", 1, 30),
    ("amount_31_60", 31, 60),
    ("amount_61_90", 61, 90),
    ("amount_90_plus", 91, None),
)


class AccountDunningWorklist(models.Model):
    """The collector's worklist: one row per customer, company and currency with
    open items, read live from the open invoices in one grouped query."""

    _name = "account.dunning.worklist"
    _description = "Collections Worklist"
    _auto = False
    _rec_name = "partner_id"
    _order = "amount_overdue desc, partner_id"
    # Flushed before the worklist is read.
    _depends = {
        "account.move": [
            "company_id",
            "commercial_partner_id",
            "currency_id",
            "amount_residual",
            "dunning_date_due",
            "dunning_blocked",
            "dunning_promise_date",
            "dunning_disputed_amount",
            "move_type",
            "state",
            "payment_state",
            "dunning_awaits_order",
            "dunning_plan_active",
            "dunning_amount_undisputed",
        ],
        "account.dunning.move.level": ["move_id", "level_id", "next_level_date"],
        "account.dunning.notice.line": ["move_id", "dunned", "notice_id"],
        "account.dunning.payment.plan": ["partner_id", "company_id", "currency_id", "state"],
        "account.dunning.notice": ["partner_id", "company_id", "currency_id", "state"],
        "account.dunning.payment.plan.installment": [
            "plan_id",
            "date",
            "sequence",
            "amount",
            "amount_paid",
            "state",
        ],
        "account.dunning.promise": ["partner_id", "company_id", "amount", "date", "state"],
        "account.dunning.event": ["partner_id", "company_id", "date", "kind"],
        "mail.activity": ["res_model", "res_id", "date_deadline", "activity_type_id"],
        "res.partner": ["dunning_responsible_id", "dunning_credit_hold"],
        "account.move.line": [
            "account_id",
            "parent_state",
            "reconciled",
            "amount_residual_currency",
            "partner_id",
            "company_id",
            "currency_id",
        ],
        "account.dunning.level": ["sequence", "delay"],
        "account.dunning.behaviour": ["company_id", "partner_id", "risk"],
    }

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    user_id = fields.Many2one(comodel_name="res.users", string="Collector", readonly=True)
    level_id = fields.Many2one(
        comodel_name="account.dunning.level", string="Highest Level", readonly=True
    )
    credit_hold = fields.Boolean(readonly=True)
    invoice_count = fields.Integer(string="Open Invoices", readonly=True)
    amount_open = fields.Monetary(string="Open", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)
    amount_not_due = fields.Monetary(string="Not Due", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    amount_90_plus = fields.Monetary(string="Over 90 Days", readonly=True)
    amount_credits = fields.Monetary(
        string="Credits",
        readonly=True,
        help="Open credit notes and payments not applied yet: what the customer holds"
        " against its debt. Reminders ask the overdue amount less these.",
    )
    amount_overdue_net = fields.Monetary(
        string="Net Overdue",
        readonly=True,
        help="What is overdue less the customer's credits: what the next reminder asks.",
    )
    amount_disputed = fields.Monetary(
        string="Disputed",
        readonly=True,
        help="Held back by open disputes, and the open amount of blocked invoices.",
    )
    # Days are not added up when the list is grouped.
    days_overdue = fields.Integer(string="Oldest Days Overdue", readonly=True, aggregator=None)
    promise_date = fields.Date(
        string="Promised Date", readonly=True, help="The date of the open promise to pay, if any."
    )
    promise_amount = fields.Monetary(
        string="Promised", readonly=True, help="What the open promises to pay are for."
    )
    promise_broken = fields.Boolean(
        string="Broken Promise",
        readonly=True,
        help="A promise to pay of this customer was broken or partly kept since the last kept one.",
    )
    call_date = fields.Date(
        string="Call Due", readonly=True, help="Deadline of the oldest open collection call."
    )
    level_date = fields.Date(
        string="Next Level Due",
        readonly=True,
        help="When the first of the customer's invoices is due for its next dunning level.",
    )
    installment_date = fields.Date(
        string="Next Installment",
        readonly=True,
        help="Date of the next unpaid installment of the customer's active payment plan.",
    )
    installment_amount = fields.Monetary(string="Installment Due", readonly=True)
    installment_missed = fields.Boolean(
        readonly=True,
        help="An installment of the customer's active payment plan was missed.",
    )
    plan_broken = fields.Boolean(
        string="Broken Plan",
        readonly=True,
        help="The customer's last payment plan was broken.",
    )
    notice_to_check = fields.Boolean(
        readonly=True,
        help="A notice of this customer waits for its check before it is sent: its invoices "
        "stay at their level until then.",
    )
    next_action = fields.Selection(
        selection=[
            ("call", "Call"),
            ("promise", "Promise Due"),
            ("installment", "Installment Due"),
            ("level", "Next Level"),
        ],
        readonly=True,
        help="The earliest of the due call, the promise to check, the next installment and the "
        "next dunning level.",
    )
    next_action_date = fields.Date(readonly=True)
    last_contact_date = fields.Date(
        string="Last Contact",
        readonly=True,
        help="The last notice, call or statement in the customer's collection history.",
    )
    risk = fields.Selection(
        selection=RISK_CLASSES,
        string="Payment Risk",
        readonly=True,
        help="The class of the customer's payment behaviour; new without history.",
    )
    expected_loss = fields.Monetary(
        readonly=True,
        help="The net overdue times the share a customer of this risk class is expected not"
        " to pay: 2 % low, 10 % medium or new, 30 % high.",
    )
    attention = fields.Char(
        compute="_compute_attention",
        help="Why the row stands out: credit hold, a broken promise or plan, a missed"
        " installment, a notice waiting for its check.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends(
        "credit_hold", "promise_broken", "plan_broken", "installment_missed", "notice_to_check"
    )
    def _compute_attention(self):
        for row in self:
            row.attention = ", ".join(
                label
                for flag, label in (
                    (row.credit_hold, self.env._("Credit hold")),
                    (row.promise_broken, self.env._("Promise broken")),
                    (row.plan_broken, self.env._("Plan broken")),
                    (row.installment_missed, self.env._("Installment missed")),
                    (row.notice_to_check, self.env._("Notice to check")),
                )
                if flag
            )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def search_fetch(self, domain, field_names, offset=0, limit=None, order=None):
        # A row is found by id only by evaluating the whole view again; the first
        # field read later that the search did not fetch (company_id, for the
        # multi-company rule checked on read) would cost that. So fetch every
        # column with the search (search() too): one evaluation of the view per page.
        field_names = {*field_names, *(name for name, field in self._fields.items() if field.store)}
        return super().search_fetch(domain, field_names, offset=offset, limit=limit, order=order)

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_open_customer(self):
        """The customer's form on its Collections tab: open items, history, promises,
        plans, Log Call."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.partner_id.display_name,
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(self.env.ref("account_dunning.res_partner_view_form_dunning").id, "form")],
            "target": "current",
        }

    def action_log_call(self):
        """Log a call to this customer, closing its due collection call if any."""
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_dunning_log_call()

    def action_open_items(self):
        """The customer's open invoices in this row's company and currency."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open items of %(customer)s", customer=self.partner_id.name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [
                ("dunning_open", "=", True),
                ("commercial_partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("currency_id", "=", self.currency_id.id),
            ],
            "context": {"create": False},
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        # One row per customer, company and currency (_get_invoices_sql), with what
        # its credits, promises, plans, calls and history say; one method per piece.
        # Each piece is grouped once on its own and joined on the row's keys, where a
        # lookup per row (LATERAL) probed an index 2,000 times a piece at 2,000
        # customers, through every dead row left in the history tables each time.
        # Joined on their grouping keys, the pieces a query does not read are left
        # out by PostgreSQL (the count, the pivots).
        return SQL(
            """
            SELECT agg.*,
                   COALESCE(credit.amount, 0) AS amount_credits,
                   GREATEST(agg.amount_overdue - COALESCE(credit.amount, 0), 0)
                       AS amount_overdue_net,
                   promise.date AS promise_date,
                   promise.amount AS promise_amount,
                   COALESCE(broken.broken, FALSE) AS promise_broken,
                   call.date_deadline AS call_date,
                   installment.date AS installment_date,
                   installment.amount AS installment_amount,
                   COALESCE(installment.missed, FALSE) AS installment_missed,
                   COALESCE(plan.broken, FALSE) AS plan_broken,
                   held.partner_id IS NOT NULL AS notice_to_check,
                   CASE LEAST(call.date_deadline, promise.date, installment.date, agg.level_date)
                        WHEN call.date_deadline THEN 'call'
                        WHEN promise.date THEN 'promise'
                        WHEN installment.date THEN 'installment'
                        WHEN agg.level_date THEN 'level' END AS next_action,
                   LEAST(call.date_deadline, promise.date, installment.date, agg.level_date)
                       AS next_action_date,
                   contact.date::date AS last_contact_date,
                   COALESCE(behaviour.risk, 'new') AS risk,
                   GREATEST(agg.amount_overdue - COALESCE(credit.amount, 0), 0) * %(weight)s
                       AS expected_loss
              FROM (%(invoices)s) agg
         LEFT JOIN account_dunning_behaviour behaviour
                ON behaviour.company_id = agg.company_id AND behaviour.partner_id = agg.partner_id
         LEFT JOIN (%(credits)s) credit ON credit.partner_id = agg.partner_id
                                        AND credit.company_id = agg.company_id
                                        AND credit.currency_id = agg.currency_id
         LEFT JOIN (%(promise)s) promise ON promise.partner_id = agg.partner_id
                                         AND promise.company_id = agg.company_id
                                         AND promise.currency_id = agg.currency_id
         LEFT JOIN (%(broken)s) broken ON broken.partner_id = agg.partner_id
                                       AND broken.company_id = agg.company_id
         LEFT JOIN (%(installment)s) installment ON installment.partner_id = agg.partner_id
                                                 AND installment.company_id = agg.company_id
                                                 AND installment.currency_id = agg.currency_id
         LEFT JOIN (%(plan)s) plan ON plan.partner_id = agg.partner_id
                                   AND plan.company_id = agg.company_id
         LEFT JOIN (%(held)s) held ON held.partner_id = agg.partner_id
                                   AND held.company_id = agg.company_id
                                   AND held.currency_id = agg.currency_id
         LEFT JOIN (%(call)s) call ON call.partner_id = agg.partner_id
         LEFT JOIN (%(contact)s) contact ON contact.partner_id = agg.partner_id
                                         AND contact.company_id = agg.company_id
            """,
            invoices=self._get_invoices_sql(),
            credits=self._get_credits_sql(),
            promise=self._get_promise_sql(),
            broken=self._get_promise_broken_sql(),
            installment=self._get_installment_sql(),
            plan=self._get_plan_sql(),
            held=self._get_held_notice_sql(),
            call=self._get_call_sql(),
            contact=self._get_contact_sql(),
            weight=self._get_loss_weight_sql(),
        )

    def _get_loss_weight_sql(self):
        """Of a row's `behaviour`: the share of its overdue expected to be lost."""
        return SQL(
            "(CASE COALESCE(behaviour.risk, 'new') %s END)",
            SQL(" ").join(
                SQL("WHEN %s THEN %s", risk, weight) for risk, weight in RISK_LOSS_WEIGHTS.items()
            ),
        )

    def _get_open_invoices_sql(self):
        """The open invoices as account.move defines them, with whether they wait off
        the ladder (account.move._get_dunning_held_domain), in SQL."""
        Move = self.env["account.move"]
        held = Move._get_dunning_domain_sql(Move._get_dunning_held_domain())
        query = Move._where_calc(Move._get_dunning_open_invoice_domain())
        return query.select(
            SQL(
                """
                account_move.id, account_move.company_id, account_move.commercial_partner_id,
                account_move.currency_id, account_move.amount_residual,
                account_move.dunning_date_due AS invoice_date_due, account_move.dunning_blocked,
                account_move.dunning_disputed_amount, %s AS dunning_level_id,
                %s AS dunning_next_level_date, COALESCE(%s, FALSE) AS held
                """,
                Move._field_to_sql("account_move", "dunning_level_id", query),
                Move._field_to_sql("account_move", "dunning_next_level_date", query),
                held,
            )
        )

    def _get_invoices_sql(self):
        """One row per customer, company and currency: the aggregate of its open
        invoices. Its next level date is the run's own (see
        account.move.dunning_next_level_date), of the invoices nothing holds."""
        today = fields.Date.context_today(self)
        age = SQL("(%s::date - m.invoice_date_due)", today)
        buckets = SQL(", ").join(
            SQL(
                "COALESCE(SUM(m.amount_residual) FILTER (WHERE %s), 0) AS %s",
                _between(age, low, high),
                SQL.identifier(name),
            )
            for name, low, high in AGING_BUCKETS
        )
        return SQL(
            """
            SELECT MIN(m.id) AS id,
                   m.company_id,
                   m.commercial_partner_id AS partner_id,
                   m.currency_id,
                   MAX((p.dunning_responsible_id ->> m.company_id::text)::int) AS user_id,
                   BOOL_OR(COALESCE((p.dunning_credit_hold ->> m.company_id::text)::boolean,
                                    FALSE)) AS credit_hold,
                   (ARRAY_AGG(level.id ORDER BY %(level_order)s)
                        FILTER (WHERE level.id IS NOT NULL))[1] AS level_id,
                   COUNT(*) AS invoice_count,
                   SUM(m.amount_residual) AS amount_open,
                   COALESCE(SUM(m.amount_residual) FILTER (WHERE %(age)s > 0), 0)
                       AS amount_overdue,
                   %(buckets)s,
                   COALESCE(SUM(CASE WHEN m.dunning_blocked THEN m.amount_residual
                                     ELSE LEAST(COALESCE(m.dunning_disputed_amount, 0),
                                                m.amount_residual) END), 0)
                       AS amount_disputed,
                   GREATEST(MAX(%(age)s), 0) AS days_overdue,
                   MIN(m.dunning_next_level_date) FILTER (WHERE NOT m.held) AS level_date
              FROM (%(moves)s) m
              JOIN res_partner p ON p.id = m.commercial_partner_id
         LEFT JOIN account_dunning_level level ON level.id = m.dunning_level_id
          GROUP BY m.company_id, m.commercial_partner_id, m.currency_id
            """,
            level_order=self.env["account.dunning.level"]._get_ladder_order_sql(
                "level", descending=True
            ),
            age=age,
            buckets=buckets,
            moves=self._get_open_invoices_sql(),
        )

    def _get_credits_sql(self):
        """What customers hold against their debt, per company and currency: the
        credits as account.move.line defines them, in SQL."""
        MoveLine = self.env["account.move.line"]
        credit_lines = MoveLine._where_calc(MoveLine._get_dunning_credit_domain()).select(
            SQL(
                """
                account_move_line.company_id, account_move_line.partner_id,
                account_move_line.currency_id, account_move_line.amount_residual_currency
                """
            )
        )
        return SQL(
            """
            SELECT c.company_id, cp.commercial_partner_id AS partner_id, c.currency_id,
                   -SUM(c.amount_residual_currency) AS amount
              FROM (%s) c
              JOIN res_partner cp ON cp.id = c.partner_id
          GROUP BY c.company_id, cp.commercial_partner_id, c.currency_id
            """,
            credit_lines,
        )

    def _get_promise_sql(self):
        """Per customer, company and currency: the date and amount of its open promises."""
        return SQL(
            """
            SELECT pr.partner_id, pr.company_id, pr.currency_id,
                   MIN(pr.date) AS date, SUM(pr.amount) AS amount
              FROM account_dunning_promise pr
             WHERE pr.state = 'open'
          GROUP BY pr.partner_id, pr.company_id, pr.currency_id
            """
        )

    def _get_promise_broken_sql(self):
        """Per customer and company: whether its last settled promise was broken."""
        return SQL(
            """
            SELECT pr.partner_id, pr.company_id,
                   (ARRAY_AGG(pr.state ORDER BY pr.date DESC, pr.id DESC))[1]
                       IN ('broken', 'partial') AS broken
              FROM account_dunning_promise pr
             WHERE pr.state != 'cancel'
          GROUP BY pr.partner_id, pr.company_id
            """
        )

    def _get_installment_sql(self):
        """Per customer, company and currency: the next unpaid installment of its
        active payment plan."""
        return SQL(
            """
            SELECT pl.partner_id, pl.company_id, pl.currency_id,
                   (ARRAY_AGG(inst.date ORDER BY inst.date, inst.sequence, inst.id))[1] AS date,
                   (ARRAY_AGG(inst.amount - COALESCE(inst.amount_paid, 0)
                              ORDER BY inst.date, inst.sequence, inst.id))[1] AS amount,
                   BOOL_OR(inst.state = 'missed') AS missed
              FROM account_dunning_payment_plan_installment inst
              JOIN account_dunning_payment_plan pl ON pl.id = inst.plan_id
             WHERE pl.state = 'active' AND inst.state != 'paid'
          GROUP BY pl.partner_id, pl.company_id, pl.currency_id
            """
        )

    def _get_plan_sql(self):
        """Per customer and company: whether its last payment plan was broken."""
        return SQL(
            """
            SELECT pl.partner_id, pl.company_id,
                   (ARRAY_AGG(pl.state ORDER BY pl.id DESC))[1] = 'broken' AS broken
              FROM account_dunning_payment_plan pl
             WHERE pl.state IN ('active', 'completed', 'broken')
          GROUP BY pl.partner_id, pl.company_id
            """
        )

    def _get_held_notice_sql(self):
        """The customers, companies and currencies with a notice waiting for its check."""
        return SQL(
            """
            SELECT notice.partner_id, notice.company_id, notice.currency_id
              FROM account_dunning_notice notice
             WHERE notice.state = 'draft'
          GROUP BY notice.partner_id, notice.company_id, notice.currency_id
            """
        )

    def _get_call_sql(self):
        """Per customer: the deadline of its oldest open collection call."""
        return SQL(
            """
            SELECT activity.res_id AS partner_id, MIN(activity.date_deadline) AS date_deadline
              FROM mail_activity activity
             WHERE activity.res_model = 'res.partner' AND activity.activity_type_id = %s
          GROUP BY activity.res_id
            """,
            # None before the addon's data is loaded (its security rules read this view).
            self.env["ir.model.data"]._xmlid_to_res_id(DUNNING_CALL_TYPE, raise_if_not_found=False)
            or None,
        )

    def _get_contact_sql(self):
        """Per customer and company: the date of its last notice, call or statement."""
        return SQL(
            """
            SELECT event.partner_id, event.company_id, MAX(event.date) AS date
              FROM account_dunning_event event
             WHERE event.kind IN ('notice', 'call', 'statement', 'letter')
          GROUP BY event.partner_id, event.company_id
            """
        )


def _between(age, low, high):
    """SQL: `age` from `low` to `high` days, both included; None is open-ended."""
    conditions = []
    if low is not None:
        conditions.append(SQL("%s >= %s", age, low))
    if high is not None:
        conditions.append(SQL("%s <= %s", age, high))
    return SQL(" AND ").join(conditions)
