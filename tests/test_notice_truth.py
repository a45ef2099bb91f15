from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import format_date

from .common import DUE, DunningTestCommon, day, email_bodies, smtp_server


@tagged("post_install", "-at_install")
class TestNoticeTruth(DunningTestCommon):
    """A notice tells the truth when it leaves: nothing for paid debt, no step
    skipped, deadlines from the day it is sent, escalations undone by payment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("truth_collector")
        cls.invoice = cls._create_dunning_invoice(cls.customer, 1200.0, DUE)
        cls.policy.jump_to_highest_level = True
        cls.Notice = cls.env["account.dunning.notice"]

    def _held_final_demand(self, partner=None):
        partner = partner or self.customer
        notice = self._run_dunning(day(50)).notice_ids.filtered(
            lambda notice: notice.partner_id == partner
        )
        self.assertEqual((notice.level_id, notice.state), (self.level_final, "draft"))
        return notice

    def _mails(self, notice):
        return self.env["mail.mail"].search(
            [("model", "=", notice._name), ("res_id", "=", notice.id)]
        )

    def test_a_held_notice_for_a_customer_who_paid_is_cancelled_not_sent(self):
        notice = self._held_final_demand()
        self._pay(self.invoice, 1200.0, day(51))
        with freeze_time(day(52)):
            notice.with_user(self.collector).action_send()
        self.assertEqual(notice.state, "cancel")
        self.assertFalse(notice.charge_move_id)
        self.assertFalse(self._mails(notice))
        self.assertEqual(notice.letter_state, "none")
        self.assertIn("not sent: paid in full", notice.message_ids[0].body)

    def test_a_queued_email_for_a_customer_who_paid_never_reaches_the_mail_queue(self):
        self.policy.jump_to_highest_level = False
        notice = self._run_dunning(day(7)).notice_ids
        self.assertEqual(notice.email_state, "pending")
        self._pay(self.invoice, 1200.0, day(8))
        self.Notice._cron_send_dunning_emails()
        self.assertFalse(self._mails(notice))
        self.assertEqual((notice.state, notice.email_state), ("cancel", "none"))

    def _queued_email(self):
        """A friendly reminder written into Odoo's mail queue by the email job."""
        self.policy.jump_to_highest_level = False
        notice = self._run_dunning(day(7)).notice_ids
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()
        mail = self._mails(notice)
        self.assertEqual((notice.email_state, mail.state), ("queued", "outgoing"))
        return notice, mail

    def _flush_mail_queue(self):
        """Odoo's own mail cron, talking to a real SMTP server: the emails' bodies the
        customer got."""
        with smtp_server() as (port, inbox), self._smtp(port):
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo().method_direct_trigger()
        return email_bodies(inbox, "ap@lakeside.example.com")

    def test_paid_after_the_email_job_nothing_leaves_the_mail_queue(self):
        notice, mail = self._queued_email()
        self._pay(self.invoice, 1200.0, day(8))
        self.assertEqual(self._flush_mail_queue(), [])
        self.assertEqual(mail.state, "cancel")
        self.assertIn("payments received", mail.failure_reason)
        self.assertEqual((notice.state, notice.email_state), ("cancel", "none"))
        self.assertTrue(
            any("not sent: paid in full" in message.body for message in notice.message_ids)
        )

    def test_part_paid_after_the_email_job_the_email_asks_what_is_left(self):
        notice, mail = self._queued_email()
        self._pay(self.invoice, 500.0, day(8))
        received = self._flush_mail_queue()
        self.assertEqual(len(received), 1, "one email, written again")
        self.assertIn("700.00", received[0])
        self.assertNotIn("1,200.00", received[0])
        self.assertEqual(mail.state, "cancel", "the first one stayed home")
        self.assertEqual(notice.amount_residual, 700.0)
        self.assertEqual((notice.state, notice.email_state), ("sent", "sent"))

    def test_a_notice_cancelled_after_the_email_job_sends_nothing(self):
        notice, mail = self._queued_email()
        notice.with_user(self.collector).action_cancel()
        self.assertEqual(self._flush_mail_queue(), [])
        self.assertEqual(mail.state, "cancel")

    def test_a_part_payment_after_the_notice_changes_what_it_asks(self):
        notice = self._held_final_demand()
        self._pay(self.invoice, 500.0, day(51))
        with freeze_time(day(52)):
            notice.with_user(self.collector).action_send()
        self.assertEqual(notice.state, "sending")
        self.assertEqual((notice.amount_residual, notice.amount_dunned), (700.0, 700.0))
        self.assertEqual(notice.line_ids.amount_residual, 700.0)
        letter = self.env["report.account_dunning.report_dunning_notice"]._get_letter_values(
            notice
        )[notice.id]
        self.assertEqual(letter["total"], 700.0)

    def test_an_invoice_stays_at_its_level_while_that_notice_is_held(self):
        notice = self._held_final_demand()
        for offset in (95, 120):
            run = self._run_dunning(day(offset))
            self.assertFalse(run.notice_ids)
            self.assertEqual(run.log_ids.reason, "held")
            self.assertEqual(self.invoice.dunning_level_id, self.level_final)
        row = self.env["account.dunning.worklist"].search([("partner_id", "=", self.customer.id)])
        self.assertTrue(row.notice_to_check)
        # Sent, the ladder goes on.
        notice.with_user(self.collector).action_send()
        self.assertEqual(notice.state, "sending")
        run = self._run_dunning(day(121))
        self.assertEqual(
            self.invoice.dunning_level_id, self.level_agency, run.log_ids.mapped("reason")
        )

    def test_the_deadline_counts_from_the_day_the_notice_is_sent(self):
        notice = self._held_final_demand()  # made on day 50
        with freeze_time(day(53)):
            notice.with_user(self.collector).action_send()
        # Sent three days later: 10 days from day 53, not from day 50.
        self.assertEqual(notice.payment_deadline, day(63))
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account_dunning.action_report_dunning_notice", notice.ids)[0]
            .decode()
        )
        self.assertIn(format_date(self.env, day(63)), html)
        self.assertNotIn(format_date(self.env, day(60)), html)

    def test_payment_lifts_an_escalations_hold_not_a_manual_one(self):
        other = self.env["res.partner"].create(
            {"name": "Held By Hand Ltd", "is_company": True, "email": "ap@hand.example.com"}
        )
        # Not far enough on the ladder to escalate: its hold is a manager's decision.
        other_invoice = self._create_dunning_invoice(other, 300.0, day(60))
        other.dunning_credit_hold = True
        notice = self._run_dunning(day(95)).notice_ids.filtered(
            lambda notice: notice.partner_id == self.customer
        )
        self.assertEqual(notice.level_id, self.level_agency)
        notice.with_user(self.collector).action_send()
        self.assertTrue(self.customer.dunning_credit_hold)
        self.assertEqual(self.customer.dunning_stage, "agency")
        self._pay(self.invoice, 1200.0, day(96))
        self._pay(other_invoice, 300.0, day(96))
        self._run_dunning(day(97))
        self.assertFalse(self.customer.dunning_credit_hold)
        self.assertEqual(self.customer.dunning_stage, "normal")
        self.assertIn("credit hold set by dunning is lifted", self.customer.message_ids[0].body)
        self.assertTrue(other.dunning_credit_hold, "a hold set by hand stays")

    def test_bulk_send_sends_the_valid_notices_and_reports_the_others(self):
        customers = self.env["res.partner"].create(
            [
                {"name": f"Bulk {index}", "is_company": True, "email": f"b{index}@example.com"}
                for index in range(3)
            ]
        )
        invoices = [self._create_dunning_invoice(customer, 400.0, DUE) for customer in customers]
        notices = self._run_dunning(day(50)).notice_ids.filtered(
            lambda notice: notice.partner_id in customers
        )
        self.assertEqual(set(notices.mapped("state")), {"draft"})
        self._pay(invoices[1], 400.0, day(51))  # paid meanwhile
        already = notices.filtered(lambda notice: notice.partner_id == customers[2])
        already.with_user(self.collector).action_send()  # sent by a colleague
        action = notices.with_user(self.collector).action_send()
        by_customer = {notice.partner_id: notice for notice in notices}
        self.assertEqual(by_customer[customers[0]].state, "sending")
        self.assertEqual(by_customer[customers[1]].state, "cancel")
        self.assertEqual(action["params"]["title"], "1 of 3 notices sent")
        self.assertIn("paid in full meanwhile", action["params"]["message"])
        self.assertIn("not waiting to be sent", action["params"]["message"])

    def test_a_customer_on_a_payment_plan_stage_is_not_dunned(self):
        self.customer.dunning_stage = "payment_plan"
        run = self._run_dunning(day(50))
        self.assertFalse(run.notice_ids)
        self.assertEqual(run.log_ids.reason, "stage")

    def test_no_role_sends_without_the_right_or_marks_an_escalation_by_hand(self):
        notice = self._held_final_demand()
        salesperson = self._create_user("truth_seller", "sales_team.group_sale_salesman")
        billing = self._create_user("truth_billing", "account.group_account_invoice")
        for user in (salesperson, billing):
            with self.assertRaises(AccessError):
                notice.with_user(user).action_send()
        self.assertEqual((notice.state, notice.payment_deadline), ("draft", day(60)))
        self.assertFalse(notice.charge_move_id)
        # Whether the ladder set a hold is the server's to say: nobody writes it, nor
        # imports it, collectors included.
        for user in (salesperson, billing, self.collector):
            with self.assertRaises(AccessError):
                self.customer.with_user(user).write({"dunning_escalated": True})
            result = (
                self.env["res.partner"]
                .with_user(user)
                .load([".id", "dunning_escalated"], [[str(self.customer.id), "1"]])
            )
            self.assertFalse(result["ids"])
        self.assertFalse(self.customer.dunning_escalated)
