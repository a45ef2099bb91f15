import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import format_date
from odoo.tools.pdf import PdfFileReader

from odoo.addons.base.models.ir_actions_report import IrActionsReport as OdooReport

from ..models import ir_actions_report
from .common import DUE, IBAN, DunningTestCommon, day


def pdf_text(pdf):
    """The text of a PDF by poppler's pdftotext, whitespace made single spaces."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


def pdf_qr_codes(pdf):
    """Every QR code on the PDF's pages, decoded by zbarimg from a 200 dpi rendering."""
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "letter.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "200", "-png", folder / "letter.pdf", folder / "page"], check=True
        )
        codes = []
        for page in sorted(folder.glob("page*.png")):
            result = subprocess.run(
                ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", page],
                capture_output=True,
                check=False,  # exit code 4: no code on the page
            )
            # zbarimg exits with 4 when a page holds no code.
            if result.returncode not in (0, 4):
                raise AssertionError(result.stderr.decode())
            if result.stdout:
                codes.append(result.stdout.decode().rstrip("\n"))
        return codes
    finally:
        shutil.rmtree(folder)


def save_pages(pdf, folder, names):
    """Page N of `pdf` as `folder`/names[N-1].png, at 60 dpi: the README's pictures."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "document.pdf").write_bytes(pdf)
    for page, name in enumerate(names, start=1):
        subprocess.run(
            [
                *("pdftoppm", "-r", "60", "-png", "-singlefile"),
                *("-f", str(page), "-l", str(page)),
                folder / "document.pdf",
                folder / name,
            ],
            check=True,
        )
    (folder / "document.pdf").unlink()


@tagged("post_install", "-at_install")
class TestDunningLetters(DunningTestCommon, HttpCase):
    """Real PDFs of the letters, read back with pdftotext and zbarimg. An HttpCase:
    wkhtmltopdf fetches the report's styles from the server, which must see the
    test's own transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.env["res.lang"]._activate_lang("es_ES")
        # base: the currencies' unit names, which Odoo's amount in words uses.
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "account_dunning"], ["fr_FR", "de_DE", "es_ES"]
        )
        cls.bank_account = cls._setup_letterhead()
        cls.policy.jump_to_highest_level = True
        cls.customer.write({"lang": "en_US", "street": "4 Mill Lane", "city": "York"})

    def _letter(self, amounts, run_day, partner=None, currency=None):
        """The notice of a run on `run_day` after invoices of `amounts` fell due."""
        partner = partner or self.customer
        invoices = self.env["account.move"]
        for amount in amounts:
            invoices |= self._create_dunning_invoice(
                partner, amount, DUE, currency_id=(currency or self.eur).id
            )
        run = self._run_dunning(day(run_day))
        return run.notice_ids.filtered(lambda notice: notice.partner_id == partner), invoices

    def _customers_with_an_overdue_invoice(self, prefix, count, with_email=False):
        """`count` new customers, each owing one invoice of 100 EUR due on DUE."""
        customers = self.env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {index}",
                    "is_company": True,
                    "email": with_email and f"{prefix.lower()}{index}@example.com",
                }
                for index in range(count)
            ]
        )
        for customer in customers:
            self._create_dunning_invoice(customer, 100.0, DUE, currency_id=self.eur.id)
        return customers

    def _render(self, notices):
        report = self.env.ref("account_dunning.action_report_dunning_notice")
        pdf, kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=notices.ids
        )
        self.assertEqual(kind, "pdf")
        return pdf

    def _letter_values(self, notice):
        report = self.env["report.account_dunning.report_dunning_notice"]
        return report._get_letter_values(notice)[notice.id]

    def _assert_in(self, needle, text):
        self.assertIn(needle, text, f"{needle!r} not in the letter: {text[:1500]}")

    def test_final_demand_in_english(self):
        notice, invoices = self._letter([1000.0, 234.56], 50)
        self.assertEqual(notice.letter_kind, "final")
        text = pdf_text(self._render(notice))
        for invoice in invoices:
            self._assert_in(invoice.name, text)
        self._assert_in("Final Demand for Payment", text)
        self._assert_in("Lakeside Supplies Ltd", text)  # the letterhead
        self._assert_in("4 Mill Lane", text)  # the customer's address
        self._assert_in(notice.name, text)
        self._assert_in("1,234.56", text)
        deadline = format_date(self.env(context={"lang": "en_US"}), notice.payment_deadline)
        self._assert_in(f"no later than {deadline}", text)
        self._assert_in(
            "In words: One Thousand, Two Hundred And Thirty-Four Euros and Fifty-Six Cents", text
        )
        # Printed as base_iban formats it, in groups of four.
        self._assert_in("IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX", text)
        self._assert_in("collection agency or take legal steps", text)

    def test_letters_in_french_and_german(self):
        for lang, words, heading, amount in (
            (
                "fr_FR",
                "Mille Deux Cent Trente-Quatre Euros et Cinquante-Six Cents",
                "Mise en demeure de payer",
                "234,56",
            ),
            (
                "de_DE",
                "Eintausendzweihundertvierunddreißig Euro und Sechsundfünfzig Cents",
                "Letzte Zahlungsaufforderung",
                "234,56",
            ),
        ):
            with self.subTest(lang=lang):
                partner = self.env["res.partner"].create(
                    {"name": f"Client {lang}", "is_company": True, "lang": lang}
                )
                notice, invoices = self._letter([1234.56], 50, partner=partner)
                text = pdf_text(self._render(notice))
                self._assert_in(invoices.name, text)
                self._assert_in(words, text)
                self._assert_in(heading, text)
                self._assert_in(amount, text)
                deadline = format_date(self.env(context={"lang": lang}), notice.payment_deadline)
                self._assert_in(deadline, text)

    def test_epc_qr_code_decodes_with_every_field(self):
        notice, _invoices = self._letter([1234.56], 50)
        codes = pdf_qr_codes(self._render(notice))
        self.assertEqual(len(codes), 1)
        self.assertEqual(
            codes[0].split("\n"),
            [
                "BCD",
                "002",
                "1",
                "SCT",
                "COBADEFFXXX",
                "Lakeside Supplies Ltd",
                IBAN,
                "EUR1234.56",
                "",
                "",
                notice.name,
            ],
        )

    def test_long_names_are_truncated_to_the_epc_limits(self):
        self.bank_account.acc_holder_name = "Lakeside Supplies " + "and Sons " * 10
        self.customer.ref = "CUSTOMER-" + "9" * 150
        notice, _invoices = self._letter([50.0], 50)
        [code] = pdf_qr_codes(self._render(notice))
        lines = code.split("\n")
        self.assertEqual(lines[5], ("Lakeside Supplies " + "and Sons " * 10)[:70].rstrip())
        self.assertEqual(len(lines[10]), 140)
        self.assertTrue(lines[10].startswith(f"{notice.name} CUSTOMER-999"))

    def test_no_iban_no_qr_and_no_error(self):
        self.bank_account.unlink()
        notice, _invoices = self._letter([80.0], 50)
        pdf = self._render(notice)
        self.assertEqual(pdf_qr_codes(pdf), [])
        self._assert_in("Please quote", pdf_text(pdf))

    def test_a_qr_code_no_bank_would_accept_is_left_out_and_said(self):
        self.bank_account.bank_id.bic = "NOT A BIC"
        notice, _invoices = self._letter([80.0], 50)
        other = self.env["res.partner"].create({"name": "Harbour Bakery", "is_company": True})
        other_notice, _invoices = self._letter([90.0], 50, partner=other)
        pdf = self._render(notice | other_notice)
        self.assertEqual(pdf_qr_codes(pdf), [], "printed, without a QR code")
        text = pdf_text(pdf)
        self._assert_in(notice.name, text)
        self._assert_in(other_notice.name, text)
        self.assertIn("Not a BIC", notice.letter_qr_error)
        said = notice.message_ids.filtered(lambda msg: "no payment QR code" in msg.body)
        self.assertEqual(len(said), 1)
        self._render(notice)
        self.assertEqual(
            len(notice.message_ids.filtered(lambda msg: "no payment QR code" in msg.body)),
            1,
            "said once, not at every print",
        )

    def test_a_total_above_the_epc_limit_prints_without_qr(self):
        notice, _invoices = self._letter([1_000_000_000.0], 50)
        values = self.env["report.account_dunning.report_dunning_notice"]._get_letter_values(
            notice
        )[notice.id]
        self.assertFalse(values["qr_kind"])
        self.assertIn("999999999.99", notice.letter_qr_error)

    def test_words_use_the_currencys_decimal_places(self):
        kwd = self.setup_other_currency("KWD", rates=[("2016-01-01", 0.3)])
        self.assertEqual(kwd.decimal_places, 3)
        notice, _invoices = self._letter([1.25], 50, currency=kwd)
        words = self.env["report.account_dunning.report_dunning_notice"]._get_letter_values(notice)[
            notice.id
        ]["total_in_words"]
        self.assertEqual(words, "One Dinar and Two Hundred And Fifty Fils")

    def test_words_in_spanish(self):
        partner = self.env["res.partner"].create(
            {"name": "Cliente", "is_company": True, "lang": "es_ES"}
        )
        notice, _invoices = self._letter([1234.56], 50, partner=partner)
        self.assertEqual(
            self._letter_values(notice)["total_in_words"],
            "Mil Doscientos Treinta Y Cuatro Euros y Cincuenta Y Seis Centavos",
        )

    def test_an_account_odoos_sepa_qr_refuses_gets_no_epc_code(self):
        # A valid IBAN, outside the SEPA zone: Odoo's SEPA QR method refuses it.
        self.bank_account.acc_number = "BR1500000000000010932840814P2"
        notice, _invoices = self._letter([80.0], 50)
        values = self._letter_values(notice)
        self.assertEqual(values["bank"], self.bank_account, "still the account to pay to")
        self.assertFalse(values["qr_kind"])
        self.assertFalse(notice.letter_qr_error, "nothing wrong: just no EPC code")

    def test_other_currency_gets_the_link_to_the_notices_page(self):
        # A non-euro letter: its QR code opens the notice's own page, which pays its
        # invoices (not a payment linked to nothing).
        provider = self.env["payment.provider"].create(
            {"name": "Online", "code": "none", "state": "test", "is_published": True}
        )
        self.assertEqual(provider.company_id, self.company)
        notice, _invoices = self._letter([80.0], 50, currency=self.company.currency_id)
        [code] = pdf_qr_codes(self._render(notice))
        self.assertTrue(notice.access_token)
        self.assertEqual(
            code,
            f"{self.company.get_base_url()}/my/dunning/{notice.id}"
            f"?access_token={notice.access_token}",
        )
        self.assertNotIn("/payment/pay", code)

    def test_customer_without_language_gets_the_companys(self):
        self.company.partner_id.lang = "de_DE"
        partner = self.env["res.partner"].create({"name": "No Language GmbH", "is_company": True})
        partner.lang = False
        notice, _invoices = self._letter([2.0], 50, partner=partner)
        self.assertEqual(notice._get_letter_lang(), "de_DE")
        self._assert_in("Zwei Euro", pdf_text(self._render(notice)))

    def test_each_letter_kind(self):
        self.level_agency.write({"send_letter": True, "letter_kind": "pre_legal"})
        headings = {}
        for index, (run_day, kind, heading) in enumerate(
            (
                (8, False, "Payment Reminder"),
                (31, "second", "Second Notice"),
                (50, "final", "Final Demand for Payment"),
                (95, "pre_legal", "Notice of Handover for Collection"),
            )
        ):
            name, street, city = (
                ("Brightline Studio", "12 Canal Street", "Manchester"),
                ("Cobalt Engineering", "4 Forge Road", "Sheffield"),
                ("Meridian Foods", "88 Market Square", "Leeds"),
                ("Atlas Freight", "1 Dock Lane", "Hull"),
            )[index]
            partner = self.env["res.partner"].create(
                {"name": name, "street": street, "city": city, "is_company": True, "lang": "en_US"}
            )
            notice, _invoices = self._letter([1250.0 + 310.5 * index], run_day, partner=partner)
            self.assertEqual(notice.letter_kind, kind)
            headings[notice] = heading
        notices = self.env["account.dunning.notice"].concat(*headings)
        pdf = self._render(notices)
        text = pdf_text(pdf)
        for notice, heading in headings.items():
            self._assert_in(heading, text)
            self._assert_in(notice.name, text)
        # `make screenshots` keeps one page of each kind for the README.
        if folder := os.environ.get("ACCOUNT_DUNNING_SCREENSHOTS"):
            save_pages(
                pdf,
                Path(folder),
                [f"letter-{kind}" for kind in ("friendly", "second", "final", "pre_legal")],
            )

    def test_print_letters_renders_one_batch_and_marks_them_printed(self):
        self._customers_with_an_overdue_invoice("Batch", 3)
        notices = self._run_dunning(day(31)).notice_ids
        self.assertEqual(set(notices.mapped("letter_state")), {"to_print"})
        user = self._create_user("printer", "account_dunning.group_dunning_user")
        action = (
            notices.with_user(user).with_context(force_report_rendering=True).action_print_letters()
        )
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["context"]["active_ids"], notices.ids)
        self.assertTrue(action["close_on_report_download"], "the list reloads after")
        attachment = self.env["ir.attachment"].search(
            [("name", "=like", "Dunning letters %"), ("res_model", "=", False)]
        )
        text = pdf_text(attachment.raw)
        for notice in notices:
            self._assert_in(notice.name, text)
        self.assertEqual(text.count("Second Notice"), 3)
        self.assertEqual(set(notices.mapped("letter_state")), {"printed"})
        # Each letter stays on its notice: the record of what was sent.
        kept = self.env["ir.attachment"].search(
            [("res_model", "=", "account.dunning.notice"), ("res_id", "in", notices.ids)]
        )
        self.assertEqual(len(kept), 3)
        self.assertEqual(
            sorted(kept.mapped("name")),
            sorted(f"Dunning letter - {n.name.replace('/', '-')}.pdf" for n in notices),
        )
        with self.assertRaisesRegex(Exception, "no letter to print"):
            notices.with_user(user).action_print_letters()

    def test_email_attaches_the_letter_in_the_customers_language(self):
        partner = self.env["res.partner"].create(
            {"name": "Client Email", "is_company": True, "lang": "fr_FR", "email": "c@example.fr"}
        )
        notice, _invoices = self._letter([300.0], 31, partner=partner)
        template = notice.level_id.mail_template_id
        self.assertIn(
            self.env.ref("account_dunning.action_report_dunning_notice"),
            template.report_template_ids,
        )
        mail = self.env["mail.mail"].browse(
            template.with_context(force_report_rendering=True).send_mail(notice.id)
        )
        self.assertEqual(
            mail.attachment_ids.mapped("name"),
            [f"Dunning letter - {notice.name.replace('/', '-')}.pdf"],
        )
        self._assert_in("deuxième rappel de factures échues", mail.subject)
        text = pdf_text(mail.attachment_ids.raw)
        self._assert_in("Trois Cents Euros", text)
        self.assertEqual(mail.recipient_ids, partner)

    def test_emails_of_a_batch_render_their_letters_in_one_run(self):
        self._customers_with_an_overdue_invoice("Mail", 3, with_email=True)
        notices = self._run_dunning(day(31)).notice_ids
        self.assertEqual(set(notices.mapped("email_state")), {"pending"})
        # A spy on the wkhtmltopdf runs: how many, of how many documents.
        report_class = type(self.env["ir.actions.report"])
        run_wkhtmltopdf = report_class._run_wkhtmltopdf
        runs = []

        def counting(report, bodies, *args, **kwargs):
            runs.append(len(bodies))
            return run_wkhtmltopdf(report, bodies, *args, **kwargs)

        with patch.object(report_class, "_run_wkhtmltopdf", counting):
            self.env["account.dunning.notice"].with_context(
                force_report_rendering=True
            )._cron_send_dunning_emails()
        self.assertEqual(runs, [3], "one run for the three letters")
        for notice in notices:
            [mail] = self.env["mail.mail"].search(
                [("model", "=", notice._name), ("res_id", "=", notice.id)]
            )
            self.assertEqual(len(mail.attachment_ids), 1)
            self._assert_in(notice.name, pdf_text(mail.attachment_ids.raw))
            self._assert_in(notice.partner_id.name, pdf_text(mail.attachment_ids.raw))

    def test_previewing_a_held_notice_keeps_no_letter(self):
        notice, _invoices = self._letter([500.0], 50)
        self.assertEqual((notice.state, notice.letter_kind), ("draft", "final"))
        action = notice.action_preview_email()
        # Odoo's template preview renders the email and its attached letter.
        preview = Form(
            self.env["mail.template.preview"].with_context(
                action["context"], force_report_rendering=True
            )
        )
        self._assert_in(self.customer.name, preview.body_html)
        self._assert_in(notice.name, preview.subject)
        letter = notice.action_preview_letter()
        self.assertEqual(letter["report_type"], "qweb-html")
        # Printed from the letter's preview: not kept either.
        report = self.env.ref("account_dunning.action_report_dunning_notice")
        report.with_context(letter["context"], force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=notice.ids
        )
        self.assertFalse(self._kept_letter(notice), "the letter sent is the one sent")

    def _kept_letter(self, notice):
        return self.env["ir.attachment"].search(
            [("res_model", "=", notice._name), ("res_id", "=", notice.id)]
        )

    def test_a_batch_renders_in_concurrent_runs_split_by_letter(self):
        customers = self._customers_with_an_overdue_invoice("Parallel", 5)
        # A letter of several pages: Odoo splits its run by the letters' outlines.
        long_invoices = self.env["account.move"].concat(
            *(
                self._create_dunning_invoice(customers[4], 10.0 + i, DUE, currency_id=self.eur.id)
                for i in range(40)
            )
        )
        notices = self._run_dunning(day(31)).notice_ids.sorted("id")
        self.assertEqual(len(notices), 5)
        # A letter already rendered is kept and reused, not rendered again.
        self._render(notices[0])
        first_letter = self._kept_letter(notices[0])
        self.env["ir.config_parameter"].set_param("account_dunning.letter_pdf_processes", "2")
        # Spies on the wkhtmltopdf runs: ours (concurrent) and Odoo's own.
        concurrent_runs, odoo_runs = [], []
        run_concurrently = ir_actions_report.IrActionsReport._run_wkhtmltopdf_concurrently
        run_wkhtmltopdf = OdooReport._run_wkhtmltopdf

        def spy_concurrent(report, letters_report, jobs, processes):
            concurrent_runs.append([len(job[0]) for job in jobs])
            return run_concurrently(report, letters_report, jobs, processes)

        def spy_odoo(report, bodies, *args, **kwargs):
            odoo_runs.append(len(bodies))
            return run_wkhtmltopdf(report, bodies, *args, **kwargs)

        with (
            patch.object(ir_actions_report, "MIN_LETTERS_PER_RUN", 1),
            patch.object(
                ir_actions_report.IrActionsReport, "_run_wkhtmltopdf_concurrently", spy_concurrent
            ),
            patch.object(OdooReport, "_run_wkhtmltopdf", spy_odoo),
        ):
            text = pdf_text(self._render(notices))
        self.assertEqual(concurrent_runs, [[2, 2]], "the four letters left, in two runs at once")
        self.assertEqual(odoo_runs, [], "Odoo splits the runs' PDFs without rendering again")
        positions = [text.index(notice.name) for notice in notices]
        self.assertEqual(positions, sorted(positions), "the batch keeps the notices' order")
        self.assertEqual(self._kept_letter(notices[0]), first_letter)
        for notice in notices:
            letter = self._kept_letter(notice)
            self.assertEqual(len(letter), 1)
            letter_text = pdf_text(letter.raw)
            self._assert_in(notice.name, letter_text)
            self._assert_in(notice.partner_id.name, letter_text)
            for other in notices - notice:
                self.assertNotIn(other.name, letter_text)
        long_letter = self._kept_letter(notices.filtered(lambda n: n.partner_id == customers[4]))
        self.assertGreater(PdfFileReader(io.BytesIO(long_letter.raw)).numPages, 1)
        long_text = pdf_text(long_letter.raw)
        for invoice in long_invoices:
            self._assert_in(invoice.name, long_text)

    def test_letter_processes_must_be_a_whole_number(self):
        notice, _invoices = self._letter([80.0], 50)
        self.env["ir.config_parameter"].set_param("account_dunning.letter_pdf_processes", "two")
        with self.assertRaisesRegex(UserError, "must be a whole number, not 'two'"):
            self._render(notice)

    def test_letter_delay_must_be_a_whole_number(self):
        notice, _invoices = self._letter([80.0], 50)
        self.env["ir.config_parameter"].set_param("account_dunning.letter_pdf_delay", "soon")
        with self.assertRaisesRegex(UserError, "whole number of milliseconds, not 'soon'"):
            self._render(notice)

    def test_a_failed_concurrent_run_stops_with_its_message(self):
        self._customers_with_an_overdue_invoice("Failing", 2)
        notices = self._run_dunning(day(31)).notice_ids
        self.env["ir.config_parameter"].set_param("account_dunning.letter_pdf_processes", "2")
        with (
            patch.object(ir_actions_report, "MIN_LETTERS_PER_RUN", 1),
            # An argument wkhtmltopdf refuses: the letters' own script delay.
            patch.object(ir_actions_report, "LETTER_PDF_DELAY", "soon"),
            self.assertRaisesRegex(UserError, "Wkhtmltopdf failed .*javascript-delay"),
        ):
            self._render(notices)
        self.assertFalse(self._kept_letter(notices[0]), "nothing kept from a failed batch")
