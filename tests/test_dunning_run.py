from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
class TestDunningRun(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("run_collector")
        cls.invoice = cls._create_dunning_invoice(
            cls.customer, 1200.0, DUE, invoice_date=date(2026, 1, 1)
        )

    def _send_queued_emails(self):
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()

    def _notices(self, partner=None):
        return self.env["account.dunning.notice"].search(
            [("partner_id", "=", (partner or self.customer).id)], order="id"
        )

    # ------------------------------------------------------------
    # The ladder, day by day, through the real cron
    # ------------------------------------------------------------

    def test_cron_walks_a_customer_through_every_level_in_120_days(self):
        cron = self.env.ref("account_dunning.ir_cron_dunning_run").sudo()
        reached = {}
        for offset in range(-10, 121):
            with freeze_time(day(offset)):
                cron.method_direct_trigger()
                self._send_queued_emails()
                level = self.invoice.dunning_level_id
                if level and level not in reached:
                    reached[level] = offset
                    held = self._notices().filtered(lambda n: n.state == "draft")
                    if held:  # levels that need a human check: the collector sends them
                        held.with_user(self.collector).action_send()
        self.assertEqual(
            [(level.name, offset) for level, offset in reached.items()],
            [
                ("Pre-due reminder", -7),
                ("Friendly reminder", 7),
                ("Phone call", 14),
                ("Second notice", 30),
                ("Final demand", 45),
                ("Collection agency", 90),
            ],
        )
        notices = self._notices()
        self.assertEqual(notices.level_id, self.levels)
        # Sent once something left; a call has nothing to deliver.
        self.assertEqual(
            notices.mapped("state"), ["sending", "sending", "sent", "sending", "sending", "sent"]
        )
        self.assertEqual(notices.mapped("date"), [day(o) for o in (-7, 7, 14, 30, 45, 90)])
        by_level = {notice.level_id: notice for notice in notices}
        self.assertEqual(by_level[self.level_pre_due].email_state, "queued")
        self.assertEqual(by_level[self.level_friendly].email_state, "queued")
        self.assertEqual(by_level[self.level_call].activity_state, "created")
        self.assertEqual(by_level[self.level_second].letter_state, "to_print")
        self.assertEqual(by_level[self.level_final].payment_deadline, day(55))
        self.assertEqual(self.customer.dunning_stage, "agency")
        self.assertTrue(self.customer.dunning_credit_hold)
        runs = self.env["account.dunning.run"].search([("company_id", "=", self.company.id)])
        self.assertEqual(len(runs), 131, "one scheduled run a day")
        self.assertEqual(set(runs.mapped("trigger")), {"scheduled"})

    def test_rerun_on_the_same_day_sends_nothing_new(self):
        first = self._run_dunning(day(10))
        self.assertEqual(first.notice_count, 1)
        second = self._run_dunning(day(10))
        self.assertEqual(second.notice_count, 0)
        self.assertEqual(len(self._notices()), 1)
        self.assertFalse(second.log_ids, "nothing is due again before the phone call")

    def test_one_step_per_run_or_jump_to_the_highest_level(self):
        self._run_dunning(day(50))
        self.assertEqual(self.invoice.dunning_level_id, self.level_friendly)
        late = self._create_dunning_invoice(self.customer, 80.0, day(0))
        self.policy.jump_to_highest_level = True
        self._run_dunning(day(70))
        self.assertEqual(late.dunning_level_id, self.level_final)

    def test_minimum_interval_between_notices(self):
        self._run_dunning(day(7))
        self._run_dunning(day(14))  # friendly on day 7, the call is allowed from day 14
        self.assertEqual(self.invoice.dunning_level_id, self.level_call)
        self.level_second.min_interval = 20
        run = self._run_dunning(day(30))
        self.assertEqual(self.invoice.dunning_level_id, self.level_call)
        self.assertEqual(run.log_ids.reason, "interval")
        self._run_dunning(day(34))
        self.assertEqual(self.invoice.dunning_level_id, self.level_second)

    # ------------------------------------------------------------
    # Exclusions, each counted with its reason
    # ------------------------------------------------------------

    def test_exclusions_are_counted_with_their_reason(self):
        blocked = self._create_dunning_invoice(self.customer, 10.0, DUE)
        blocked.write({"dunning_blocked": True, "dunning_block_reason": "Disputed"})
        promised = self._create_dunning_invoice(self.customer, 20.0, DUE)
        self._promise(promised, 20.0, day(8))
        self._create_dunning_invoice(self.customer, 3.0, DUE)
        self.policy.min_residual = 5.0
        excluded = self.env["res.partner"].create(
            {"name": "Excluded", "dunning_excluded": True, "dunning_exclusion_reason": "VIP"}
        )
        self._create_dunning_invoice(excluded, 100.0, DUE)
        at_agency = self.env["res.partner"].create({"name": "Agency", "dunning_stage": "agency"})
        self._create_dunning_invoice(at_agency, 100.0, DUE)
        at_law = self.env["res.partner"].create({"name": "Legal", "dunning_stage": "legal"})
        self._create_dunning_invoice(at_law, 100.0, DUE)

        run = self._run_dunning(day(10))  # promise on day 8 + 3 grace days: still paused
        reasons = {(log.move_id.amount_total, log.reason) for log in run.log_ids}
        self.assertEqual(
            reasons,
            {
                (10.0, "blocked"),
                (20.0, "promise"),
                (3.0, "minimum"),
                (100.0, "excluded"),
                (100.0, "stage"),
            },
        )
        self.assertEqual(run.skip_count, 6)
        self.assertEqual(run.notice_ids.line_ids.filtered("dunned").move_id, self.invoice)
        self.assertFalse(blocked.dunning_level_id)

        run = self._run_dunning(day(12))  # the grace has passed
        self.assertEqual(promised.dunning_level_id, self.level_friendly)

    # ------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------

    def test_email_goes_to_the_invoice_contact_through_the_mail_queue(self):
        billing_contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "parent_id": self.customer.id,
                "type": "invoice",
                "email": "payables@lakeside.example.com",
            }
        )
        run = self._run_dunning(day(7))
        notice = run.notice_ids
        self.assertEqual(notice.recipient_id, billing_contact)
        self.assertEqual(notice.email_state, "pending", "rendered by the email job, not the run")
        self.assertEqual(run.email_count, 1)
        Mail = self.env["mail.mail"]
        mail_domain = [("model", "=", notice._name), ("res_id", "=", notice.id)]
        self.assertFalse(Mail.search(mail_domain))
        self._send_queued_emails()
        self.assertEqual(notice.email_state, "queued")
        mail = Mail.search(mail_domain)
        self.assertEqual(mail.state, "outgoing", "in Odoo's mail queue, not sent by the job")
        self.assertEqual(mail.recipient_ids, billing_contact)
        self.assertIn(self.invoice.name, mail.body_html)
        self.assertIn("1,200.00", mail.body_html)
        self.assertIn(notice.name, mail.subject)
        self.assertIn(mail.mail_message_id, notice.message_ids, "kept in the notice's chatter")

    def test_no_email_address_falls_back_to_a_letter(self):
        self.customer.email = False
        self.customer_contact.email = False
        run = self._run_dunning(day(7))
        notice = run.notice_ids
        self.assertEqual(notice.email_state, "fallback")
        self.assertEqual(notice.letter_state, "to_print")
        self.assertEqual(run.email_count, 0)
        self.assertEqual(run.letter_count, 1)
        # The friendly level texts customers without email: this one has no mobile
        # either, which is said too, and the letter goes.
        self.assertEqual(sorted(run.log_ids.mapped("kind")), ["fallback", "warning"])
        warning = run.log_ids.filtered(lambda log: log.kind == "warning")
        self.assertIn("has no mobile number", warning.message)
        self.assertEqual(notice.sms_state, "no_number")
        self.assertIn("No email address", "".join(notice.message_ids.mapped("body")))

    def test_phone_level_creates_an_activity_for_the_collector(self):
        self.invoice.write(
            {"dunning_level_id": self.level_friendly.id, "last_dunning_date": day(7)}
        )
        run = self._run_dunning(day(14))
        activity = run.notice_ids.activity_id
        self.assertEqual(run.activity_count, 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.res_model, "res.partner")
        self.assertEqual(activity.res_id, self.customer.id)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("account_dunning.mail_activity_type_dunning_call"),
        )
        self.assertIn("1,200.00", activity.note)

    def test_calls_go_to_the_policy_then_the_company_collector_never_the_system_user(self):
        self.customer.dunning_responsible_id = False
        fallback = self._create_user("fallback_collector", "account_dunning.group_dunning_user")
        odoobot = self.env.ref("base.user_root")
        cases = (
            (fallback, self.company.dunning_collector_id, fallback),  # the policy's
            (False, fallback, fallback),  # the company's
            (odoobot, odoobot, False),  # never the system user
            (False, False, False),  # nobody: said, not given to anyone
        )
        for policy_collector, company_collector, expected in cases:
            with self.subTest(expected=expected and expected.login):
                self.policy.default_collector_id = policy_collector
                self.company.sudo().dunning_collector_id = company_collector
                # A new invoice per case: an invoice is dunned once at a level.
                invoice = self._create_dunning_invoice(self.customer, 100.0, DUE)
                invoice.write(
                    {"dunning_level_id": self.level_friendly.id, "last_dunning_date": day(7)}
                )
                run = self._run_dunning(day(14))
                notice = run.notice_ids.filtered(lambda n: n.level_id == self.level_call)
                self.assertEqual(notice.state, "sent", "the notice goes out either way")
                self.assertEqual(notice.activity_id.user_id.id, expected and expected.id)
                self.assertEqual(run.activity_count, 1 if expected else 0)
                warnings = run.log_ids.filtered(lambda log: log.kind == "warning")
                self.assertEqual(bool(warnings), not expected)
                if not expected:
                    self.assertIn("Nobody to call", warnings.message)
                    self.assertIn("Nobody to call", notice.message_ids[:1].body)

    def test_levels_needing_a_check_wait_for_the_collector(self):
        self.invoice.write({"dunning_level_id": self.level_second.id, "last_dunning_date": day(30)})
        run = self._run_dunning(day(45))
        notice = run.notice_ids
        self.assertEqual((notice.state, notice.letter_state), ("draft", "none"))
        self.assertEqual(run.held_count, 1)
        self.assertEqual(self.invoice.dunning_level_id, self.level_final)
        notice.with_user(self.collector).action_send()
        self.assertEqual((notice.state, notice.letter_state), ("sending", "to_print"))
        run.invalidate_recordset()
        self.assertEqual((run.held_count, run.letter_count), (0, 1), "counted whoever sent")

    def test_a_run_and_a_notice_made_apart_share_one_numbering(self):
        other = self.env["res.partner"].create({"name": "Numbered Ltd", "is_company": True})
        self._create_dunning_invoice(other, 300.0, DUE)
        run_notices = self._run_dunning(day(7)).notice_ids.sorted("id")
        self.assertEqual(len(run_notices), 2)
        Notice = self.env["account.dunning.notice"]
        values = {
            "company_id": self.company.id,
            "partner_id": self.customer.id,
            "currency_id": self.company.currency_id.id,
            "level_id": self.level_friendly.id,
        }
        # sudo: only the server makes notices (a run, or a script).
        by_hand = Notice.sudo().create(
            [dict(values, date=day(8)), dict(values, date=date(2027, 2, 1))]
        )
        numbers = [int(name.rsplit("/", 1)[1]) for name in run_notices.mapped("name")]
        self.assertEqual(numbers[1], numbers[0] + 1, "a run's block is consecutive")
        self.assertEqual(
            by_hand.mapped("name"),
            [f"DUN/2026/{numbers[1] + 1:05d}", "DUN/2027/00001"],
            "the next number of the same sequence, in the year of the notice's date",
        )

    def test_a_notice_sent_by_hand_logs_its_fallback_on_its_run(self):
        self.customer.email = False
        self.customer_contact.email = False
        self.level_friendly.auto_execute = False
        run = self._run_dunning(day(7))
        self.assertEqual((run.held_count, run.letter_count, len(run.log_ids)), (1, 0, 0))
        run.notice_ids.with_user(self.collector).action_send()
        run.invalidate_recordset()
        self.assertEqual((run.held_count, run.letter_count), (0, 1))
        fallback = run.log_ids.filtered(lambda log: log.kind == "fallback")
        self.assertEqual(fallback.notice_id, run.notice_ids)

    def test_cancelling_a_notice_puts_invoices_back(self):
        self._run_dunning(day(7))
        notice = self._run_dunning(day(14)).notice_ids
        notice.with_user(self.collector).action_cancel()
        self.assertEqual(notice.state, "cancel")
        self.assertEqual(self.invoice.dunning_level_id, self.level_friendly)
        self.assertFalse(notice.activity_id)
        rerun = self._run_dunning(day(15))
        self.assertEqual(rerun.notice_ids.level_id, self.level_call, "the level can be sent again")

    # ------------------------------------------------------------
    # Notices: grouping, currencies, companies, payments
    # ------------------------------------------------------------

    def test_one_notice_per_customer_currency_and_level(self):
        second = self._create_dunning_invoice(self.customer_contact, 300.0, day(-2))
        eur = self.setup_other_currency("EUR")
        in_eur = self._create_dunning_invoice(self.customer, 500.0, DUE, currency_id=eur.id)
        # Already reminded once: this one reaches the phone call while the others get a reminder.
        called = self._create_dunning_invoice(self.customer, 40.0, day(-10))
        called.write({"dunning_level_id": self.level_friendly.id, "last_dunning_date": day(0)})
        run = self._run_dunning(day(10))
        notices = run.notice_ids
        self.assertEqual(len(notices), 3)
        company_ccy = notices.filtered(lambda n: n.currency_id == self.company.currency_id)
        friendly = company_ccy.filtered(lambda n: n.level_id == self.level_friendly)
        call = company_ccy.filtered(lambda n: n.level_id == self.level_call)
        self.assertEqual(friendly.line_ids.filtered("dunned").move_id, self.invoice | second)
        self.assertEqual(call.line_ids.filtered("dunned").move_id, called)
        # The highest notice also lists the customer's other overdue invoices.
        self.assertEqual(call.line_ids.move_id, called | self.invoice | second)
        eur_notice = notices - company_ccy
        self.assertEqual(eur_notice.line_ids.move_id, in_eur)
        self.assertEqual(eur_notice.amount_residual, 500.0)
        self.assertEqual(self.customer.dunning_notice_count, 3)

    def test_each_company_uses_its_own_policy_and_invoices(self):
        other = self.setup_other_company()["company"]
        other.dunning_policy_id.level_ids.filtered(lambda lvl: lvl.delay == 7).delay = 5
        foreign = self._create_dunning_invoice(self.customer, 700.0, DUE, company=other)
        run = self._run_dunning(day(6))
        self.assertFalse(run.notice_ids, "day 6: not yet due in this company")
        self.assertEqual(run.invoice_count, 1)
        other_run = self._run_dunning(day(6), company=other)
        self.assertEqual(other_run.notice_ids.line_ids.move_id, foreign)
        self.assertEqual(other_run.notice_ids.level_id.company_id, other)
        self.assertEqual(other_run.invoice_count, 1)

    def test_payments_between_runs(self):
        paid = self._create_dunning_invoice(self.customer, 100.0, DUE)
        self._run_dunning(day(7))
        self._pay(paid, 100.0, day(9))
        self._pay(self.invoice, 200.0, day(9))
        run = self._run_dunning(day(14))
        line = run.notice_ids.line_ids
        self.assertEqual(line.move_id, self.invoice)
        self.assertEqual(line.amount_residual, 1000.0)
        self.assertEqual(line.amount_total, 1200.0)
        self.assertEqual(run.invoice_count, 1)

    def test_notice_history_on_invoice_and_customer(self):
        self._run_dunning(day(7))
        self._run_dunning(day(14))
        self.assertEqual(
            self.invoice.dunning_notice_line_ids.level_id, self.level_friendly | self.level_call
        )
        action = self.customer.action_view_dunning_notices()
        self.assertEqual(
            self.env["account.dunning.notice"].search(action["domain"]), self._notices()
        )

    # ------------------------------------------------------------
    # Reliability
    # ------------------------------------------------------------

    def test_database_forbids_dunning_an_invoice_twice_at_a_level(self):
        notice = self._run_dunning(day(7)).notice_ids
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            # sudo: only the run writes notice lines; this probes the database's own guard.
            self.env["account.dunning.notice.line"].sudo().create(
                {
                    "notice_id": notice.id,
                    "move_id": self.invoice.id,
                    "level_id": self.level_friendly.id,
                    "dunned": True,
                }
            )

    def test_one_failing_customer_does_not_stop_the_others(self):
        other = self.env["res.partner"].create({"name": "Broken Ltd", "email": "b@example.com"})
        self._create_dunning_invoice(other, 50.0, DUE)
        template = self.level_friendly.mail_template_id
        # A template that breaks on one customer's data only.
        template.subject = "{{ 1 / 0 if object.partner_id.name == 'Broken Ltd' else 'Reminder' }}"
        run = self._run_dunning(day(7))
        with mute_logger("odoo.addons.account_dunning.models.account_dunning_run_log"):
            self._send_queued_emails()
        broken = self._notices(other)
        self.assertEqual(broken.email_state, "failed")
        self.assertEqual(self._notices().email_state, "queued", "the others are sent")
        self.assertEqual(run.error_count, 1)
        self.assertEqual(run.log_ids.filtered(lambda log: log.kind == "error").partner_id, other)
        self.assertIn(broken.name, other.message_ids[:1].body)
        # Once the template is fixed, the collector sends it again.
        template.subject = "Reminder"
        broken.with_user(self.collector).action_retry_email()
        self._send_queued_emails()
        self.assertEqual(broken.email_state, "queued")

    def test_crash_after_some_batches_is_completed_by_the_next_run(self):
        customers = self.env["res.partner"].create(
            [{"name": f"Crash {i}", "email": f"c{i}@example.com"} for i in range(5)]
        )
        invoices = self.env["account.move"]
        for customer in customers:
            invoices |= self._create_dunning_invoice(customer, 10.0, DUE)
        Run = type(self.env["account.dunning.run"])
        commits = []

        def commit_then_crash(run):
            # Stands in for the commit at each batch boundary (tests cannot commit):
            # a savepoint marks what is kept. On the second boundary the worker dies,
            # losing its uncommitted batch, as a real crash would.
            commits.append(run)
            if len(commits) == 2:
                run.env.cr.execute("ROLLBACK TO SAVEPOINT dunning_test_commit")
                run.env.invalidate_all()
                raise RuntimeError("worker killed")
            run.env.flush_all()
            run.env.cr.execute("SAVEPOINT dunning_test_commit")

        # Odoo's assertRaises would roll the whole run back: keep what was "committed".
        with (
            patch.object(Run, "_dunning_batch_size", 2),
            patch.object(Run, "_commit_batch", commit_then_crash),
        ):
            died = False
            try:
                self._run_dunning(day(7))
            except RuntimeError:
                died = True
            self.assertTrue(died, "the run should have crashed")
        done = (invoices | self.invoice).filtered("dunning_level_id")
        self.assertEqual(len(done), 2, "the first batch of two customers was committed")
        self._run_dunning(day(7))
        self.assertEqual(
            set((invoices | self.invoice).mapped("dunning_level_id")), {self.level_friendly}
        )
        lines = self.env["account.dunning.notice.line"].search(
            [("move_id", "in", (invoices | self.invoice).ids), ("dunned", "=", True)]
        )
        self.assertEqual(len(lines), 6, "each invoice dunned exactly once")
        # The next scheduled run says that the crashed one did not finish.
        crashed = self.env["account.dunning.run"].search([("state", "=", "running")])
        self.assertEqual(len(crashed), 1)
        with freeze_time(day(8)):
            self.env.ref("account_dunning.ir_cron_dunning_run").sudo().method_direct_trigger()
        self.assertEqual(crashed.state, "failed")

    def test_two_concurrent_runs_neither_duplicate_nor_block(self):
        """Two workers on two database cursors run the same company on the same day."""
        # Only committed data is visible to other cursors: use the demo customers of the
        # main company, and roll both cursors back at the end.
        main_company = self.env.ref("base.main_company")
        run_date = fields.Date.add(fields.Date.today(), days=400)
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            try:
                run_a = env_a["account.dunning.run"].create(
                    {"company_id": main_company.id, "date": run_date}
                )
                plan = run_a._prepare_dunning_plan(main_company.with_env(env_a), run_date)
                if not plan["dunnings"]:
                    self.skipTest("needs the demo invoices of the main company")
                by_partner = {}
                for row in plan["dunnings"]:
                    by_partner.setdefault(row["partner_id"], []).append(row)
                # Both workers charge interest: neither may charge what the other did.
                main_company.with_env(env_a).dunning_policy_id.write(
                    {"interest_method": "fixed", "interest_rate": 10}
                )
                # Worker A is in the middle of its batch: its invoices are locked.
                run_a._process_partners(sorted(by_partner), by_partner, plan["statements"])
                env_a.flush_all()
                # Worker B must not wait for A: it fails fast if it ever blocks.
                cr_b.execute("SET LOCAL lock_timeout = '2s'")
                run_b = env_b["account.dunning.run"].create(
                    {"company_id": main_company.id, "date": run_date}
                )
                run_b._run_dunning()
                self.assertEqual(run_b.notice_count, 0, "B leaves A's customers to A")
                self.assertEqual(
                    len(run_b.log_ids.filtered(lambda log: log.reason == "locked")),
                    len(plan["dunnings"]),
                )
                self.assertEqual(run_a.notice_count, len(run_a.notice_ids))
                self.assertTrue(run_a.notice_ids)
                self.assertTrue(run_a.notice_ids.charge_ids, "A charged interest")
                self.assertFalse(run_b.notice_ids.charge_ids, "B charged nothing twice")
            finally:
                cr_a.rollback()
                cr_b.rollback()

    # ------------------------------------------------------------
    # Manual run: preview, then run
    # ------------------------------------------------------------

    def test_preview_writes_nothing_then_run(self):
        wizard = Form(self.env["account.dunning.run.wizard"])
        wizard.date = day(7)
        wizard = wizard.save()
        self.env.flush_all()
        counts = {
            model: self.env[model].search_count([])
            for model in ("account.dunning.notice", "account.dunning.run", "mail.activity")
        }
        wizard.action_preview()
        self.env.flush_all()
        self.assertFalse(self.invoice.dunning_level_id)
        for model, count in counts.items():
            self.assertEqual(self.env[model].search_count([]), count, f"{model} written")
        line = wizard.line_ids.filtered(lambda line: line.partner_id == self.customer)
        self.assertEqual((line.level_id, line.invoice_count), (self.level_friendly, 1))
        self.assertEqual(line.amount_residual, 1200.0)
        self.assertEqual(line.channels, "Email")
        action = wizard.action_run()
        run = self.env["account.dunning.run"].browse(action["res_id"])
        self.assertEqual(run.trigger, "manual")
        self.assertEqual(self.invoice.dunning_level_id, self.level_friendly)

    def test_preview_follows_its_date_and_explains_an_empty_result(self):
        wizard = self.env["account.dunning.run.wizard"].create({"date": day(7)})
        wizard.action_preview()
        self.assertEqual(wizard.line_count, len(wizard.line_ids))
        self.assertIn(self.customer, wizard.line_ids.partner_id)
        # Back to a day when nothing is due: the preview shown is that day's.
        with Form(wizard) as form:
            form.date = day(-30)
            self.assertEqual((form.line_count, len(form.line_ids)), (0, 0))
            self.assertTrue(form.previewed)
        self.env["account.dunning.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [fields.Command.set(self.invoice.ids)],
                "amount": 1200.0,
                "date": day(20),
            }
        )
        wizard.date = day(7)
        wizard.action_preview()
        self.assertFalse(wizard.line_ids.filtered(lambda line: line.partner_id == self.customer))
        self.assertIn("Promise to pay not yet due: 1", wizard.skip_summary)

    def test_notices_hidden_from_salespeople(self):
        salesman = self._create_user("run_salesman", "sales_team.group_sale_salesman")
        notice = self._run_dunning(day(7)).notice_ids
        self.assertFalse(self.env["account.dunning.notice"].with_user(salesman).has_access("read"))
        self.assertTrue(notice.with_user(self.collector).read(["name"]))
        self.assertEqual(
            notice.line_ids,
            self.env["account.dunning.notice.line"].search([("notice_id", "=", notice.id)]),
        )


