import os
import subprocess
from datetime import timedelta
from pathlib import Path

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import DunningTestCommon
from .test_dunning_letters import pdf_qr_codes, pdf_text


@tagged("post_install", "-at_install")
class TestCollectionDocuments(DunningTestCommon, HttpCase):
    """The statement of account and the collection dossier, as real PDFs read
    back with pdftotext and zbarimg."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls._setup_letterhead()
        cls.collector = cls._create_collector("documents_collector")
        cls.collector.name = "Dana Collector"
        cls.today = fields.Date.context_today(cls.env["res.partner"])

    def _invoice(self, amount, days_late):
        return self._create_dunning_invoice(
            self.customer,
            amount,
            self.today - timedelta(days=days_late),
            currency_id=self.eur.id,
        )

    def _pdf(self, xmlid, records):
        report = self.env.ref(xmlid)
        pdf, kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=records.ids
        )
        self.assertEqual(kind, "pdf")
        return pdf

    def test_the_statement_shows_the_aging_the_payments_and_the_total(self):
        invoices = [
            self._invoice(100.0, -5),  # not due
            self._invoice(200.0, 10),
            self._invoice(400.0, 45),
            self._invoice(800.0, 100),
        ]
        self._pay(invoices[3], 300.0, self.today - timedelta(days=5))
        pdf = self._pdf("account_dunning.action_report_dunning_statement", self.customer)
        text = pdf_text(pdf)
        self.assertIn("Statement of Account", text)
        for invoice in invoices:
            self.assertIn(invoice.name, text)
        # The aging row, bucket by bucket, then the payment and the total.
        aging = text[text.index("Not Due 1-30 Days") :]
        self.assertRegex(
            aging,
            r"Not Due 1-30 Days 31-60 Days 61-90 Days Over 90 Days "
            r"100\.00 € 200\.00 € 400\.00 € 0\.00 € 500\.00 €",
        )
        self.assertRegex(text, r"Payments received since .*300\.00")
        self.assertRegex(text, r"Total Due 1,200\.00 €")
        self.assertIn("One Thousand, Two Hundred Euros", text)
        [qr] = pdf_qr_codes(pdf)
        self.assertIn("EUR1200.00", qr.splitlines())
        # `make screenshots` keeps the statement's page for the README.
        if folder := os.environ.get("ACCOUNT_DUNNING_SCREENSHOTS"):
            (Path(folder) / "statement.pdf").write_bytes(pdf)
            subprocess.run(
                [
                    *("pdftoppm", "-r", "60", "-png", "-singlefile"),
                    Path(folder) / "statement.pdf",
                    Path(folder) / "statement",
                ],
                check=True,
            )
            (Path(folder) / "statement.pdf").unlink()

    def test_sending_the_statement_queues_it_and_keeps_it_on_record(self):
        self._invoice(200.0, 10)
        customer = self.customer.with_user(self.collector).with_context(force_report_rendering=True)
        # Send Statement opens the email to read first, its PDF attached: nothing left yet.
        action = customer.action_dunning_send_statement()
        composer = Form(
            self.env["mail.compose.message"]
            .with_user(self.collector)
            .with_context(action["context"], force_report_rendering=True)
        )
        self.assertIn("Lakeside Joinery", composer.body)
        self.assertEqual(len(composer.attachment_ids), 1)
        self.assertFalse(self.customer.dunning_statement_date)
        composer.save().action_send_mail()
        mail = self.env["mail.mail"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("recipient_ids", "in", self.customer.ids),
            ]
        )
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(mail.attachment_ids.mimetype, "application/pdf")
        self.assertEqual(self.customer.dunning_statement_date, self.today)
        entry = self.env["account.dunning.event"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(entry.kind, "statement")
        billing = self._create_user("documents_billing", "account.group_account_invoice")
        with self.assertRaises(AccessError):
            self.customer.with_user(billing).action_dunning_send_statement()
        self.customer.email = False
        with self.assertRaisesRegex(UserError, "No email address for Lakeside Joinery"):
            self.customer.with_user(self.collector).action_dunning_send_statement()

    def test_the_dossier_holds_every_notice_and_history_entry(self):
        invoice = self._invoice(1200.0, 40)
        self.policy.jump_to_highest_level = True
        notices = self._run_dunning(self.today).notice_ids
        self._promise(invoice, 600.0, self.today + timedelta(days=7), note="Cheque in the post")
        self._dispute(invoice, 100.0, note="One door scratched").action_withdraw()
        self.customer.dunning_payment_approver = "Ms Rowe, accounts payable"
        events = self.env["account.dunning.event"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(events), 4)
        text = pdf_text(self._pdf("account_dunning.action_report_dunning_dossier", self.customer))
        self.assertIn("Collection Dossier: Lakeside Joinery", text)
        self.assertIn("Ms Rowe, accounts payable", text)
        for notice in notices:
            # Once in the history, once on its letter.
            self.assertGreaterEqual(text.count(notice.name), 2, notice.name)
        for note in ("Cheque in the post", "One door scratched"):
            self.assertIn(note, text)
        self.assertIn("Promise to pay Lakeside Joinery: 600.00 €", text)
        self.assertEqual(text.count("Dispute INV/"), 2, "opened, then withdrawn")
        self.assertEqual(text.count("Withdrawn"), 1)

    def test_a_letter_is_sent_once_printed_and_reprinted_as_kept(self):
        self.customer.email = False  # the email falls back to a letter
        self.customer_contact.email = False
        self._invoice(1200.0, 10)
        self._run_dunning(self.today)
        notice = self.env["account.dunning.notice"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((notice.state, notice.letter_state), ("sending", "to_print"))
        self.env["account.dunning.notice"].with_user(self.collector).with_context(
            force_report_rendering=True
        ).action_print_letters()
        self.assertEqual((notice.state, notice.letter_state), ("sent", "printed"))
        action = notice.with_user(self.collector).action_reprint_letter()
        kept = (
            self.env["account.dunning.event"]
            .search([("partner_id", "=", self.customer.id), ("kind", "=", "letter")])
            .attachment_id
        )
        self.assertTrue(kept)
        self.assertIn(f"/web/content/{kept.id}", action["url"])
