from collections import defaultdict
from types import SimpleNamespace

from odoo import api, fields, models
from odoo.tools import format_amount, format_date

from ..models.account_dunning_worklist import AGING_BUCKETS
from ..tools.ladder import days_overdue

# Payments listed on a first statement: those of the last days.
FIRST_STATEMENT_DAYS = 90


class ReportDunningStatement(models.AbstractModel):
    """Statements of account: a customer's open items with their aging, the
    payments since the last statement, the total due and how to pay it, per
    currency, in the customer's language."""

    _name = "report.account_dunning.report_dunning_statement"
    _description = "Statement of Account"

    @api.model
    def _get_report_values(self, docids, data=None):
        partners = self.env["res.partner"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "statements": self._get_statement_values(partners),
        }

    @api.model
    def _get_statement_values(self, partners):
        """{partner id: {"lang", "date", "since", "sections": one per currency}}, read
        with one query for the invoices and one for the payments."""
        company = self.env.company
        today = fields.Date.context_today(self)
        customers = partners.commercial_partner_id
        invoices = self.env["account.move"].search(
            self.env["res.partner"]._get_dunning_open_items_domain(customers),
            order="invoice_date_due, id",
        )
        since = {
            partner.id: partner.dunning_statement_date
            or fields.Date.subtract(today, days=FIRST_STATEMENT_DAYS)
            for partner in customers
        }
        payments = self.env["account.payment"].search(
            [
                ("partner_id", "in", customers.ids),
                ("company_id", "=", company.id),
                ("payment_type", "=", "inbound"),
                ("state", "in", ("in_process", "paid")),
                ("date", ">", min(since.values(), default=today)),
            ],
            order="date, id",
        )
        by_customer = defaultdict(
            lambda: defaultdict(lambda: [self.env["account.move"], self.env["account.payment"]])
        )
        for move in invoices:
            by_customer[move.commercial_partner_id.id][move.currency_id][0] |= move
        for payment in payments:
            if payment.date > since[payment.partner_id.id]:
                by_customer[payment.partner_id.id][payment.currency_id][1] |= payment
        credits = self.env["account.move.line"]._get_dunning_credits(company, customers)
        letters = self.env["report.account_dunning.report_dunning_notice"]
        providers = {company.id} if self._takes_online_payments(company) else set()
        values = {}
        for partner in partners:
            customer = partner.commercial_partner_id
            lang = customer.lang or company.partner_id.lang or "en_US"
            values[partner.id] = {
                "lang": lang,
                "date": format_date(self.env, today, lang_code=lang),
                "since": format_date(self.env, since[customer.id], lang_code=lang),
                "sections": [
                    self._get_section_values(
                        customer,
                        currency,
                        (moves, paid, credits.get((customer.id, currency.id), (0.0,))[0]),
                        today,
                        lang,
                        providers,
                        letters,
                    )
                    for currency, (moves, paid) in by_customer[customer.id].items()
                ],
            }
        return values

    @api.model
    def _takes_online_payments(self, company):
        # sudo: payment providers are configuration that collectors cannot read.
        return bool(
            self.env["payment.provider"]
            .sudo()
            .search_count(
                [
                    ("company_id", "=", company.id),
                    ("state", "in", ("enabled", "test")),
                    ("is_published", "=", True),
                ],
                limit=1,
            )
        )

    @api.model
    def _get_section_values(self, customer, currency, items, today, lang, providers, letters):
        """One currency of a statement: its rows, aging, payments, credits, total and
        QR. `items`: (open invoices, payments since the last statement, credits)."""
        moves, paid, credit = items

        def money(amount):
            return format_amount(self.env, amount, currency, lang_code=lang)

        rows, aging = self._get_aging_values(moves, today, lang, money)
        # What is open, less what the customer holds against it.
        open_amount = currency.round(sum(moves.mapped("amount_residual")))
        credit = currency.round(min(credit, open_amount))
        total = currency.round(open_amount - credit)
        reference = customer.ref or customer.name
        # The letters' payment instructions and QR, for what this statement asks.
        payee = SimpleNamespace(
            name=reference,
            company_id=self.env.company,
            currency_id=currency,
            partner_id=customer,
        )
        bank = letters._get_letter_bank_account(payee)
        qr = self._get_statement_payment_qr(payee, bank, total, providers, letters)
        return {
            "doc": payee,
            "rows": rows,
            "aging": aging,
            "payments": [
                {
                    "date": format_date(self.env, payment.date, lang_code=lang),
                    "name": payment.name,
                    "memo": payment.memo or "",
                    "amount": money(payment.amount),
                }
                for payment in paid
            ],
            **letters._get_payment_block_values(
                customer,
                total,
                bank,
                qr,
                customer.dunning_responsible_id or self.env.company.partner_id,
            ),
            "credits": credit,
            "reference": reference,
            "total_in_words": currency.with_context(lang=lang).amount_to_text(total),
        }

    @api.model
    def _get_aging_values(self, moves, today, lang, money):
        """(rows, aging) of the open invoices `moves`: a row per invoice, and the open
        amount per aging bucket as [(label, amount)], in the worklist's buckets."""
        worklist_fields = self.env["account.dunning.worklist"]._fields
        labels = {
            name: worklist_fields[name].get_description(self.env)["string"]
            for name, _low, _high in AGING_BUCKETS
        }
        aging = dict.fromkeys(labels, 0.0)
        rows = []
        for move in moves:
            late = days_overdue(move.dunning_date_due, today)
            bucket = _bucket_of(late)
            aging[bucket] += move.amount_residual
            rows.append(
                {
                    "invoice": move.name,
                    "invoice_date": format_date(self.env, move.invoice_date, lang_code=lang),
                    "due_date": format_date(self.env, move.invoice_date_due, lang_code=lang),
                    "days_overdue": max(late, 0),
                    "aging": labels[bucket],
                    "amount_total": money(move.amount_total),
                    "amount_residual": money(move.amount_residual),
                }
            )
        return rows, [(labels[name], money(amount)) for name, amount in aging.items()]

    @api.model
    def _get_statement_payment_qr(self, payee, bank, total, providers, letters):
        """(kind, data) of the statement's payment QR: the letters' QR for `total`,
        opening the statement's own page when it is a link."""
        customer, company = payee.partner_id, payee.company_id
        try:
            return letters._get_letter_payment_qr(
                payee,
                bank,
                total,
                providers,
                page_url=company.get_base_url()
                + customer._get_dunning_statement_path(company, payee.currency_id),
            )
        except ValueError:  # no bank would accept it: no QR on the statement
            return False, False


def _bucket_of(late):
    for name, low, high in AGING_BUCKETS:
        if (low is None or late >= low) and (high is None or late <= high):
            return name
    return AGING_BUCKETS[-1][0]
