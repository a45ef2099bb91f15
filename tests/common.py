import email
import socket
import threading
from contextlib import contextmanager
from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.modules import module
from odoo.tests.common import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# The company's account on the letters: a German IBAN of the SEPA zone.
IBAN = "DE89370400440532013000"
# The due date of the tests' invoices, and the day `offset` days after it.
DUE = date(2026, 1, 31)


def day(offset):
    return DUE + timedelta(days=offset)


class SmtpInbox:
    """An SMTP server's handler that keeps what it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope)
        return "250 Message accepted"


@contextmanager
def smtp_server():
    """A real SMTP server on a free loopback port: yields (port, inbox)."""
    # Imported here: without aiosmtpd only the tests that talk SMTP fail, not the module.
    from aiosmtpd.controller import Controller  # noqa: PLC0415

    inbox = SmtpInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def email_bodies(inbox, recipient):
    """The HTML bodies of the emails `inbox` received for `recipient`, decoded, without
    their attachments."""
    bodies = []
    for envelope in inbox.messages:
        if recipient not in envelope.rcpt_tos:
            continue
        message = email.message_from_bytes(envelope.content)
        bodies.append(
            "".join(
                part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in message.walk()
                if part.get_content_type() == "text/html"
                and part.get_content_disposition() != "attachment"
            )
        )
    return bodies


class DunningTestCommon(AccountTestInvoicingCommon):
    """A company with the standard collection ladder, customers and real users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.policy = cls.company.dunning_policy_id
        cls.levels = cls.policy._get_ordered_levels()
        (
            cls.level_pre_due,
            cls.level_friendly,
            cls.level_call,
            cls.level_second,
            cls.level_final,
            cls.level_agency,
        ) = cls.levels
        cls.customer = cls.env["res.partner"].create(
            {"name": "Lakeside Joinery", "is_company": True, "email": "ap@lakeside.example.com"}
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Ms Rowe", "parent_id": cls.customer.id, "email": "rowe@lakeside.example.com"}
        )

    @classmethod
    def _setup_letterhead(cls):
        """The company as its letters show it: name, address and an IBAN with its
        bank's BIC, which the EPC QR code carries. Returns the bank account."""
        cls.company.write({"name": "Lakeside Supplies Ltd", "street": "1 Quay Street"})
        bank = cls.env["res.bank"].create({"name": "Commerzbank", "bic": "COBADEFFXXX"})
        return cls.env["res.partner.bank"].create(
            {"partner_id": cls.company.partner_id.id, "acc_number": IBAN, "bank_id": bank.id}
        )

    @classmethod
    def _create_collector(cls, login):
        """A collector who can also edit customers, in charge of `cls.customer`."""
        collector = cls._create_user(
            login, "account_dunning.group_dunning_user,base.group_partner_manager"
        )
        cls.customer.dunning_responsible_id = collector
        return collector

    @classmethod
    def _create_user(cls, login, groups, company=None, companies=None):
        company = company or cls.company
        # su: the test user (an accountant) may not create users.
        return new_test_user(
            cls.env(su=True),
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[Command.set((companies or company).ids)],
        )

    @classmethod
    def _create_dunning_invoice(cls, partner, amount, due_date, company=None, post=True, **values):
        """A customer invoice of `amount`, without taxes, due on `due_date`."""
        company = company or cls.company
        due_date = fields.Date.to_date(due_date)
        invoice = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": values.pop("invoice_date", due_date),
                    "invoice_date_due": due_date,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Joinery work",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                    **values,
                }
            )
        )
        if post:
            invoice.action_post()
        return invoice

    @classmethod
    def _run_dunning(cls, date, company=None):
        """A manual dunning run of `company` on `date`."""
        company = company or cls.company
        run = (
            cls.env["account.dunning.run"]
            .with_company(company)
            .create({"company_id": company.id, "date": date, "trigger": "manual"})
        )
        return run._run_dunning()

    @classmethod
    def _promise(cls, invoices, amount, promised_date, **values):
        """A promise to pay `amount` of `invoices` by `promised_date`."""
        return cls.env["account.dunning.promise"].create(
            {
                "partner_id": invoices[:1].commercial_partner_id.id,
                "move_ids": [Command.set(invoices.ids)],
                "amount": amount,
                "date": promised_date,
                **values,
            }
        )

    @classmethod
    def _dispute(cls, invoice, amount, reason="quantity", **values):
        """A dispute of `amount` of `invoice`."""
        return cls.env["account.dunning.dispute"].create(
            {"move_id": invoice.id, "amount": amount, "reason": reason, **values}
        )

    @classmethod
    def _pay(cls, invoice, amount, payment_date):
        """Register a real payment of `amount` on `invoice`."""
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": payment_date})
            ._create_payments()
        )

    @classmethod
    def _setup_demo_provider(cls):
        """Odoo's Demo payment provider, in test mode for the company, and its
        method: (provider, payment method)."""
        # sudo: providers are configuration that the test's accountant cannot edit.
        provider = cls.env["payment.provider"].sudo().search(
            [("code", "=", "demo"), ("company_id", "=", cls.company.id)], limit=1
        ) or cls.env.ref("payment.payment_provider_demo").sudo().copy(
            {"company_id": cls.company.id}
        )
        provider.write({"state": "test", "is_published": True})
        return provider, cls.env.ref("payment_demo.payment_method_demo")

    @staticmethod
    def _payment_form_values(provider, method, access_token, landing_route="/my"):
        """What Odoo's payment form posts to a transaction route; its amount, 1.00,
        is what a tampered browser would send: the servers must ignore it."""
        return {
            "access_token": access_token,
            "provider_id": provider.id,
            "payment_method_id": method.id,
            "token_id": None,
            "amount": 1.0,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": landing_route,
            "is_validation": False,
        }

    @contextmanager
    def _smtp(self, port):
        """Odoo's mail queue talking to a real SMTP server on `port`."""
        self.env["ir.mail_server"].sudo().create(
            {"name": "Test SMTP", "smtp_host": "127.0.0.1", "smtp_port": port, "sequence": 1}
        )
        # Odoo never opens an SMTP connection during a test: let it, for this one.
        with patch.object(module, "current_test", None):
            yield
