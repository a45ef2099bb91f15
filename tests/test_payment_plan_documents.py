import os
from pathlib import Path

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import DUE, IBAN, DunningTestCommon, day
from .test_dunning_letters import pdf_qr_codes, pdf_text, save_pages


@tagged("post_install", "-at_install")
class TestPaymentPlanDocuments(DunningTestCommon, HttpCase):
    """The agreement as the customer reads it (PDF, QR) and the portal where the
    customer signs it and pays an installment. An HttpCase: wkhtmltopdf and the
    browser reach the server, which must see the test's own transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls._setup_letterhead()
        cls.customer.write({"lang": "en_US", "street": "4 Mill Lane", "city": "York"})
        cls.collector = cls._create_collector("plan_doc_collector")
        cls.collector.write({"name": "Casey Collins", "email": "casey@lakeside.example.com"})
        cls.invoices = cls._create_dunning_invoice(
            cls.customer, 1000.0, DUE, currency_id=cls.eur.id
        ) | cls._create_dunning_invoice(cls.customer, 500.0, day(10), currency_id=cls.eur.id)
        cls.plan = (
            cls.env["account.dunning.payment.plan"]
            .with_user(cls.collector)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "move_ids": [Command.set(cls.invoices.ids)],
                    "installment_count": 3,
                    "first_date": day(40),
                }
            )
        )

    def test_the_agreement_shows_the_schedule_the_words_and_the_next_installments_qr(self):
        with freeze_time(day(30)):
            self.plan.action_propose()
            self.plan.action_accept()
        report = self.env.ref("account_dunning.action_report_payment_plan")
        pdf, kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=self.plan.ids
        )
        self.assertEqual(kind, "pdf")
        text = pdf_text(pdf)
        self.assertIn("Payment Plan Agreement", text)
        for row in (
            "INV/2026/00001 01/31/2026 1,000.00 €",
            "1 03/12/2026 500.00 € 1,000.00 €",
            "2 04/12/2026 500.00 € 500.00 €",
            "3 05/12/2026 500.00 € 0.00 €",
            "Amount covered by the plan: 1,500.00 € (in words: One Thousand, Five Hundred Euros)",
        ):
            self.assertIn(row, text, text[:2000])
        self.assertIn("After 1 missed installment(s) the plan ends", text)
        self.assertIn("03/02/2026", text, "the letter is dated the day it was proposed")
        codes = pdf_qr_codes(pdf)
        self.assertEqual(len(codes), 1)
        fields = codes[0].split("\n")
        self.assertEqual((fields[6], fields[7], fields[10]), (IBAN, "EUR500.00", self.plan.name))
        # `make screenshots` keeps the agreement for the README.
        if folder := os.environ.get("ACCOUNT_DUNNING_SCREENSHOTS"):
            save_pages(pdf, Path(folder), ["payment-plan-agreement", "payment-plan-agreement-2"])
        # Part of the first installment paid: the QR asks for the rest of it.
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.invoices[0].ids
        ).create({"amount": 120.0, "payment_date": day(35)})._create_payments()
        self.plan._allocate_payments(day(35))
        pdf, _kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=self.plan.ids
        )
        self.assertEqual(pdf_qr_codes(pdf)[0].split("\n")[7], "EUR380.00")

    def test_a_portal_customer_signs_and_pays_an_installment_online(self):
        self.assertEqual(
            self.env["ir.module.module"]._get("payment_demo").state,
            "installed",
            "the test database needs payment_demo (make test installs it)",
        )
        portal = self._create_user("plan_portal", "base.group_portal")
        portal.partner_id.parent_id = self.customer
        provider, method = self._setup_demo_provider()
        self.plan.action_propose()
        self.start_tour(
            self.plan.get_portal_url(), "account_dunning_payment_plan_sign", login="plan_portal"
        )
        self.assertEqual(self.plan.state, "active")
        self.assertEqual(self.plan.signed_by, "Lakeside Joinery")
        self.assertTrue(self.plan.signature)

        self.authenticate("plan_portal", "plan_portal")
        # The browser's amount is ignored: the server asks for the installment.
        processing = self.make_jsonrpc_request(
            f"/my/payment_plans/{self.plan.id}/transaction",
            self._payment_form_values(
                provider, method, self.plan.access_token, self.plan.get_portal_url()
            ),
        )
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", processing["reference"])])
        )
        self.assertEqual((tx.amount, tx.currency_id), (500.0, self.eur))
        self.assertEqual(tx.invoice_ids, self.invoices)
        self.make_jsonrpc_request(
            "/payment/demo/simulate_payment",
            {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"},
        )
        tx._post_process()
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.payment_id)
        self.assertEqual(sum(self.invoices.mapped("amount_residual")), 1000.0)
        self.env["account.dunning.payment.plan"]._action_check_due(self.company, day(41))
        self.assertEqual(self.plan.installment_ids.mapped("state"), ["paid", "open", "open"])
        # The portal's home counts the plan and lists it.
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["payment_plan_count"]})
        self.assertEqual(counters["payment_plan_count"], 1)
        page = self.url_open("/my/payment_plans")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.plan.name, page.text)
        self.assertIn(self.plan.get_portal_url(), page.text)
        # Another customer's portal user cannot see the plan, nor pay it.
        stranger = self._create_user("plan_stranger", "base.group_portal")
        self.authenticate("plan_stranger", "plan_stranger")
        response = self.url_open(f"/my/payment_plans/{self.plan.id}")
        self.assertNotIn(self.plan.name, response.text)
        self.assertNotIn(self.plan.name, self.url_open("/my/payment_plans").text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["payment_plan_count"]})
        self.assertEqual(counters["payment_plan_count"], 0)
        self.assertTrue(stranger)

    def test_the_agreement_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        # base: the currencies' unit names, which Odoo's amount in words uses.
        self.env["ir.module.module"]._load_module_terms(["base", "account_dunning"], ["de_DE"])
        self.customer.lang = "de_DE"
        report = self.env.ref("account_dunning.action_report_payment_plan")
        pdf, _kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=self.plan.ids
        )
        text = pdf_text(pdf)
        for words in ("Ratenplan-Vereinbarung", "Zahlungsplan", "Saldo danach", "Bedingungen"):
            self.assertIn(words, text)
        self.assertIn("tausendfünfhundert", text.lower())
