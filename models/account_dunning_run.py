import logging
import time
from collections import Counter, defaultdict

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.modules import module
from odoo.tools import SQL, format_date, split_every

from .account_dunning_move_level import DUNNING_LEVEL_ROW_FIELDS
from .account_dunning_notice import EMAILED_STATES

_logger = logging.getLogger(__name__)


class AccountDunningRun(models.Model):
    _name = "account.dunning.run"
    _inherit = ["account.dunning.run.queue"]
    _description = "Dunning Run"
    _order = "id desc"
    _check_company_auto = True

    # Customers handled per savepoint and per commit (and per job with queue_job).
    # 500: at 20,000 invoices, 200 cost 0.1 s more in statements per batch, and
    # 250 or 1,000 shared by two cursors were no faster (doc/benchmarks.md).
    _dunning_batch_size = 500

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    trigger = fields.Selection(
        selection=[("scheduled", "Scheduled"), ("manual", "Manual")],
        required=True,
        readonly=True,
        default="manual",
    )
    user_id = fields.Many2one(
        comodel_name="res.users", readonly=True, default=lambda self: self.env.user
    )
    state = fields.Selection(
        selection=[("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        readonly=True,
    )
    invoice_count = fields.Integer(string="Invoices Examined", readonly=True)
    # Counted from the notices and the log, so they stay true when a held notice is
    # sent by hand or an email fails later.
    notice_count = fields.Integer(string="Notices", compute="_compute_counts")
    email_count = fields.Integer(string="Emails Queued", compute="_compute_counts")
    letter_count = fields.Integer(string="Letters Queued", compute="_compute_counts")
    activity_count = fields.Integer(string="Activities", compute="_compute_counts")
    held_count = fields.Integer(
        string="Held for Review",
        compute="_compute_counts",
        help="Notices of levels that need a human check, not sent yet.",
    )
    skip_count = fields.Integer(string="Skipped", compute="_compute_counts")
    error_count = fields.Integer(string="Errors", compute="_compute_counts")
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    notice_ids = fields.One2many(
        comodel_name="account.dunning.notice", inverse_name="run_id", readonly=True
    )
    log_ids = fields.One2many(
        comodel_name="account.dunning.run.log", inverse_name="run_id", readonly=True
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("notice_ids.state", "notice_ids.email_state", "log_ids.kind")
    def _compute_counts(self):
        Notice, Log = self.env["account.dunning.notice"], self.env["account.dunning.run.log"]
        counts = defaultdict(Counter)
        notice_groups = Notice._read_group(
            [("run_id", "in", self.ids)],
            ["run_id", "state", "email_state", "letter_state", "activity_state"],
            ["__count"],
        )
        for run, state, email_state, letter_state, activity_state, count in notice_groups:
            counts[run.id].update(
                {
                    "notice": count,
                    "held": count if state == "draft" else 0,
                    "email": count if email_state in EMAILED_STATES else 0,
                    "letter": count if letter_state != "none" else 0,
                    "activity": count if activity_state == "created" else 0,
                }
            )
        for run, kind, count in Log._read_group(
            [("run_id", "in", self.ids), ("kind", "in", ("skip", "error"))],
            ["run_id", "kind"],
            ["__count"],
        ):
            counts[run.id][kind] += count
        for run in self:
            run_counts = counts[run.id]
            run.notice_count = run_counts["notice"]
            run.email_count = run_counts["email"]
            run.letter_count = run_counts["letter"]
            run.activity_count = run_counts["activity"]
            run.held_count = run_counts["held"]
            run.skip_count = run_counts["skip"]
            run.error_count = run_counts["error"]

    @api.depends("date", "company_id", "trigger")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._(
                "Dunning run %(date)s (%(company)s)",
                # In the user's date format, as the run's date field shows it.
                date=format_date(self.env, run.date),
                company=run.company_id.name,
            )

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_account_dunning_notice"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS: entry points
    # ------------------------------------------------------------

    @api.model
    def _cron_run_dunning(self):
        """Daily: one run per company that has a dunning policy."""
        # A run still "running" from an earlier day was cut off (a crash, a restart):
        # say so. Its committed batches stand; this run completes the rest.
        # A run spread over queue_job's jobs is finished by its last job, which may
        # still wait for a runner or a Retry: its jobs say so on the run.
        self.search(
            [
                ("state", "=", "running"),
                ("date", "<", fields.Date.context_today(self)),
                ("job_ids", "=", False),
            ]
        ).state = "failed"
        companies = self.env["res.company"].search([("dunning_policy_id", "!=", False)])
        for company in companies:
            run = self.with_company(company).create(
                {"company_id": company.id, "trigger": "scheduled"}
            )
            run._run_dunning()

    def _run_dunning(self):
        """Execute the run: plan every invoice of the company, then act per customer."""
        self.ensure_one()
        started = time.monotonic()
        # sudo: a run writes facts that no user writes by hand (levels, notices,
        # charges and their invoices); starting one is checked by the wizard's and the
        # cron's rights, and the user who started it is kept on the run.
        run = self.sudo().with_company(self.company_id)
        # Promises past their date are settled first: those not kept resume the ladder.
        run.env["account.dunning.promise"]._action_check_due(self.company_id, self.date)
        # So are payment plans: a broken one brings its invoices back to the ladder.
        run.env["account.dunning.payment.plan"]._action_check_due(self.company_id, self.date)
        # Customers who paid what escalated them come off hold.
        run.env["res.partner"]._action_dunning_recover(self.company_id, self.date)
        # Payment behaviour and risk classes as of the run's date, for the ladder.
        run.env["account.dunning.behaviour"]._refresh(self.company_id, self.date)
        plan = run._prepare_dunning_plan(self.company_id, self.date)
        # Handed to queue_job, the run is finished by a job queued after its batches.
        if not run._execute_dunning_plan(plan):
            self.write({"state": "done", "duration": time.monotonic() - started})
        self._commit_batch()
        return self

    # ------------------------------------------------------------
    # BUSINESS METHODS: planning (writes nothing)
    # ------------------------------------------------------------

    @api.model
    def _prepare_dunning_plan(self, company, date):
        """What a run on `date` would do for `company`, without writing anything:
        see account.dunning.policy._plan_dunning."""
        rows = self._fetch_dunning_candidates(company, date)
        credits = self.env["account.move.line"]._get_dunning_credits(
            company, self.env["res.partner"].browse({row["partner_id"] for row in rows})
        )
        plan = self.env["account.dunning.policy"]._plan_dunning(company, rows, date, credits)
        # Invoices posted before the install or copied by SQL: their level rows come first.
        plan["without_level_row"] = [row["move_id"] for row in rows if row["without_level_row"]]
        return plan

    @api.model
    def _fetch_dunning_candidates(self, company, date):
        """Open customer invoices of the company that are due, or will be within the
        pre-due window, in one query."""
        policies = self.env["account.dunning.policy"].search([("company_id", "=", company.id)])
        earliest = min(policies.level_ids.mapped("delay") or [0])
        horizon = fields.Date.add(date, days=max(-earliest, 0))
        Move = self.env["account.move"]
        # Read by the query: the invoices, their level rows, notices held for a check.
        self.env.flush_all()
        # Why an invoice waits off the ladder, as account.move defines it: one column each.
        holds = SQL(",").join(
            SQL(
                "COALESCE(%s, FALSE) AS %s",
                Move._get_dunning_domain_sql(domain),
                SQL.identifier(key),
            )
            for key, domain in Move._get_dunning_hold_domains().items()
        )
        # The open customer invoices as account.move defines them, in SQL.
        query = Move._where_calc(
            [
                *Move._get_dunning_open_invoice_domain(),
                ("company_id", "=", company.id),
                # Each instalment is due on its own date: the earliest unpaid one counts.
                ("dunning_date_due", "<=", horizon),
            ]
        )
        query.order = SQL(
            "account_move.commercial_partner_id, account_move.dunning_date_due, account_move.id"
        )
        self.env.cr.execute(
            query.select(
                SQL(
                    """
                    account_move.id AS move_id,
                    account_move.commercial_partner_id AS partner_id,
                    account_move.currency_id,
                    account_move.amount_total,
                    account_move.amount_residual - COALESCE(account_move.dunning_disputed_amount, 0)
                        AS amount_residual,
                    ABS(account_move.amount_residual_signed)
                        * (1 - COALESCE(account_move.dunning_disputed_amount, 0)
                               / NULLIF(account_move.amount_residual, 0)) AS residual_company,
                    account_move.invoice_date,
                    account_move.dunning_date_due AS invoice_date_due,
                    account_move.dunning_promise_date AS promise_date,
                    %s,
                    %s
                    """,
                    self.env["account.dunning.move.level"]._get_run_columns_sql(query),
                    holds,
                )
            )
        )
        return self.env.cr.dictfetchall()

    # ------------------------------------------------------------
    # BUSINESS METHODS: execution
    # ------------------------------------------------------------

    def _execute_dunning_plan(self, plan):
        """Act on `plan` per batch of customers: here, or in jobs of OCA queue_job when
        it is installed (account.dunning.run.queue). Returns whether jobs do it."""
        self.ensure_one()
        self.invoice_count = plan["examined"]
        if plan.get("without_level_row"):
            self._insert_level_rows(plan["without_level_row"])
        self._write_next_level_dates(plan["next_level_dates"])
        self.env["account.dunning.run.log"]._log_skips(self, plan["skips"])
        if plan.get("covered"):
            self.env["res.partner"]._action_dunning_credits_to_reconcile(
                self.company_id, plan["covered"], plan["credits"]
            )
        by_partner = defaultdict(list)
        for row in plan["dunnings"]:
            by_partner[row["partner_id"]].append(row)
        partner_ids = sorted(by_partner)
        if partner_ids and self.env["account.dunning.run.job"]._queue_enabled():
            batches = list(split_every(self._dunning_batch_size, partner_ids))
            self._enqueue_partner_batches(batches, by_partner, plan["statements"])
            return True
        # The plan's credits: nothing this run does changes what a dunned customer holds.
        self._process_batches(
            list(split_every(self._dunning_batch_size, partner_ids)),
            by_partner,
            plan["statements"],
            plan.get("credits"),
        )
        return False

    def _insert_level_rows(self, move_ids):
        try:
            with self.env.cr.savepoint():
                self.env["account.dunning.move.level"]._insert_missing(move_ids)
        except SerializationFailure:
            # Another run inserted them since this one began: it moves those invoices,
            # and this run logs them as held by another.
            _logger.info("Dunning run %s: level rows inserted by another run", self.id)

    def _process_partner_batch(self, batch, by_partner, statements, credits=None):
        try:
            with self.env.cr.savepoint():
                self._process_partners(batch, by_partner, statements, credits)
        except Exception:  # isolate the customer that fails
            _logger.info("Dunning batch failed, retrying customer by customer", exc_info=True)
            for partner_id in batch:
                self._process_partner_isolated(partner_id, by_partner, statements, credits)

    def _process_partner_isolated(self, partner_id, by_partner, statements, credits=None):
        try:
            with self.env.cr.savepoint():
                self._process_partners([partner_id], by_partner, statements, credits)
        except Exception as error:  # logged on the run and on the customer
            partner = self.env["res.partner"].browse(partner_id)
            self.env["account.dunning.run.log"]._log_error(self, partner, error)

    def _process_partners(self, partner_ids, by_partner, statements, credits=None):
        """Move these customers' invoices up, create their notices and charges, and
        send the notices of automatic levels. `credits`: the customers' credits (see
        account.move.line._get_dunning_credits), read again if not given."""
        rows = [row for partner_id in partner_ids for row in by_partner[partner_id]]
        moved = self._apply_levels(rows)
        self.env["account.dunning.run.log"]._log_skips(
            self,
            [
                (row["partner_id"], row["move_id"], "locked")
                for row in rows
                if row["move_id"] not in moved
            ],
        )
        rows = [row for row in rows if row["move_id"] in moved]
        if not rows:
            return
        notices = self._create_notices(rows, statements, credits)
        self._refresh_table_statistics(len(notices))
        problems = notices._create_charges()
        problems += self.env["account.dunning.notice.send"]._action_send(
            notices.filtered(lambda notice: notice.level_id.auto_execute)
        )
        self.env["account.dunning.run.log"]._log_problems(problems)

    def _apply_levels(self, rows):
        """Lock the invoices' level rows and move them to their new level, in one
        statement, those still at the level and open as planned.

        Rows another run holds are left to it, and invoices a payment holds to the
        next run (SKIP LOCKED). Plain SQL on the narrow table of levels
        (account.dunning.move.level): the ORM would write them one by one, and the
        invoices themselves are not written at all. Returns the moved invoice ids.
        """
        if not rows:
            return set()
        Row = self.env["account.dunning.move.level"]
        move_ids = [row["move_id"] for row in rows]
        self.env["account.move"].flush_model(["amount_residual"])
        Row.flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH target AS (
                    SELECT r.id, target.*
                      FROM UNNEST(%(move_ids)s::int[], %(level_ids)s::int[],
                                  %(previous_ids)s::int[], %(next_dates)s::date[])
                           AS target(move_id, level_id, previous_id, next_level_date)
                      JOIN account_dunning_move_level r ON r.move_id = target.move_id
                           AND r.move_id = ANY(%(move_ids)s)
                      JOIN account_move m ON m.id = r.move_id
                      -- Still owed: a plan replayed later (a queued job) moves
                      -- nothing paid since.
                     WHERE m.amount_residual > 0
                     ORDER BY r.id
                     -- The invoice shared, not written: one being paid meanwhile
                     -- (its payment holds it) is left to the next run.
                       FOR NO KEY UPDATE OF r SKIP LOCKED
                       FOR SHARE OF m SKIP LOCKED
                )
                UPDATE account_dunning_move_level r
                   SET level_id = target.level_id, last_dunning_date = %(date)s,
                       next_level_date = target.next_level_date
                  FROM target
                 -- The move ids again: an index scan, not a scan of the whole table.
                 WHERE r.id = target.id AND r.move_id = ANY(%(move_ids)s)
                   -- Still where the plan found it: nothing another run moved since.
                   AND r.level_id IS NOT DISTINCT FROM target.previous_id
             RETURNING r.move_id
                """,
                date=self.date,
                move_ids=move_ids,
                level_ids=[row["level_id"] for row in rows],
                previous_ids=[row.get("previous_level_id") or None for row in rows],
                next_dates=[row["next_level_date"] or None for row in rows],
            )
        )
        moved = {move_id for (move_id,) in self.env.cr.fetchall()}
        Row.invalidate_model()
        self.env["account.move"].invalidate_model(list(DUNNING_LEVEL_ROW_FIELDS))
        return moved

    def _write_next_level_dates(self, next_level_dates):
        """Store when the examined invoices are due for their next level, as of this
        run ({move_id: date or False}, only those that changed), in one statement:
        the worklist reads it. Plain SQL for the reasons of _apply_levels; an invoice
        another run holds keeps its date, which that run writes."""
        if not next_level_dates:
            return
        Row = self.env["account.dunning.move.level"]
        Row.flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH target AS (
                    SELECT r.id, target.next_level_date
                      FROM UNNEST(%(move_ids)s::int[], %(next_dates)s::date[])
                           AS target(move_id, next_level_date)
                      JOIN account_dunning_move_level r ON r.move_id = target.move_id
                           AND r.move_id = ANY(%(move_ids)s)
                     ORDER BY r.id
                       FOR NO KEY UPDATE OF r SKIP LOCKED
                )
                UPDATE account_dunning_move_level r
                   SET next_level_date = target.next_level_date
                  FROM target
                 WHERE r.id = target.id AND r.move_id = ANY(%(move_ids)s)
                """,
                move_ids=list(next_level_dates),
                next_dates=[next_date or None for next_date in next_level_dates.values()],
            )
        )
        Row.invalidate_model(["next_level_date"])
        self.env["account.move"].invalidate_model(["dunning_next_level_date"])

    # ------------------------------------------------------------
    # BUSINESS METHODS: commits
    # ------------------------------------------------------------

    def _commit_batch(self):
        # Scheduled runs keep what each batch did: a crash loses the batches under way.
        # Never in tests: they run in one transaction that is rolled back.
        if not module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _refresh_table_statistics(self, created):
        """ANALYZE the notice table when PostgreSQL still believes it (nearly) empty.

        Each notice line and history entry checks its notice through a foreign key,
        whose plan PostgreSQL fixes from the table's statistics: on a table it thinks
        empty (a first run, or one after a purge) that plan reads the whole table, so
        a run's time grows with the square of its size (20,000 invoices: 2.7 s of
        line inserts instead of 1 s). Fresh statistics switch it to the primary key.
        """
        self.env.cr.execute(
            SQL("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", "account_dunning_notice")
        )
        if self.env.cr.fetchone()[0] < max(created, 1000):
            # SKIP_LOCKED: a job analyzing it meanwhile does it for all (and its lock,
            # held until it commits, would make parallel batch jobs wait).
            self.env.cr.execute(SQL("ANALYZE (SKIP_LOCKED) account_dunning_notice"))

    # ------------------------------------------------------------
    # BUSINESS METHODS: notices
    # ------------------------------------------------------------

    def _create_notices(self, rows, statements, credits=None):
        """The notices of this run for invoice `rows` that moved up: one per customer,
        currency and level, netted with the customer's credits. Notices and lines go
        in with one INSERT each (account.dunning.set.mixin._insert_set,
        account.dunning.notice.line._insert_for_notices)."""
        self.ensure_one()
        groups = self._group_notice_lines(rows, statements)
        partners = (
            self.env["res.partner"]
            .with_company(self.company_id)
            .browse({partner_id for partner_id, _currency_id, _level_id in groups})
        )
        recipients = partners._get_dunning_recipients()
        # Read once for the batch: a company-dependent field, read per record, costs a query.
        collectors = {partner.id: partner.dunning_responsible_id.id for partner in partners}
        levels = self.env["account.dunning.level"].browse({key[2] for key in groups})
        vals_list = [
            {
                **self._prepare_notice_values(levels.browse(level_id), lines),
                "partner_id": partner_id,
                "recipient_id": recipients[partner_id].id,
                "user_id": collectors[partner_id],
                "currency_id": currency_id,
            }
            for (partner_id, currency_id, level_id), lines in groups.items()
        ]
        # The run is the record of creation: no "created" message nor follower per notice.
        notices = self.env["account.dunning.notice"]._insert_set(vals_list)
        self.env["account.dunning.notice.line"]._insert_for_notices(notices, list(groups.values()))
        self.env["account.dunning.notice.send"]._set_credits(notices, credits)
        return notices

    @api.model
    def _group_notice_lines(self, rows, statements):
        """{(customer id, currency id, level id): [(invoice row, dunned)]}: the invoices
        each notice lists. The highest notice of a customer and currency also lists
        its other overdue invoices (its other notices' and `statements`)."""
        groups = defaultdict(list)
        for row in rows:
            groups[row["partner_id"], row["currency_id"], row["level_id"]].append((row, True))
        levels = self.env["account.dunning.level"].browse({key[2] for key in groups})
        rank_of = {level.id: level._get_rank() for level in levels}
        # The levels of each customer and currency, highest first.
        levels_of = defaultdict(list)
        for partner_id, currency_id, level_id in groups:
            levels_of[partner_id, currency_id].append(level_id)
        for key, level_ids in levels_of.items():
            highest, *others = sorted(level_ids, key=rank_of.get, reverse=True)
            groups[(*key, highest)] += [
                (row, False) for level_id in others for row, _dunned in groups[(*key, level_id)]
            ] + [(row, False) for row in statements.get(key, [])]
        return groups

    def _prepare_notice_values(self, level, lines):
        """What a notice of this run at `level` states, from the invoices it lists
        (`lines`: (invoice row, dunned))."""
        self.ensure_one()
        return {
            "company_id": self.company_id.id,
            "run_id": self.id,
            "level_id": level.id,
            "date": self.date,
            "payment_deadline": fields.Date.add(self.date, days=level.payment_deadline_days)
            if level.payment_deadline_days
            else False,
            "amount_residual": sum(row["amount_residual"] for row, _dunned in lines),
            "amount_dunned": sum(row["amount_residual"] for row, dunned in lines if dunned),
            "invoice_count": len(lines),
        }
