import logging
import time
from collections import defaultdict

from odoo import api, fields, models
from odoo.modules import module
from odoo.tools import SQL, split_every

from ..tools.ladder import next_level_index

_logger = logging.getLogger(__name__)

SKIP_REASONS = [
    ("excluded", "Customer excluded from dunning"),
    ("stage", "Customer at a collection agency or in legal proceedings"),
    ("blocked", "Invoice blocked or disputed"),
    ("promise", "Promise to pay not yet due"),
    ("minimum", "Open amount not above the policy minimum"),
    ("interval", "Minimum interval since the last notice not reached"),
    ("no_policy", "No dunning policy"),
    ("locked", "Being processed by another run"),
]
LOG_KINDS = [
    ("skip", "Skipped"),
    ("fallback", "Fallback"),
    ("warning", "Warning"),
    ("error", "Error"),
]


class AccountDunningRun(models.Model):
    _name = "account.dunning.run"
    _description = "Dunning Run"
    _order = "id desc"
    _check_company_auto = True

    # Partners handled per savepoint, and per commit in scheduled runs.
    _dunning_batch_size = 200

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
    notice_count = fields.Integer(string="Notices", readonly=True)
    email_count = fields.Integer(string="Emails Queued", readonly=True)
    letter_count = fields.Integer(string="Letters Queued", readonly=True)
    activity_count = fields.Integer(string="Activities", readonly=True)
    held_count = fields.Integer(
        string="Held for Review", readonly=True, help="Notices of levels that need a human check."
    )
    skip_count = fields.Integer(string="Skipped", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
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

    @api.depends("date", "company_id", "trigger")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._(
                "Dunning run %(date)s (%(company)s)",
                date=run.date,
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
        self.search(
            [("state", "=", "running"), ("date", "<", fields.Date.context_today(self))]
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
        plan = run._prepare_dunning_plan(self.company_id, self.date)
        run._execute_dunning_plan(plan)
        self.write({"state": "done", "duration": time.monotonic() - started})
        self._commit_batch()
        return self

    # ------------------------------------------------------------
    # BUSINESS METHODS: planning (writes nothing)
    # ------------------------------------------------------------

    @api.model
    def _prepare_dunning_plan(self, company, date):
        """What a run on `date` would do for `company`, without writing anything.

        Returns a dict with `examined` (invoice count), `skips` (list of
        (partner_id, move_id, reason)), `dunnings` (invoice rows that move up
        the ladder, with their new level) and `statements` (other overdue
        invoices per (partner_id, currency_id), listed on the notices).
        """
        rows = self._fetch_dunning_candidates(company, date)
        partners = (
            self.env["res.partner"].with_company(company).browse({r["partner_id"] for r in rows})
        )
        ladders = self._get_dunning_ladders(company, partners)
        # Plain values, read once: the loop below runs once per open invoice.
        default_policy_id = company.dunning_policy_id.id
        customers = {
            partner.id: {
                "ladder": ladders.get(partner.dunning_policy_id.id or default_policy_id),
                "excluded": partner.dunning_excluded,
                "stage": partner.dunning_stage,
            }
            for partner in partners
        }
        plan = {"examined": len(rows), "skips": [], "dunnings": [], "statements": defaultdict(list)}
        for row in rows:
            customer = customers[row["partner_id"]]
            ladder = customer["ladder"]
            days_late = (date - row["invoice_date_due"]).days
            target, reason = self._plan_invoice(row, customer, ladder, date, days_late)
            if reason:
                plan["skips"].append((row["partner_id"], row["move_id"], reason))
            if target is not None:
                plan["dunnings"].append(
                    dict(
                        row,
                        level_id=ladder["level_ids"][target],
                        previous_level_id=row["level_id"],
                        days_late=days_late,
                    )
                )
            elif days_late > 0 and not row["blocked"]:
                plan["statements"][row["partner_id"], row["currency_id"]].append(
                    dict(row, days_late=days_late)
                )
        return plan

    @api.model
    def _plan_invoice(self, row, customer, ladder, date, days_late):
        """(target level index or None, skip reason or None) for one invoice row."""
        if not ladder:
            return None, "no_policy"
        current_index = ladder["index"](row["level_id"])
        since_last = (date - row["last_dunning_date"]).days if row["last_dunning_date"] else None
        args = (ladder["delays"], ladder["intervals"])
        if next_level_index(days_late, current_index, *args, None, jump=ladder["jump"]) is None:
            return None, None
        if customer["excluded"]:
            return None, "excluded"
        if customer["stage"] in ("agency", "legal"):
            return None, "stage"
        if row["blocked"]:
            return None, "blocked"
        promise = row["promise_date"]
        if promise and (date - promise).days <= ladder["grace_days"]:
            return None, "promise"
        if row["residual_company"] <= ladder["min_residual"]:
            return None, "minimum"
        target = next_level_index(days_late, current_index, *args, since_last, jump=ladder["jump"])
        if target is None:
            return None, "interval"
        return target, None

    @api.model
    def _get_dunning_ladders(self, company, partners):
        """Per policy id: its levels in order, their delays and intervals, and a
        function giving the ladder index of an invoice's current level."""
        policies = partners.dunning_policy_id | company.dunning_policy_id
        all_levels = self.env["account.dunning.level"].with_context(active_test=False)
        delay_of = {level.id: level.delay for level in all_levels.search([])}
        ladders = {}
        for policy in policies:
            levels = policy._get_ordered_levels()
            if not levels:
                continue
            delays = levels.mapped("delay")
            position = {level.id: index for index, level in enumerate(levels)}

            def index_of(level_id, position=position, delays=delays):
                if not level_id:
                    return -1
                if level_id in position:
                    return position[level_id]
                # A level of another policy (the customer changed policy): place
                # it on this ladder by its delay.
                delay = delay_of.get(level_id, 0)
                return max((i for i, d in enumerate(delays) if d <= delay), default=-1)

            ladders[policy.id] = {
                "level_ids": levels.ids,
                "jump": policy.jump_to_highest_level,
                "grace_days": policy.promise_grace_days,
                "min_residual": policy.min_residual,
                "delays": delays,
                "intervals": levels.mapped("min_interval"),
                "index": index_of,
            }
        return ladders

    @api.model
    def _fetch_dunning_candidates(self, company, date):
        """Open customer invoices of the company that are due, or will be within the
        pre-due window, in one query."""
        policies = self.env["account.dunning.policy"].search([("company_id", "=", company.id)])
        earliest = min(policies.level_ids.mapped("delay") or [0])
        horizon = fields.Date.add(date, days=max(-earliest, 0))
        Move = self.env["account.move"]
        Move.flush_model()
        # The open customer invoices as account.move defines them, in SQL.
        query = Move._where_calc(
            [
                *Move._get_dunning_open_invoice_domain(),
                ("company_id", "=", company.id),
                ("invoice_date_due", "<=", horizon),
            ]
        )
        query.order = SQL(
            "account_move.commercial_partner_id, account_move.invoice_date_due, account_move.id"
        )
        self.env.cr.execute(
            query.select(
                SQL(
                    """
                    account_move.id AS move_id,
                    account_move.commercial_partner_id AS partner_id,
                    account_move.currency_id,
                    account_move.amount_total,
                    account_move.amount_residual,
                    ABS(account_move.amount_residual_signed) AS residual_company,
                    account_move.invoice_date,
                    account_move.invoice_date_due,
                    account_move.dunning_level_id AS level_id,
                    account_move.last_dunning_date,
                    account_move.dunning_blocked AS blocked,
                    account_move.dunning_promise_date AS promise_date
                    """
                )
            )
        )
        return self.env.cr.dictfetchall()

    # ------------------------------------------------------------
    # BUSINESS METHODS: execution
    # ------------------------------------------------------------

    def _execute_dunning_plan(self, plan):
        self.ensure_one()
        self.invoice_count = plan["examined"]
        self._log_skips(plan["skips"])
        by_partner = defaultdict(list)
        for row in plan["dunnings"]:
            by_partner[row["partner_id"]].append(row)
        partner_ids = sorted(by_partner)
        done = 0
        for batch in split_every(self._dunning_batch_size, partner_ids):
            try:
                with self.env.cr.savepoint():
                    self._process_partners(batch, by_partner, plan["statements"])
            except Exception:  # isolate the customer that fails
                _logger.info("Dunning batch failed, retrying customer by customer", exc_info=True)
                for partner_id in batch:
                    self._process_partner_isolated(partner_id, by_partner, plan["statements"])
            done += len(batch)
            self._commit_batch()
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(partner_ids) - done)

    def _process_partner_isolated(self, partner_id, by_partner, statements):
        try:
            with self.env.cr.savepoint():
                self._process_partners([partner_id], by_partner, statements)
        except Exception as error:  # logged on the run and on the customer
            self._log_partner_error(partner_id, error)

    def _process_partners(self, partner_ids, by_partner, statements):
        """Move these customers' invoices up and create and send their notices: one
        per customer, currency and level."""
        rows = [row for partner_id in partner_ids for row in by_partner[partner_id]]
        moved = self._apply_levels(rows)
        skipped = [row for row in rows if row["move_id"] not in moved]
        self._log_skips([(row["partner_id"], row["move_id"], "locked") for row in skipped])
        rows = [row for row in rows if row["move_id"] in moved]
        if not rows:
            return
        notices = self._create_notices(rows, statements)
        self._create_charges(notices)
        to_send = notices.filtered(lambda notice: notice.level_id.auto_execute)
        self.held_count += len(notices - to_send)
        self._action_send_notices(to_send, run=self)

    def _apply_levels(self, rows):
        """Lock the invoices and move them to their new level, in one statement.

        Invoices another run holds are left to it (SKIP LOCKED); NO KEY UPDATE, like
        the ORM's own updates, so that rows referencing these invoices (logs, notice
        lines) can still be inserted by another run. Plain SQL: a full account.move
        write (lock dates, sync of lines, tracking) would cost more than the whole
        run, and nothing stored depends on these two fields. Returns the moved ids.
        """
        if not rows:
            return set()
        Move = self.env["account.move"]
        Move.flush_model(["dunning_level_id", "last_dunning_date"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move m
                   SET dunning_level_id = target.level_id, last_dunning_date = %(date)s,
                       write_uid = %(uid)s, write_date = NOW() AT TIME ZONE 'UTC'
                  FROM UNNEST(%(move_ids)s::int[], %(level_ids)s::int[]) AS target(id, level_id)
                 WHERE m.id = target.id
                   AND m.id IN (SELECT id FROM account_move WHERE id = ANY(%(move_ids)s)
                                ORDER BY id FOR NO KEY UPDATE SKIP LOCKED)
             RETURNING m.id
                """,
                date=self.date,
                uid=self.env.uid,
                move_ids=[row["move_id"] for row in rows],
                level_ids=[row["level_id"] for row in rows],
            )
        )
        moved = {move_id for (move_id,) in self.env.cr.fetchall()}
        Move.invalidate_model(["dunning_level_id", "last_dunning_date", "write_uid", "write_date"])
        return moved

    def _create_notices(self, rows, statements):
        """One notice per customer, currency and level; its lines in one INSERT."""
        groups = defaultdict(list)
        for row in rows:
            groups[row["partner_id"], row["currency_id"], row["level_id"]].append(row)
        levels = self.env["account.dunning.level"].browse({key[2] for key in groups})
        rank_of = {level.id: level._get_rank() for level in levels}
        # The highest notice of a customer and currency also lists its other overdue
        # invoices: those dunned at lower levels today, and those not moving up.
        highest = {}
        for partner_id, currency_id, level_id in groups:
            current = highest.get((partner_id, currency_id))
            if current is None or rank_of[level_id] > rank_of[current]:
                highest[partner_id, currency_id] = level_id
        partners = (
            self.env["res.partner"].with_company(self.company_id).browse({key[0] for key in groups})
        )
        recipients = self._get_dunning_recipients(partners)
        collectors = {partner.id: partner.dunning_responsible_id.id for partner in partners}
        names = self._get_notice_names(len(groups))
        notice_vals, notice_lines = [], []
        for name, ((partner_id, currency_id, level_id), group_rows) in zip(
            names, groups.items(), strict=True
        ):
            lines = [(row, True) for row in group_rows]
            if highest[partner_id, currency_id] == level_id:
                lines += [
                    (row, False)
                    for (p_id, c_id, l_id), other_rows in groups.items()
                    if (p_id, c_id) == (partner_id, currency_id) and l_id != level_id
                    for row in other_rows
                ]
                lines += [(row, False) for row in statements.get((partner_id, currency_id), [])]
            notice_lines.append(lines)
            notice_vals.append(
                {
                    **self._prepare_notice_values(levels.browse(level_id), group_rows, lines),
                    "name": name,
                    "partner_id": partner_id,
                    "recipient_id": recipients[partner_id].id,
                    "user_id": collectors[partner_id],
                    "currency_id": currency_id,
                }
            )
        # The run is the record of creation: no "created" message nor follower per notice.
        notices = (
            self.env["account.dunning.notice"]
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
            .create(notice_vals)
        )
        self._insert_notice_lines(notices, notice_lines)
        self.notice_count += len(notices)
        return notices

    def _prepare_notice_values(self, level, dunned_rows, lines):
        """What a notice of this run at `level` states: the invoices that reached
        the level (`dunned_rows`) and every invoice it lists (`lines`)."""
        return {
            "company_id": self.company_id.id,
            "run_id": self.id,
            "level_id": level.id,
            "date": self.date,
            "payment_deadline": fields.Date.add(self.date, days=level.payment_deadline_days)
            if level.payment_deadline_days
            else False,
            "amount_residual": sum(row["amount_residual"] for row, _dunned in lines),
            "amount_dunned": sum(row["amount_residual"] for row in dunned_rows),
            "invoice_count": len(lines),
        }

    def _get_notice_names(self, count):
        """`count` references from the notice sequence, looked up once."""
        # sudo: drawing numbers from the sequence is not a right of its own.
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", "account.dunning.notice"),
                    ("company_id", "in", (self.company_id.id, False)),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return ["/"] * count
        if not sequence.use_date_range:
            return [sequence._next() for _index in range(count)]
        date_range = self.env["ir.sequence.date_range"].sudo().search(
            [
                ("sequence_id", "=", sequence.id),
                ("date_from", "<=", self.date),
                ("date_to", ">=", self.date),
            ],
            limit=1,
        ) or sequence._create_date_range_seq(self.date)
        date_range = date_range.with_context(ir_sequence_date_range=date_range.date_from)
        if sequence.implementation != "standard":
            return [date_range._next() for _index in range(count)]
        # A standard sequence is a PostgreSQL sequence named as ir.sequence names it:
        # draw the whole block in one query.
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}_{date_range.id:03d}",
                count,
            )
        )
        return [
            date_range.sequence_id.get_next_char(number) for (number,) in self.env.cr.fetchall()
        ]

    def _insert_notice_lines(self, notices, notice_lines):
        """Insert the lines of the notices with one statement: thousands per batch."""
        columns = defaultdict(list)
        for notice, lines in zip(notices, notice_lines, strict=True):
            for row, dunned in lines:
                columns["notice_id"].append(notice.id)
                columns["move_id"].append(row["move_id"])
                columns["dunned"].append(dunned)
                columns["level_id"].append(row["level_id"] if dunned else None)
                columns["previous_level_id"].append(
                    (row.get("previous_level_id") or None) if dunned else None
                )
                columns["amount_total"].append(row["amount_total"])
                columns["amount_residual"].append(row["amount_residual"])
                columns["invoice_date"].append(row["invoice_date"])
                columns["invoice_date_due"].append(row["invoice_date_due"])
                columns["days_overdue"].append(max(row["days_late"], 0))
                columns["currency_id"].append(notice.currency_id.id)
        if not columns:
            return
        Line = self.env["account.dunning.notice.line"]
        Line.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO account_dunning_notice_line (
                    notice_id, move_id, dunned, level_id, previous_level_id, amount_total,
                    amount_residual, invoice_date, invoice_date_due, days_overdue, currency_id,
                    company_id, date, create_uid, create_date, write_uid, write_date)
                SELECT line.*, %(company)s, %(date)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM UNNEST(
                    %(notice_id)s::int[], %(move_id)s::int[], %(dunned)s::bool[],
                    %(level_id)s::int[], %(previous_level_id)s::int[],
                    %(amount_total)s::numeric[], %(amount_residual)s::numeric[],
                    %(invoice_date)s::date[], %(invoice_date_due)s::date[],
                    %(days_overdue)s::int[], %(currency_id)s::int[]) AS line
                """,
                company=self.company_id.id,
                date=self.date,
                uid=self.env.uid,
                **columns,
            )
        )
        Line.invalidate_model()
        notices.invalidate_recordset(["line_ids"])

    @api.model
    def _get_dunning_recipients(self, partners):
        """Per customer id: its first invoice contact with an email, else the customer."""
        contacts = self.env["res.partner"].search(
            [("parent_id", "in", partners.ids), ("type", "=", "invoice"), ("email", "!=", False)],
            order="id desc",
        )
        recipients = {partner.id: partner for partner in partners}
        recipients.update({contact.parent_id.id: contact for contact in contacts})
        return recipients

    @api.model
    def _apply_escalations(self, notices):
        stage_of = {"agency": "agency", "legal": "legal"}
        for notice in notices.filtered(lambda notice: notice.level_id.escalation != "none"):
            escalation = notice.level_id.escalation
            partner = notice.partner_id.with_company(notice.company_id)
            if escalation == "credit_hold":
                vals = {"dunning_credit_hold": True}
            else:
                vals = {"dunning_stage": stage_of[escalation], "dunning_credit_hold": True}
            partner.write(vals)
            partner.message_post(
                body=self.env._(
                    "Escalated by dunning notice %(notice)s: %(escalation)s.",
                    notice=notice.name,
                    escalation=dict(
                        notice.level_id._fields["escalation"]._description_selection(self.env)
                    )[escalation],
                )
            )

    @api.model
    def _action_send_notices(self, notices, run=None):
        """Send each notice through the channels of its level."""
        run = run or self.browse()
        emailed = notices.filtered(lambda notice: notice.level_id.send_email)
        no_template = emailed.filtered(lambda notice: not notice.level_id.mail_template_id)
        self._send_as_letters(
            no_template,
            run,
            lambda notice: self.env._(
                "Level “%(level)s” has no email template: the notice goes out as a letter.",
                level=notice.level_id.name,
            ),
            lambda notice: self.env._(
                "No email template on level “%(level)s”: sent as a letter (%(notice)s).",
                level=notice.level_id.name,
                notice=notice.name,
            ),
        )
        emailed -= no_template
        no_address = emailed.filtered(lambda notice: not notice.recipient_id.email)
        self._send_as_letters(
            no_address,
            run,
            lambda notice: self.env._(
                "No email address for %(partner)s: the notice goes out as a letter.",
                partner=notice.recipient_id.display_name,
            ),
            lambda notice: self.env._(
                "No email address: sent as a letter (%(notice)s).", notice=notice.name
            ),
        )
        # Rendering waits for the email job, which feeds Odoo's mail queue in batches.
        (emailed - no_address)._queue_dunning_emails()
        letters = (
            notices.filtered(lambda notice: notice.level_id.send_letter) | no_address | no_template
        )
        letters.letter_state = "to_print"
        activities = self._create_dunning_activities(
            notices.filtered(lambda notice: notice.level_id.create_activity)
        )
        self._apply_escalations(notices)
        notices._action_invoice_charges()
        notices.state = "sent"
        if run:
            run.email_count += len(emailed - no_address)
            run.letter_count += len(letters)
            run.activity_count += len(activities)

    @api.model
    def _send_as_letters(self, notices, run, note, log_message):
        """Notices whose email cannot go out: said on each notice (`note`) and in the
        run's log (`log_message`), and sent as letters instead."""
        for notice in notices:
            notice.message_post(body=note(notice))
        if run and notices:
            run._log(
                [
                    {
                        "kind": "fallback",
                        "partner_id": notice.partner_id.id,
                        "message": log_message(notice),
                    }
                    for notice in notices
                ]
            )
        notices.email_state = "fallback"

    @api.model
    def _create_dunning_activities(self, notices):
        if not notices:
            return self.env["mail.activity"]
        partner_model = self.env["ir.model"]._get_id("res.partner")
        activities = self.env["mail.activity"].create(
            [
                {
                    "res_model_id": partner_model,
                    "res_id": notice.partner_id.id,
                    "activity_type_id": notice.level_id.activity_type_id.id,
                    "summary": self.env._("Dunning call: %(notice)s", notice=notice.name),
                    "note": notice._get_dunning_summary(),
                    "user_id": self._get_activity_user(notice).id,
                    "date_deadline": notice.date,
                }
                for notice in notices
            ]
        )
        for notice, activity in zip(notices, activities, strict=True):
            notice.write({"activity_id": activity.id, "activity_state": "created"})
        return activities

    @api.model
    def _get_activity_user(self, notice):
        """The fixed user of the level, else the collector, else the salesperson."""
        level = notice.level_id
        if level.activity_user_mode == "fixed" and level.activity_user_id:
            return level.activity_user_id
        salespeople = notice.line_ids.filtered("dunned").move_id.invoice_user_id
        return notice.user_id or salespeople[:1] or self.env.user

    # ------------------------------------------------------------
    # BUSINESS METHODS: charges
    # ------------------------------------------------------------

    def _create_charges(self, notices):
        """Fees, interest and statutory compensation of new notices, computed once."""
        charges, missing_rates = self.env["account.dunning.charge"]._create_for_notices(notices)
        self._log_missing_rates(missing_rates)
        return charges

    def _log_missing_rates(self, missing_rates):
        """A notice goes out without the interest whose reference rate is missing:
        say so on the notice and in the run, naming the half-year to record."""
        for notice, message in missing_rates.items():
            notice.message_post(body=message)
            if self:
                self._log(
                    [{"kind": "warning", "partner_id": notice.partner_id.id, "message": message}]
                )

    # ------------------------------------------------------------
    # BUSINESS METHODS: logging and commits
    # ------------------------------------------------------------

    def _log_skips(self, skips):
        if not skips or not self:
            return
        labels = dict(SKIP_REASONS)
        self._log(
            [
                {
                    "kind": "skip",
                    "reason": reason,
                    "partner_id": partner_id,
                    "move_id": move_id,
                    "message": labels[reason],
                }
                for partner_id, move_id, reason in skips
            ]
        )
        self.skip_count += len(skips)

    def _log_partner_error(self, partner_id, error):
        partner = self.env["res.partner"].browse(partner_id)
        message = (
            error
            if isinstance(error, str)
            else self.env._("Dunning failed for this customer: %(error)s", error=error)
        )
        _logger.warning("Dunning run %s: customer %s failed: %s", self.id, partner_id, error)
        try:
            # sudo: the error is recorded whoever started the run; recording it must
            # never stop the run for the other customers.
            with self.env.cr.savepoint():
                run = self.sudo()
                run._log([{"kind": "error", "partner_id": partner_id, "message": message}])
                run.error_count += 1
                partner.sudo().message_post(body=message)
        except Exception:
            _logger.exception("Dunning run %s: could not record the error above", self.id)

    def _log(self, vals_list):
        self.env["account.dunning.run.log"].create(
            [dict(vals, run_id=self.id) for vals in vals_list]
        )

    def _commit_batch(self):
        # Scheduled runs keep what each batch did, so a crash loses one batch at most.
        # Never in tests: they run in one transaction that is rolled back.
        if not module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit
