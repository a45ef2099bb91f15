from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
class TestNoticePage(DunningTestCommon, HttpCase):
    """A reminder's customer page: opened with its token and no login, it shows what
    is still owed today and pays exactly that, reconciled with the invoices at once.
    An HttpCase: the requests reach the server, which sees the test's transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("page_collector")
        cls.policy.jump_to_highest_level = False
        cls.level_friendly.fee_fixed = 10.0
        cls.first = cls._create_dunning_invoice(cls.customer, 1000.0, DUE)
        cls.second = cls._create_dunning_invoice(cls.customer, 500.0, DUE)
        cls._pay(cls.first, 200.0, day(3))  # part-paid before the reminder
        cls.provider, cls.method = cls._setup_demo_provider()

    def _notice(self):
        notice = self._run_dunning(day(7)).notice_ids
        self.assertEqual((notice.partner_id, notice.state), (self.customer, "sending"))
        self.assertTrue(notice.charge_move_id, "the friendly level's fee is invoiced")
        notice._portal_ensure_token()  # as the email and the letter do
        return notice

    def _transaction(self, processing):
        """The transaction a payment form's request made."""
        return (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", processing["reference"])])
        )

    def _active_plan(self):
        """The customer's two invoices in a payment plan it accepted."""
        plan = self.env["account.dunning.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set((self.first | self.second).ids)],
                "installment_count": 2,
                "first_date": day(10),
            }
        )
        plan.action_propose()
        plan.action_accept()
        return plan

    def _pay_from_page(self, notice, access_token=None):
        """What the payment form posts, as a visitor who is not logged in: the
        amount it sends is ignored."""
        return self.make_jsonrpc_request(
            f"/my/dunning/{notice.id}/transaction",
            self._payment_form_values(
                self.provider,
                self.method,
                access_token or notice.access_token,
                notice.get_portal_url(),
            ),
        )

    def test_a_customer_pays_a_reminder_from_its_page_without_logging_in(self):
        notice = self._notice()
        charges = notice.charge_move_id
        page = self.url_open(notice.get_portal_url())
        self.assertEqual(page.status_code, 200)
        for text in (notice.name, self.first.name, self.second.name, charges.name, "800.00"):
            self.assertIn(text, page.text)
        self.assertIn("Pay now", page.text)
        # One invoice alone is paid on its own page, through Odoo's invoice flow.
        for move in self.first | self.second:
            self.assertIn(move.get_portal_url().replace("&", "&amp;"), page.text)

        processing = self._pay_from_page(notice)
        tx = self._transaction(processing)
        # 800.00 left of the first, 500.00 of the second and the 10.00 fee.
        self.assertEqual(tx.amount, 1310.0)
        self.assertEqual(tx.invoice_ids, self.first | self.second | charges)
        self.assertEqual(tx.dunning_notice_id, notice)
        for _twice in range(2):  # the provider's notification, received twice
            self.make_jsonrpc_request(
                "/payment/demo/simulate_payment",
                {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"},
            )
        tx._post_process()
        self.assertEqual(
            self.env["account.payment"].search_count([("payment_transaction_id", "=", tx.id)]), 1
        )
        for move in self.first | self.second | charges:
            self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)
        self.assertTrue(notice.paid_online)
        self.assertIn("Paid online", notice.message_ids[0].body)
        # The page says so and asks nothing more; the ladder stops.
        page = self.url_open(notice.get_portal_url())
        self.assertIn("nothing of this reminder is left to pay", page.text)
        self.assertNotIn("Pay now", page.text)
        self.assertFalse(
            self._run_dunning(day(14)).notice_ids.filtered(
                lambda other: other.partner_id == self.customer
            )
        )
        worklist = self.env["account.dunning.worklist"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertFalse(worklist.amount_overdue)

    def test_the_email_link_opens_the_page_and_pays_in_the_browser(self):
        notice = self._notice()
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()
        mail = self.env["mail.mail"].search(
            [("model", "=", notice._name), ("res_id", "=", notice.id)]
        )
        link = notice.get_portal_url()
        self.assertIn(link.replace("&", "&amp;"), mail.body_html)
        self.start_tour(link, "account_dunning_notice_pay")  # no login
        self.assertTrue(notice.paid_online)
        self.assertEqual(notice.transaction_ids.state, "done")
        for move in self.first | self.second | notice.charge_move_id:
            self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)

    def test_a_wholly_disputed_invoice_is_not_asked_for_nor_paid(self):
        notice = self._notice()
        self._dispute(self.second, 500.0)
        self.assertEqual(notice._get_portal_payable_moves(), self.first | notice.charge_move_id)
        processing = self._pay_from_page(notice)
        tx = self._transaction(processing)
        self.assertEqual(tx.amount, 810.0)
        self.assertEqual(tx.invoice_ids, self.first | notice.charge_move_id)
        tx._set_done()
        tx._post_process()
        self.assertEqual(self.second.amount_residual, 500.0, "the disputed invoice is untouched")

    def test_a_broken_plans_agreement_and_a_usd_plan_letter_link_to_the_plans_page(self):
        plan = self._active_plan()
        agreement = self.env["report.account_dunning.report_payment_plan"]._get_agreement_values(
            plan
        )[plan.id]
        self.assertEqual(agreement["qr_kind"], "link")
        self.assertEqual(agreement["payment_link"], plan.get_base_url() + plan.get_portal_url())

    def test_a_wrong_token_shows_nothing_and_pays_nothing(self):
        notice = self._notice()
        other = self.env["res.partner"].create({"name": "Other Ltd", "is_company": True})
        self._create_dunning_invoice(other, 300.0, DUE)
        other_notice = self._run_dunning(day(8)).notice_ids.filtered(
            lambda notice: notice.partner_id == other
        )
        other_notice._portal_ensure_token()
        for token in ("wrong", other_notice.access_token, ""):
            page = self.url_open(f"/my/dunning/{notice.id}?access_token={token}")
            self.assertNotIn(notice.name, page.text)
            self.assertNotIn(self.first.name, page.text)
        with self.assertRaises(JsonRpcException), self.assertLogs("odoo.http", "WARNING") as logs:
            self._pay_from_page(notice, access_token=other_notice.access_token)
        self.assertIn("The access token is invalid", logs.output[0])
        self.assertFalse(self.env["payment.transaction"].sudo().search([]).dunning_notice_id)

    def test_a_held_notice_is_not_the_customers_yet(self):
        self.policy.jump_to_highest_level = True
        held = self._run_dunning(day(50)).notice_ids
        self.assertEqual(held.state, "draft")
        held._portal_ensure_token()
        self.assertNotIn(held.name, self.url_open(held.get_portal_url()).text)

    def test_paid_online_cancels_the_held_notices_of_those_invoices(self):
        notice = self._notice()
        self.policy.jump_to_highest_level = True
        held = self._run_dunning(day(50)).notice_ids
        self.assertEqual((held.state, held.level_id), ("draft", self.level_final))
        processing = self._pay_from_page(notice)
        tx = self._transaction(processing)
        tx._set_done()
        tx._post_process()
        self.assertEqual(held.state, "cancel", "the ladder stops now, not at the next run")

    def test_a_portal_customer_finds_its_reminders(self):
        notice = self._notice()
        portal = self._create_user("page_portal", "base.group_portal")
        portal.partner_id.parent_id = self.customer
        stranger = self._create_user("page_stranger", "base.group_portal")
        self.authenticate("page_portal", "page_portal")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["dunning_notice_count"]})
        self.assertEqual(counters["dunning_notice_count"], 1)
        listing = self.url_open("/my/dunning")
        self.assertIn(notice.name, listing.text)
        self.authenticate("page_stranger", "page_stranger")
        self.assertNotIn(notice.name, self.url_open("/my/dunning").text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["dunning_notice_count"]})
        self.assertEqual(counters["dunning_notice_count"], 0)
        self.assertTrue(stranger)

    def test_the_portal_home_says_what_the_reminders_ask(self):
        notice = self._notice()
        portal = self._create_user("home_portal", "base.group_portal")
        portal.partner_id.parent_id = self.customer
        self.authenticate("home_portal", "home_portal")
        page = self.url_open("/my").text
        self.assertIn("o_portal_reminder_due", page)
        self.assertIn(notice.name, page)
        amount = notice._get_portal_payable_amount()
        self.assertIn(f"{amount:,.2f}", page)
        self.assertIn(f"/my/dunning/{notice.id}?access_token={notice.access_token}", page)
        # A collector reads every notice, and owes none of them.
        self.authenticate("page_collector", "page_collector")
        self.assertNotIn("o_portal_reminder_due", self.url_open("/my").text)
        self.authenticate("home_portal", "home_portal")
        # Paid in full: nothing is said due any more.
        self._pay(self.first, 800.0, day(8))
        self._pay(self.second, 500.0, day(8))
        self._pay(notice.charge_move_id, notice.charge_move_id.amount_residual, day(8))
        self.assertNotIn("o_portal_reminder_due", self.url_open("/my").text)

    def test_the_email_carries_the_pay_now_button_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["account_dunning"], ["fr_FR"])
        self.customer.lang = "fr_FR"
        notice = self._notice()
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()
        mail = self.env["mail.mail"].search(
            [("model", "=", notice._name), ("res_id", "=", notice.id)]
        )
        self.assertIn("Payer maintenant", mail.body_html)
        self.assertIn(f"/my/dunning/{notice.id}?access_token={notice.access_token}", mail.body_html)

    def test_a_broken_plans_page_pays_its_balance(self):
        plan = self._active_plan()
        plan.close_reason = "Two installments missed"
        plan.action_break()
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan._get_portal_payable_amount(), 1300.0)
        page = self.url_open(plan.get_portal_url())
        self.assertIn("Pay the balance now due", page.text)
        processing = self.make_jsonrpc_request(
            f"/my/payment_plans/{plan.id}/transaction",
            self._payment_form_values(self.provider, self.method, plan.access_token),
        )
        tx = self._transaction(processing)
        self.assertEqual((tx.amount, tx.invoice_ids), (1300.0, self.first | self.second))
        tx._set_done()
        tx._post_process()
        for move in self.first | self.second:
            self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)

    def test_the_statement_has_a_page_that_pays_every_open_invoice(self):
        self._credit_note = self._create_dunning_invoice(
            self.customer, 100.0, DUE, move_type="out_refund"
        )
        company, currency = self.company, self.company.currency_id
        path = self.customer._get_dunning_statement_path(company, currency)
        # The statement's QR code opens that page (no SEPA IBAN, a provider).
        section = self.env["report.account_dunning.report_dunning_statement"]._get_statement_values(
            self.customer
        )[self.customer.id]["sections"][0]
        self.assertEqual(section["qr_kind"], "link")
        self.assertEqual(section["payment_link"], company.get_base_url() + path)
        page = self.url_open(path)
        for text in (self.first.name, self.second.name, "1,200.00"):  # 800 + 500 - 100
            self.assertIn(text, page.text)
        self.assertIn("Less your credits", page.text, "the page says how its sum is made")
        wrong = path.replace("access_token=", "access_token=x")
        self.assertNotIn(self.first.name, self.url_open(wrong).text)
        other_currency = self.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        token = self.customer._get_dunning_statement_token(company, other_currency)
        self.assertNotIn(
            self.first.name,
            self.url_open(
                f"/my/statement/{self.customer.id}/{company.id}/{currency.id}?access_token={token}"
            ).text,
            "another currency's token opens nothing",
        )
        route = f"/my/statement/{self.customer.id}/{company.id}/{currency.id}/transaction"
        token = self.customer._get_dunning_statement_token(company, currency)
        processing = self.make_jsonrpc_request(
            route, self._payment_form_values(self.provider, self.method, token, path)
        )
        tx = self._transaction(processing)
        self.assertEqual((tx.amount, tx.invoice_ids), (1200.0, self.first | self.second))
        tx._set_done()
        tx._post_process()
        self.assertEqual(len(tx.payment_id), 1)
        self.assertEqual(self.first.amount_residual + self.second.amount_residual, 100.0)
