import re

from odoo import Command
from odoo.tests import tagged

from .common import DUE, DunningTestCommon, day

LANGS = ("en_US", "fr_FR", "de_DE", "es_ES")
# Odoo's light layout heads an email "Your <model description>" in this span.
LIGHT_HEADER = '<span style="font-size: 10px;">'


@tagged("post_install", "-at_install")
class TestEmailHeader(DunningTestCommon):
    """The addon's emails read as the company's, in every language it ships: headed by
    their subject or the company's name, never "Your Dunning Notice" or "Your Kontakt"
    (the record's model, as Odoo's light layout names it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS[1:]:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "mail", "account_dunning"], list(LANGS[1:])
        )
        cls.collector = cls._create_collector("header_collector")
        cls.policy.jump_to_highest_level = False

    def _model_description(self, model, lang):
        return self.env["ir.model"].with_context(lang=lang)._get(model).display_name

    def _header(self, body):
        """The text of the email's header: what comes before the message itself."""
        head = body.split('<td style="min-width: 590px;">', 1)[0]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", head)).strip()

    def _assert_company_header(self, mail, lang, model=None):
        body = mail.body_html
        self.assertNotIn(LIGHT_HEADER, body, lang)
        self.assertNotIn("Your ", body, lang)
        if model:
            description = self._model_description(model, lang)
            self.assertNotIn(description, self._header(body), lang)

    def test_reminders_are_headed_by_the_company_in_every_language(self):
        customers = self.env["res.partner"].create(
            [
                {"name": f"Header {lang}", "is_company": True, "email": f"{lang}@h.example.com"}
                for lang in LANGS
            ]
        )
        for customer, lang in zip(customers, LANGS, strict=True):
            customer.lang = lang
            self._create_dunning_invoice(customer, 300.0, DUE)
        run = self._run_dunning(day(7))
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()
        for customer, lang in zip(customers, LANGS, strict=True):
            notice = run.notice_ids.filtered(lambda notice, c=customer: notice.partner_id == c)
            mail = self.env["mail.mail"].search(
                [("model", "=", notice._name), ("res_id", "=", notice.id)]
            )
            self.assertEqual(len(mail), 1, lang)
            self._assert_company_header(mail, lang, model=notice._name)
            self.assertIn(self.company.name, self._header(mail.body_html))

    def test_the_german_statement_is_not_headed_your_kontakt(self):
        self.customer.lang = "de_DE"
        self._create_dunning_invoice(self.customer, 300.0, DUE)
        self.customer.with_user(self.collector)._action_send_dunning_statement()
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertNotIn("Kontakt", self._header(mail.body_html))
        self._assert_company_header(mail, "de_DE", model="res.partner")

    def test_a_payment_plans_agreement_is_headed_by_its_subject(self):
        self.customer.lang = "es_ES"
        invoices = self._create_dunning_invoice(self.customer, 600.0, DUE)
        invoices |= self._create_dunning_invoice(self.customer, 400.0, DUE)
        plan = self.env["account.dunning.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoices.ids)],
                "installment_count": 2,
                "first_date": day(10),
            }
        )
        plan.action_propose()
        message = plan.message_ids.filtered(
            lambda message: message.subtype_id == self.env.ref("mail.mt_comment")
        )
        self.assertEqual(len(message), 1)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertTrue(mail)
        for one in mail:
            self._assert_company_header(one, "es_ES")
            self.assertIn(message.subject, self._header(one.body_html))
