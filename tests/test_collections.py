from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import DUE, DunningTestCommon, day, smtp_server


@tagged("post_install", "-at_install")
class TestCollections(DunningTestCommon):
    """Promises, disputes, calls with outcomes, delivery and the history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("collections_collector")
        cls.invoice = cls._create_dunning_invoice(cls.customer, 1200.0, DUE)
        cls.Notice = cls.env["account.dunning.notice"]

    def _notices(self):
        return self.Notice.search([("partner_id", "=", self.customer.id)], order="id")

    def _events(self, kind=None):
        domain = [("partner_id", "=", self.customer.id)]
        if kind:
            domain.append(("kind", "=", kind))
        return self.env["account.dunning.event"].search(domain, order="id")

    # ------------------------------------------------------------
    # Promises to pay
    # ------------------------------------------------------------

    def test_a_broken_promise_resumes_the_ladder(self):
        self._run_dunning(day(7))
        promise = self._promise(self.invoice, 1200.0, day(20), note="Owner back on Monday")
        self.assertEqual(self.invoice.dunning_promise_date, day(20))
        run = self._run_dunning(day(21))  # within the policy's 3 grace days
        self.assertEqual(run.log_ids.reason, "promise")
        self.assertEqual(promise.state, "open")
        self.assertEqual(self.invoice.dunning_level_id, self.level_friendly)

        with freeze_time(day(24)):
            run = self._run_dunning(day(24))
        self.assertEqual(promise.state, "broken")
        self.assertFalse(self.invoice.dunning_promise_date)
        self.assertEqual(self.invoice.dunning_level_id, self.level_call, "the ladder resumed")
        self.assertEqual(run.notice_ids.level_id, self.level_call)
        self.assertEqual(
            promise.activity_id.user_id, self.collector, "a follow-up for the collector"
        )
        self.assertIn("Broken", promise.activity_id.summary)
        self.assertEqual(self._events("promise").mapped("summary")[-1].rsplit(": ", 1)[1], "Broken")

    def test_a_new_promise_answers_the_broken_ones_follow_up(self):
        self._run_dunning(day(7))
        broken = self._promise(self.invoice, 1200.0, day(20))
        with freeze_time(day(24)):
            self._run_dunning(day(24))
            follow_up = broken.activity_id
            self.assertEqual(broken.state, "broken")
            self.assertTrue(follow_up)
            # The collector calls and gets a new promise: the follow-up is done.
            self.env["account.dunning.promise"].with_user(self.collector).create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.invoice.ids)],
                    "amount": 1200.0,
                    "date": day(40),
                }
            )
        self.assertFalse(follow_up.exists(), "the follow-up is done")
        self.assertTrue(
            self.customer.message_ids.filtered(lambda m: "New promise to pay" in (m.body or "")),
            "said in the chatter",
        )

    def test_a_kept_promise_does_not_resume_the_ladder(self):
        self._run_dunning(day(7))
        promise = self._promise(self.invoice, 1200.0, day(20))
        self._pay(self.invoice, 1200.0, day(19))
        run = self._run_dunning(day(30))
        self.assertEqual((promise.state, promise.amount_paid), ("kept", 1200.0))
        self.assertFalse(run.notice_ids)
        self.assertFalse(promise.activity_id)
        self.assertEqual(self.invoice.dunning_level_id, self.level_friendly)

    def test_a_partly_kept_promise_says_so_and_resumes(self):
        self._run_dunning(day(7))
        promise = self._promise(self.invoice, 1200.0, day(20))
        self._pay(self.invoice, 500.0, day(19))
        run = self._run_dunning(day(30))
        self.assertEqual((promise.state, promise.amount_paid), ("partial", 500.0))
        self.assertEqual(run.notice_ids.amount_dunned, 700.0)

    def test_a_promise_is_for_open_invoices_of_its_customer(self):
        other = self.env["res.partner"].create({"name": "Other Ltd", "is_company": True})
        with self.assertRaises(ValidationError):
            self._promise(self.invoice, 0.0, day(20))
        foreign = self._create_dunning_invoice(other, 10.0, DUE)
        with self.assertRaises(ValidationError):
            self._promise(self.invoice | foreign, 10.0, day(20))
        self._pay(self.invoice, 1200.0, day(1))
        with self.assertRaises(UserError):
            self._promise(self.invoice, 10.0, day(20))

    # ------------------------------------------------------------
    # Disputes
    # ------------------------------------------------------------

    def test_a_partial_dispute_holds_only_its_amount(self):
        dispute = self._dispute(self.invoice, 400.0, note="Two doors scratched")
        self.assertEqual(self.invoice.dunning_disputed_amount, 400.0)
        run = self._run_dunning(day(7))
        self.assertEqual(run.notice_ids.amount_dunned, 800.0, "the undisputed rest is dunned")
        self.assertEqual(run.notice_ids.line_ids.amount_residual, 800.0)
        with self.assertRaises(ValidationError, msg="more than is left to pay"):
            self._dispute(self.invoice, 900.0)
        # Disputing the rest too holds the whole invoice.
        self._dispute(self.invoice, 800.0, reason="damaged")
        run = self._run_dunning(day(20))
        self.assertEqual(run.log_ids.reason, "blocked")
        self.assertEqual(dispute.state, "open")

    def test_an_accepted_dispute_posts_a_credit_note_for_exactly_its_amount(self):
        invoice = self._create_dunning_invoice(self.customer, 1000.0, DUE)
        invoice.button_draft()
        invoice.invoice_line_ids.tax_ids = self.tax_sale_a  # 15 %
        invoice.action_post()
        self.assertEqual(invoice.amount_total, 1150.0)
        dispute = self._dispute(invoice, 333.33, reason="price")
        dispute.action_accept()
        credit_note = dispute.credit_note_id
        self.assertEqual(dispute.state, "accepted")
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        self.assertEqual(credit_note.reversed_entry_id, invoice, "Odoo's own reversal")
        self.assertEqual(credit_note.amount_total, 333.33)
        self.assertAlmostEqual(invoice.amount_residual, 816.67)
        self.assertEqual(invoice.dunning_disputed_amount, 0.0, "settled: nothing held any more")

    def test_a_rejected_dispute_needs_an_answer_and_resumes_dunning(self):
        dispute = self._dispute(self.invoice, 1200.0)
        self.assertEqual(self._run_dunning(day(7)).log_ids.reason, "blocked")
        with self.assertRaises(UserError):
            dispute.action_reject()
        dispute.answer = "The delivery note is signed for 12 doors."
        dispute.action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertEqual(self._run_dunning(day(8)).notice_ids.amount_dunned, 1200.0)
        self.assertIn("12 doors", self._events("dispute")[-1].note)
        with self.assertRaises(UserError):
            dispute.action_withdraw()

    def test_no_role_settles_a_dispute_or_a_promise_by_writing_its_state(self):
        dispute = self._dispute(self.invoice, 100.0)
        promise = self._promise(self.invoice, 100.0, day(20))
        salesperson = self._create_user("coll_seller", "sales_team.group_sale_salesman")
        billing = self._create_user("coll_billing", "account.group_account_invoice")
        for user in (salesperson, billing):
            with self.assertRaises(AccessError):
                self.env["account.dunning.dispute"].with_user(user).create(
                    {"move_id": self.invoice.id, "amount": 10.0, "reason": "other"}
                )
            with self.assertRaises(AccessError):
                dispute.with_user(user).action_accept()
        for user in (salesperson, billing, self.collector):
            with self.assertRaises(AccessError):
                dispute.with_user(user).write({"state": "withdrawn"})
            with self.assertRaises(AccessError):
                promise.with_user(user).write({"state": "kept"})
            with self.assertRaises(AccessError):
                self.invoice.with_user(user).write({"dunning_disputed_amount": 0.0})
        self.assertEqual((dispute.state, promise.state), ("open", "open"))
        self.assertEqual(self.invoice.dunning_disputed_amount, 100.0)
        # Settled, they are on record: not even their amounts change.
        dispute.with_user(self.collector).action_withdraw()
        promise.with_user(self.collector).action_cancel()
        for record in (dispute, promise):
            with self.assertRaises(ValidationError):
                record.with_user(self.collector).write({"amount": 1.0})
        self.assertEqual((dispute.amount, promise.amount), (100.0, 100.0))

    # ------------------------------------------------------------
    # Calls with outcomes
    # ------------------------------------------------------------

    def _call(self):
        self._run_dunning(day(7))
        with freeze_time(day(14)):
            call = self._run_dunning(day(14)).notice_ids.activity_id
        self.assertEqual(
            call.activity_type_id, self.env.ref("account_dunning.mail_activity_type_dunning_call")
        )
        return call

    def _log_call(self, call, **values):
        action = self.customer.with_user(self.collector).action_dunning_log_call()
        self.assertEqual(action["context"]["default_activity_id"], call.id)
        wizard = (
            self.env["account.dunning.call.outcome"]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create(values)
        )
        return wizard.action_done()

    def test_a_call_with_a_promise(self):
        call = self._call()
        with self.assertRaises(UserError):
            call.with_user(self.collector).action_feedback(feedback="done")
        self._log_call(
            call,
            outcome="promise",
            move_ids=self.invoice.ids,
            promise_amount=1200.0,
            promise_date=day(21),
            note="Will pay after the board meeting",
        )
        self.assertFalse(call.exists(), "the call is done")
        promise = self.env["account.dunning.promise"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertRecordValues(
            promise, [{"amount": 1200.0, "date": day(21), "user_id": self.collector.id}]
        )
        entry = self._events("call")
        self.assertRecordValues(
            entry,
            [{"call_outcome": "promise", "promise_id": promise.id, "user_id": self.collector.id}],
        )

    def test_no_answer_schedules_the_next_try(self):
        call = self._call()
        self._log_call(call, outcome="no_answer", next_call_date=day(16))
        again = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertRecordValues(
            again,
            [
                {
                    "activity_type_id": self.env.ref(
                        "account_dunning.mail_activity_type_dunning_call"
                    ).id,
                    "date_deadline": day(16),
                    "user_id": self.collector.id,
                }
            ],
        )

    def test_a_call_with_a_dispute(self):
        call = self._call()
        self._log_call(
            call,
            outcome="dispute",
            move_ids=self.invoice.ids,
            dispute_amount=300.0,
            dispute_reason="quantity",
        )
        self.assertEqual(self.invoice.dunning_disputed_amount, 300.0)

    def test_only_dunning_users_log_calls(self):
        call = self._call()
        billing = self._create_user("coll_billing2", "account.group_account_invoice")
        with self.assertRaises(AccessError):
            self.env["account.dunning.call.outcome"].with_user(billing).create(
                {"partner_id": self.customer.id, "activity_id": call.id, "outcome": "reached"}
            ).action_done()
        self.assertTrue(call.exists())

    # ------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------

    def _queued_mail(self):
        self._run_dunning(day(7))
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()
        notice = self._notices()
        self.assertEqual((notice.state, notice.email_state), ("sending", "queued"))
        mail = self.env["mail.mail"].search(
            [("model", "=", notice._name), ("res_id", "=", notice.id)]
        )
        self.assertEqual(mail.state, "outgoing")
        return notice, mail

    def test_a_delivered_email_shows_as_sent(self):
        notice, mail = self._queued_mail()
        with smtp_server() as (port, inbox), self._smtp(port):
            mail.send()
        self.assertEqual(len(inbox.messages), 1)
        self.assertEqual(inbox.messages[0].rcpt_tos, ["ap@lakeside.example.com"])
        self.assertEqual((notice.state, notice.email_state), ("sent", "sent"))

    def test_a_failed_delivery_shows_as_failed_with_retry(self):
        notice, mail = self._queued_mail()
        with self._smtp(1):  # nothing listens on port 1: connection refused
            mail.send()
        self.assertEqual((notice.state, notice.email_state), ("sending", "failed"))
        self.assertTrue(notice.email_failure_reason)
        notice.with_user(self.collector).action_retry_email()
        self.assertEqual(notice.email_state, "pending", "queued again")

    def test_a_level_can_send_the_statement_of_account(self):
        self.level_friendly.send_statement = True
        other = self.env["res.partner"].create({"name": "No Mail Ltd", "is_company": True})
        self._create_dunning_invoice(other, 300.0, DUE)
        run = self._run_dunning(day(7))
        statement = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(len(statement), 1)
        self.assertIn("statement of account", statement.subject)
        self.assertEqual(self._events("statement").partner_id, self.customer)
        warning = run.log_ids.filtered(
            lambda log: log.kind == "warning" and "no statement of account" in log.message
        )
        self.assertEqual(warning.partner_id, other, "said, and the others go on")

    # ------------------------------------------------------------
    # History
    # ------------------------------------------------------------

    def test_the_history_records_each_event_in_order(self):
        self._run_dunning(day(7))
        promise = self._promise(self.invoice, 600.0, day(20))
        dispute = self._dispute(self.invoice, 100.0)
        dispute.action_withdraw()
        self.assertEqual(
            self._events().sorted("id").mapped("kind"),
            ["notice", "promise", "dispute", "dispute"],
        )
        entry = self._events("notice")
        self.assertEqual(entry.notice_id, self._notices())
        self.assertIn("email", entry.summary)
        self.assertEqual(self._events("promise").promise_id, promise)
        with self.assertRaises(AccessError):
            entry.with_user(self.collector).write({"summary": "nothing happened"})
        with self.assertRaises(AccessError):
            entry.with_user(self.collector).unlink()
