import base64
import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import format_amount

from odoo.addons.iap.tools import iap_tools
from odoo.addons.sms.tests.common import SMSCase

from ..tools.sms import sms_parts
from .common import DUE, DunningTestCommon, day
from .test_ui import SCRIPT

BE_MOBILE = "+32 470 12 34 56"
BE_MOBILE_E164 = "+32470123456"


@tagged("post_install", "-at_install")
class TestNoticeChannels(DunningTestCommon, SMSCase, HttpCase):
    """Text messages (Odoo's sms) and letters by post (Odoo's snailmail) as channels
    of a level, each followed to what really happened, with no IAP call leaving the
    machine: Odoo's own SMS gateway mock, and snailmail's IAP endpoint answered
    here as the service documents it. An HttpCase: the letters posted are real
    PDFs, whose styles wkhtmltopdf fetches from the test server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["account_dunning"], ["fr_FR"])
        cls.collector = cls._create_collector("channels_collector")
        cls.salesman = cls._create_user("channels_salesman", "sales_team.group_sale_salesman")
        # No email address, a Belgian mobile: the standard friendly reminder texts.
        cls.baker = cls.env["res.partner"].create(
            {
                "name": "Boulangerie Martin",
                "is_company": True,
                "lang": "fr_FR",
                "country_id": cls.env.ref("base.be").id,
                "mobile": BE_MOBILE,
                "street": "Rue Haute 5",
                "zip": "1000",
                "city": "Bruxelles",
                "dunning_responsible_id": cls.collector.id,
            }
        )
        cls.invoice = cls._create_dunning_invoice(cls.baker, 1200.0, DUE)
        cls.Notice = cls.env["account.dunning.notice"]

    def _notice(self, date, partner=None):
        run = self._run_dunning(date)
        return run.notice_ids.filtered(lambda notice: notice.partner_id == (partner or self.baker))

    def _send_job(self, **gateway):
        # Letters are rendered as the PDFs they are, not as HTML as tests default to.
        with self.mockSMSGateway(**gateway):
            self.Notice.with_context(force_report_rendering=True)._cron_send_dunning_emails()

    def _history(self, partner=None):
        return self.env["account.dunning.event"].search(
            [("partner_id", "=", (partner or self.baker).id)]
        )

    # ------------------------------------------------------------
    # Text messages
    # ------------------------------------------------------------

    def test_a_customer_without_email_gets_one_text_message_in_its_language(self):
        notice = self._notice(day(7))
        self.assertEqual(notice.level_id, self.level_friendly)
        # The text message goes instead of the letter an email without address needs.
        self.assertEqual(
            (notice.email_state, notice.sms_state, notice.letter_state),
            ("fallback", "pending", "none"),
        )
        self._send_job()
        self.assertEqual(len(self._new_sms), 1)
        sms = self._new_sms
        self.assertEqual((sms.number, sms.partner_id), (BE_MOBILE_E164, self.baker))
        amount = format_amount(self.env(context={"lang": "fr_FR"}), 1200.0, notice.currency_id)
        self.assertIn(amount.replace("\u202f", " ").replace("\u00a0", " "), sms.body)
        self.assertIn(notice.name, sms.body)
        self.assertIn("en retard", sms.body)  # the French template
        # The page link, shortened so that the message fits one part.
        link = self.env["link.tracker"].search(
            [("url", "=", notice.get_base_url() + notice.get_portal_url())]
        )
        self.assertEqual(len(link), 1)
        self.assertIn(link.short_url, sms.body)
        self.assertEqual(sms_parts(sms.body), 1)
        # Sent, on record: the message on the notice and the history.
        self.assertEqual((notice.sms_state, notice.state), ("sent", "sent"))
        self.assertEqual(notice.sms_message_id.message_type, "sms")
        self.assertIn(
            "text message", self._history().filtered(lambda e: e.kind == "notice").summary
        )
        # A rerun of the job sends nothing more.
        self._send_job()
        self.assertFalse(self._new_sms)

    def test_a_number_that_does_not_format_sends_nothing_and_says_why(self):
        self.baker.mobile = "12"
        notice = self._notice(day(7))
        self._send_job()
        self.assertFalse(self._new_sms)
        self.assertEqual(notice.sms_state, "no_number")
        self.assertIn("12", notice.sms_failure_reason)
        logs = notice.run_id.log_ids.filtered(lambda log: log.notice_id == notice)
        self.assertIn("No text message", "".join(logs.mapped("message")))
        # The other channels still go: the letter that replaces the email.
        self.assertEqual(notice.letter_state, "to_print")

    def test_a_blacklisted_number_sends_nothing_and_says_why(self):
        self.env["phone.blacklist"].sudo()._add([BE_MOBILE_E164])
        notice = self._notice(day(7))
        self._send_job()
        self.assertFalse(self._new_sms)
        self.assertEqual(notice.sms_state, "opted_out")
        self.assertIn(
            "opted out", notice.message_ids[:3].mapped("body")[-1] + notice.sms_failure_reason
        )
        self.assertTrue(notice.run_id.log_ids.filtered(lambda log: log.notice_id == notice))

    def test_a_debt_paid_before_the_job_sends_no_text_message(self):
        notice = self._notice(day(7))
        self._pay(self.invoice, 1200.0, day(8))
        self._send_job()
        self.assertFalse(self._new_sms)
        self.assertEqual((notice.state, notice.sms_state), ("cancel", "none"))

    def test_a_failed_text_message_shows_why_and_goes_on_retry(self):
        notice = self._notice(day(7))
        self._send_job(sim_error="credit")
        self.assertEqual((notice.sms_state, notice.state), ("failed", "sending"))
        self.assertEqual(notice.sms_failure_reason, "Insufficient Credit")
        notice.with_user(self.collector).action_retry_sms()
        self.assertEqual(notice.sms_state, "pending")
        self._send_job()
        self.assertEqual(len(self._new_sms), 1)
        self.assertEqual((notice.sms_state, notice.state), ("sent", "sent"))

    def test_a_level_that_texts_everyone_texts_a_customer_with_an_email_too(self):
        self.level_friendly.sms_when = "always"
        self.customer.write({"mobile": BE_MOBILE, "country_id": self.env.ref("base.be").id})
        self._create_dunning_invoice(self.customer, 300.0, DUE)
        notice = self._notice(day(7), self.customer)
        self.assertEqual((notice.email_state, notice.sms_state), ("pending", "pending"))
        self._send_job()
        sms = self._new_sms.filtered(lambda sms: sms.partner_id == self.customer)
        self.assertEqual(len(sms), 1)
        self.assertIn("is overdue since", sms.body)  # in English: no language set
        self.assertEqual((notice.email_state, notice.sms_state), ("queued", "sent"))

    def test_a_level_needs_a_template_on_notices_to_text(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.level_call.send_sms = True
        with Form(self.level_call) as level:
            level.send_sms = True
            level.sms_template_id = self.env.ref("account_dunning.sms_template_dunning_final")
        self.assertTrue(self.level_call.send_sms)

    # ------------------------------------------------------------
    # Letters by post
    # ------------------------------------------------------------

    @contextmanager
    def _snailmail_service(self, error=None):
        """Snailmail's IAP print endpoint, answering as it documents (see
        snailmail.letter._snailmail_print_valid_address): sent, or `error`."""
        calls = []

        def print_letters(url, params=None, **kwargs):
            calls.append(params)
            documents = [
                {"letter_id": document["letter_id"], "sent": not error, "send_id": "TRACK-1"}
                | ({"error": error} if error else {})
                for document in params["documents"]
            ]
            return {"request_code": 200, "request": {"documents": documents}}

        with patch.object(iap_tools, "iap_jsonrpc", side_effect=print_letters):
            yield calls

    def _snailmail_job(self, letter):
        """What snailmail's hourly job does with a pending letter (its
        _snailmail_print), without the commit after each letter that a test
        cannot make: the debt read again, then the letter given to the service."""
        letter._snailmail_print(immediate=False)
        if letter.state == "pending":
            letter._snailmail_print_valid_address()

    def _posted_notice(self):
        self.policy.jump_to_highest_level = True
        self.company.dunning_post_letters = True
        self.level_second.send_post = True
        notice = self._notice(day(30))
        self.assertEqual(notice.level_id, self.level_second)
        self.assertEqual(notice.letter_state, "to_post")
        return notice

    def test_a_posted_letter_carries_the_kept_pdf_and_follows_snailmail(self):
        notice = self._posted_notice()
        self._send_job()
        letter = notice.snailmail_letter_id
        self.assertEqual(len(letter), 1)
        self.assertEqual((letter.state, letter.partner_id), ("pending", self.baker))
        kept = self.env["ir.attachment"].browse(
            self.env["account.dunning.notice.send"]._get_kept_letters(notice)[notice.id]
        )
        self.assertEqual(letter.attachment_id.raw, kept.raw)
        self.assertTrue(base64.b64decode(letter.attachment_datas).startswith(b"%PDF"))
        self.assertEqual(notice.letter_state, "to_post")
        # Snailmail refuses it (no credits): the reason, and a Retry.
        with self._snailmail_service(error="CREDIT_ERROR"):
            self._snailmail_job(letter)
        self.assertEqual((letter.state, notice.letter_state), ("error", "post_failed"))
        self.assertIn("credits", notice.post_failure_reason)
        self.assertEqual(notice.state, "sending")
        notice.with_user(self.collector).action_retry_post()
        self.assertEqual((letter.state, notice.letter_state), ("pending", "to_post"))
        with self._snailmail_service() as calls:
            self._snailmail_job(letter)
        self.assertEqual(len(calls), 1)
        self.assertEqual((letter.state, notice.letter_state), ("sent", "posted"))
        self.assertEqual(notice.state, "sent")
        self.assertTrue(
            self._history().filtered(lambda e: e.kind == "letter" and "posted" in e.summary)
        )

    def test_an_incomplete_address_is_not_posted_and_says_why(self):
        self.baker.street = False
        notice = self._posted_notice()
        self._send_job()
        self.assertFalse(notice.snailmail_letter_id)
        self.assertEqual(notice.letter_state, "post_failed")
        self.assertIn("address", notice.post_failure_reason)
        # Fixed, then retried: the job makes the letter.
        self.baker.street = "Rue Haute 5"
        notice.with_user(self.collector).action_retry_post()
        self._send_job()
        self.assertEqual(notice.snailmail_letter_id.state, "pending")

    def test_a_debt_paid_before_snailmail_posts_sends_no_letter(self):
        notice = self._posted_notice()
        self._send_job()
        letter = notice.snailmail_letter_id
        self._pay(self.invoice, 1200.0, day(31))
        with self._snailmail_service() as calls:
            self._snailmail_job(letter)
        self.assertFalse(calls)
        self.assertEqual(letter.state, "canceled")
        self.assertEqual(notice.state, "cancel")

    def test_without_the_company_setting_the_letter_is_printed(self):
        self.policy.jump_to_highest_level = True
        self.level_second.send_post = True
        notice = self._notice(day(30))
        self.assertEqual(notice.letter_state, "to_print")

    # ------------------------------------------------------------
    # Costs and rights
    # ------------------------------------------------------------

    def test_the_preview_counts_the_text_messages_and_the_letters_posted(self):
        self.company.dunning_post_letters = True
        self.level_friendly.send_post = True
        no_mobile = self.env["res.partner"].create({"name": "Quiet Ltd", "is_company": True})
        self._create_dunning_invoice(no_mobile, 80.0, DUE)
        wizard = self.env["account.dunning.run.wizard"].create(
            {"company_id": self.company.id, "date": day(7)}
        )
        wizard.action_preview()
        # The baker is texted; Quiet Ltd has no number: its letter is posted.
        self.assertEqual((wizard.sms_count, wizard.post_count), (1, 1))
        baker_line = wizard.line_ids.filtered(lambda line: line.partner_id == self.baker)
        self.assertIn("Text message", baker_line.channels)

    def test_a_salesperson_cannot_resend_text_messages_or_letters(self):
        notice = self._notice(day(7))
        self._send_job(sim_error="credit")
        for action in ("action_retry_sms", "action_retry_post"):
            with self.assertRaises(AccessError):
                getattr(notice.with_user(self.salesman), action)()
        self.assertEqual(notice.sms_state, "failed")

    # ------------------------------------------------------------
    # In the browser
    # ------------------------------------------------------------

    def _walk(self, url, steps, login):
        self.browser_js(url, SCRIPT % {"steps": json.dumps(steps)}, login=login, timeout=90)

    def test_a_collector_reads_why_a_text_message_failed_and_retries_it(self):
        notice = self._notice(day(7))
        self._send_job(sim_error="credit")
        self._walk(
            f"/odoo/action-account_dunning.action_account_dunning_notice/{notice.id}",
            [
                ("wait", "div[name='sms_failure_reason']"),
                ("click", "button[name='action_retry_sms']"),
                ("gone", "button[name='action_retry_sms']"),
            ],
            login=self.collector.login,
        )
        self.assertEqual(notice.sms_state, "pending")

    def test_the_run_preview_warns_of_the_iap_credits_in_the_browser(self):
        # The baker has no email address: whichever level it reaches today, its
        # letter (or text message) costs credits.
        self.company.dunning_post_letters = True
        self.levels.write({"send_post": True})
        self._walk(
            "/odoo/action-account_dunning.action_account_dunning_run_wizard",
            [
                ("click", "button[name='action_preview']"),
                ("wait", "div[name='iap_costs']:not(.d-none)"),
            ],
            login="admin",
        )