@tagged("post_install", "-at_install")
class TestBadInputNeverStopsTheRun(DunningTestCommon):
    """A wrong setting or a missing rate gets a clear error or a logged skip; the
    other customers of the run get their notices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._create_user("bad_manager", "account_dunning.group_dunning_manager")
        cls.invoice = cls._create_dunning_invoice(cls.customer, 500.0, DUE)
        cls.other = cls.env["res.partner"].create(
            {"name": "Harbour Bakery", "is_company": True, "email": "ap@harbour.example.com"}
        )
        cls.other_invoice = cls._create_dunning_invoice(cls.other, 300.0, DUE)

    def _run_as_manager(self, run_day):
        """Run Dunning Now, pressed by a dunning manager who is not an accountant."""
        wizard = (
            self.env["account.dunning.run.wizard"]
            .with_user(self.manager)
            .create({"company_id": self.company.id, "date": run_day})
        )
        with mute_logger("odoo.addons.account_dunning.models.account_dunning_run_log"):
            action = wizard.action_run()
        return self.env["account.dunning.run"].browse(action["res_id"])

    def test_day_counts_are_bounded(self):
        for field, days in (
            ("delay", -3_000_000),
            ("delay", 3651),
            ("payment_deadline_days", 10_000_000),
            ("min_interval", 5000),
        ):
            with self.assertRaisesRegex(ValidationError, "between"), self.env.cr.savepoint():
                self.level_final.write({field: days})
        with self.assertRaisesRegex(ValidationError, "between 0 and 3650"):
            self.policy.promise_grace_days = 100_000

    def test_a_failing_customer_is_logged_even_in_a_managers_run(self):
        # A deadline stored before the bound existed overflows the date, on the
        # policy of one customer only.
        broken = self.policy.copy({"name": "Broken ladder"})
        self.other.dunning_policy_id = broken
        level = broken.level_ids.filtered(lambda level: level.delay == self.level_friendly.delay)
        level.flush_recordset()
        self.env.cr.execute(
            "UPDATE account_dunning_level SET payment_deadline_days = 3000000 WHERE id = %s",
            [level.id],
        )
        level.invalidate_recordset()
        run = self._run_as_manager(day(7))
        self.assertEqual(run.state, "done")
        self.assertEqual(run.error_count, 1)
        error = run.log_ids.filtered(lambda log: log.kind == "error")
        self.assertEqual(error.partner_id, self.other)
        self.assertTrue(self.other.message_ids.filtered(lambda msg: "failed" in msg.body))
        notice = run.notice_ids
        self.assertEqual(notice.partner_id, self.customer, "the other customer got its notice")
        self.assertEqual(notice.state, "sending")

    def test_a_deleted_template_sends_a_letter_instead(self):
        self.level_friendly.mail_template_id.unlink()
        run = self._run_as_manager(day(7))
        notices = run.notice_ids
        self.assertEqual(len(notices), 2)
        self.assertEqual(set(notices.mapped("email_state")), {"fallback"})
        self.assertEqual(set(notices.mapped("letter_state")), {"to_print"})
        fallbacks = run.log_ids.filtered(lambda log: log.kind == "fallback")
        self.assertEqual(fallbacks.partner_id, self.customer | self.other)
        self.assertIn("No email template", fallbacks[0].message)

    def test_a_currency_without_rate_leaves_out_the_charge_not_the_reminder(self):
        self.level_friendly.fee_fixed = 5.0
        ves = (
            self.env["res.currency"].with_context(active_test=False).search([("name", "=", "VES")])
        )
        ves.active = True
        ves.rate_ids.unlink()
        self.other_invoice.button_draft()
        self.other_invoice.currency_id = ves
        self.other_invoice.action_post()
        run = self._run_as_manager(day(7))
        self.assertFalse(run.log_ids.filtered(lambda log: log.kind == "error"))
        warning = run.log_ids.filtered(lambda log: log.kind == "warning")
        self.assertEqual(warning.partner_id, self.other)
        self.assertIn("no exchange rate is recorded for VES", warning.message)
        self.assertEqual(run.notice_ids.partner_id, self.customer | self.other)
        other_notice = run.notice_ids.filtered(lambda notice: notice.partner_id == self.other)
        self.assertFalse(other_notice.charge_ids, "no 5 VES fee")
        self.assertEqual(other_notice.state, "sending", "the reminder still goes out")
        self.assertEqual((run.notice_ids - other_notice).charge_ids.amount, 5.0)


@tagged("post_install", "-at_install")
class TestReferenceRateRecords(DunningTestCommon):
    def test_rates_are_dated_on_the_days_their_law_reads_them(self):
        Rate = self.env["account.dunning.reference.rate"]
        with self.assertRaisesRegex(ValidationError, "January 1 and July 1"):
            Rate.create({"rate_type": "ecb", "date_from": "2027-03-15", "rate": 2.0})
        with self.assertRaisesRegex(ValidationError, "December 31 and June 30"):
            Rate.create({"rate_type": "boe", "date_from": "2027-07-01", "rate": 4.0})
        Rate.create({"rate_type": "boe", "date_from": "2026-12-31", "rate": 3.75})

    def test_only_administrators_change_the_shared_rates_and_it_is_tracked(self):
        rate = self.env.ref("account_dunning.reference_rate_ecb_2026_01_01")
        self.assertIn("ECB", rate.source)
        manager = self._create_user("rate_manager", "account_dunning.group_dunning_manager")
        other_company = self.setup_other_company()["company"]
        outsider = self._create_user(
            "rate_outsider", "account_dunning.group_dunning_manager", company=other_company
        )
        for user in (manager, outsider):
            self.assertEqual(rate.with_user(user).rate, 2.15, "everyone reads them")
            with self.assertRaises(AccessError):
                rate.with_user(user).rate = 9.0
            with self.assertRaises(AccessError):
                self.env["account.dunning.reference.rate"].with_user(user).create(
                    {"rate_type": "ecb", "date_from": "2027-01-01", "rate": 9.0}
                )
            with self.assertRaises(AccessError):
                rate.with_user(user).unlink()
        self.assertEqual(rate.rate, 2.15)
        admin = self._create_user("rate_admin", "base.group_system,account.group_account_invoice")
        # A context without the test classes' mail switches: tracking on.
        env = self.env(user=admin, context={"lang": "en_US"})
        env["account.dunning.reference.rate"].browse(rate.id).rate = 2.4
        # Tracking messages are written when the transaction commits.
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = rate.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "rate"
        )
        self.assertEqual((tracked.old_value_float, tracked.new_value_float), (2.15, 2.4))

    def test_every_shipped_rate_names_its_source(self):
        rates = self.env["account.dunning.reference.rate"].search([])
        self.assertFalse(rates.filtered(lambda rate: not rate.source))
        shipped = {(rate.rate_type, str(rate.date_from)) for rate in rates}
        for key in (
            ("ecb", "2026-07-01"),
            ("de_base", "2026-07-01"),
            ("boe", "2026-06-30"),
        ):
            self.assertIn(key, shipped)
