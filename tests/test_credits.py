from odoo.tests import tagged

from .common import DUE, DunningTestCommon, day, email_bodies, smtp_server


@tagged("post_install", "-at_install")
class TestCredits(DunningTestCommon):
    """Ask only what is owed: open credit notes and payments not applied yet reduce
    what a reminder asks, and a customer they cover is not reminded at all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("credits_collector")
        cls.policy.jump_to_highest_level = False
        cls.invoice = cls._create_dunning_invoice(cls.customer, 1000.0, DUE)

    def _credit_note(self, amount):
        return self._create_dunning_invoice(self.customer, amount, day(-20), move_type="out_refund")

    def _unapplied_payment(self, amount):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": amount,
                "date": day(2),
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        return payment

    def _todos(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("summary", "ilike", "credits"),
            ]
        )

    def _worklist(self):
        return self.env["account.dunning.worklist"].search([("partner_id", "=", self.customer.id)])

    def test_a_customer_whose_credit_note_covers_the_invoice_is_not_reminded(self):
        self._credit_note(1000.0)
        run = self._run_dunning(day(7))
        self.assertFalse(run.notice_ids)
        self.assertEqual(run.log_ids.mapped("reason"), ["credits"])
        todo = self._todos()
        self.assertEqual(todo.user_id, self.collector)
        self.assertIn("1,000.00", str(todo.note))
        self.assertEqual(self.invoice.dunning_level_id, self.env["account.dunning.level"])
        # A rerun adds no second to-do, nor a reminder.
        self.assertFalse(self._run_dunning(day(15)).notice_ids)
        self.assertEqual(self._todos(), todo)
        self.assertEqual(self._worklist().amount_overdue_net, 0.0)

    def test_a_customer_whose_unapplied_payment_covers_the_invoice_is_not_reminded(self):
        self._unapplied_payment(1000.0)
        run = self._run_dunning(day(7))
        self.assertFalse(run.notice_ids)
        self.assertEqual(run.log_ids.mapped("reason"), ["credits"])
        self.assertTrue(self._todos())

    def test_credits_under_the_minimum_apart_cover_the_invoice(self):
        # 990 of credits leave 10 owed: under the policy's minimum of 50, not dunned.
        self.policy.min_residual = 50.0
        self._credit_note(990.0)
        self.assertFalse(self._run_dunning(day(7)).notice_ids)

    def test_a_part_covered_customer_is_asked_the_net(self):
        self._credit_note(300.0)
        notice = self._run_dunning(day(7)).notice_ids
        self.assertEqual(notice.amount_residual, 1000.0)
        self.assertEqual((notice.amount_credits, notice.amount_due), (300.0, 700.0))
        letter = self.env["report.account_dunning.report_dunning_notice"]._get_letter_values(
            notice
        )[notice.id]
        self.assertEqual(letter["total"], 700.0)
        self.assertFalse(self._todos(), "something is still owed: the ladder works")
        worklist = self._worklist()
        self.assertEqual((worklist.amount_overdue, worklist.amount_credits), (1000.0, 300.0))
        self.assertEqual(worklist.amount_overdue_net, 700.0)
        # The email says it, through Odoo's mail queue and a real SMTP server.
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()
        with smtp_server() as (port, inbox), self._smtp(port):
            self.env["mail.mail"].search([("res_id", "=", notice.id)]).send()
        body = email_bodies(inbox, "ap@lakeside.example.com")[0]
        self.assertIn("Less your credits", body)
        self.assertIn("700.00", body)

    def test_a_credit_arriving_before_the_reminder_leaves_cancels_it(self):
        self.policy.jump_to_highest_level = True
        notice = self._run_dunning(day(50)).notice_ids  # the final demand waits for its check
        self.assertEqual(notice.state, "draft")
        self._credit_note(1000.0)
        notice.with_user(self.collector).action_send()
        self.assertEqual(notice.state, "cancel")
        self.assertIn("covered by the customer's credits", notice.message_ids[0].body)

    def test_the_statement_nets_the_credits(self):
        self._credit_note(250.0)
        statement = self.env["report.account_dunning.report_dunning_statement"]
        section = statement._get_statement_values(self.customer)[self.customer.id]["sections"][0]
        self.assertEqual((section["credits"], section["total"]), (250.0, 750.0))

    def test_interest_on_a_credit_is_credited_back_once_it_is_reconciled(self):
        # A large debt, so that the interest shows: 100,000.00 less a credit note of
        # 30,000.00 dated before the due date, reconciled only after the first notice.
        self.policy.write({"interest_method": "fixed", "interest_rate": 10.0})
        customer = self.env["res.partner"].create({"name": "Fenwick Ltd", "is_company": True})
        invoice = self._create_dunning_invoice(customer, 100000.0, DUE)
        credit_note = self._create_dunning_invoice(
            customer, 30000.0, day(-20), move_type="out_refund"
        )
        notice = self._run_dunning(day(30)).notice_ids.filtered(
            lambda notice: notice.partner_id == customer
        )
        self.assertEqual((notice.amount_credits, notice.amount_due), (30000.0, 70000.0))
        Charge = self.env["account.dunning.charge"]
        charges = Charge.search([("notice_id.partner_id", "=", customer.id)])
        # Days 1-30 on 100,000.00 at 10 %: 821.92, until the credit is applied.
        self.assertEqual(charges.amount, 821.92)
        (invoice | credit_note).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        self._run_dunning(day(60))
        # Applied, the credit settled 30,000.00 from its own date: 246.58 credited.
        correction = Charge.search(
            [("notice_id.partner_id", "=", customer.id), ("kind", "=", "correction")]
        )
        self.assertEqual(correction.amount, -246.58)
        self.assertEqual(round(30000 * 0.10 * 30 / 365, 2), 246.58)
