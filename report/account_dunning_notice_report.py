import base64
from decimal import Decimal

from odoo import _, api, models
from odoo.tools import format_amount, format_date
from odoo.tools.image import image_data_uri

from ..tools.epc import epc_payload


class ReportDunningNotice(models.AbstractModel):
    """The demand letters: what each letter shows beyond its notice's records,
    prepared in one pass for a batch rather than computed in QWeb."""

    _name = "report.account_dunning.report_dunning_notice"
    _description = "Dunning Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        notices = self.env["account.dunning.notice"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "account.dunning.notice",
            "docs": notices,
            "letters": self._get_letter_values(notices),
        }

    @api.model
    def _get_letter_values(self, notices):
        """What each letter of `notices` shows beyond its records, by notice id: totals,
        the total in words, the payment instructions and the payment QR code.
        Prepared here, in one pass, rather than computed in QWeb."""
        providers = self._get_letter_payment_providers(notices)
        qr_errors = {}
        values = {}
        for notice in notices:
            lang = notice._get_letter_lang()
            currency = notice.currency_id
            charges = notice.charge_ids if not notice.charges_waived else notice.charge_ids.browse()
            # What the charge invoice asks: the fee with its tax (interest and
            # compensation are damages, untaxed). The letter shows exactly that.
            invoiced = {charge.id: charge._get_invoiced_amount() for charge in charges}
            # The open invoices less the customer's credits, plus the charges.
            total = currency.round(notice.amount_due + sum(invoiced.values()))
            bank = self._get_letter_bank_account(notice)
            try:
                qr_kind, qr_data = self._get_letter_payment_qr(
                    notice,
                    bank,
                    total,
                    providers,
                    page_url=notice.get_base_url() + notice.get_portal_url(),
                )
            except ValueError as error:  # no bank would accept it: print without a QR
                qr_kind, qr_data = False, False
                qr_errors[notice] = str(error)
            values[notice.id] = {
                "lang": lang,
                "rows": self._get_letter_rows(notice, lang),
                "charges": charges,
                "charge_amounts": invoiced,
                "total_in_words": currency.with_context(lang=lang).amount_to_text(total),
                "reference": notice.name,
                **self._get_payment_block_values(
                    notice.partner_id.commercial_partner_id,
                    total,
                    bank,
                    (qr_kind, qr_data),
                    notice.user_id or notice.company_id.partner_id,
                ),
            }
        self._log_letter_qr_errors(qr_errors)
        return values

    @api.model
    def _get_payment_block_values(self, customer, total, bank, qr, collector):
        """What the "how to pay" block of a letter or a statement shows."""
        qr_kind, qr_data = qr
        return {
            "total": total,
            "bank": bank,
            "qr_kind": qr_kind,
            "qr_src": qr_data and self._get_qr_image(qr_data),
            "payment_link": qr_kind == "link" and qr_data,
            "collector": collector,
            "requires_po": customer.dunning_requires_po,
            "requires_original_invoice": customer.dunning_requires_original_invoice,
            "payment_approver": customer.dunning_payment_approver,
        }

    @api.model
    def _get_qr_image(self, data):
        """The QR code of `data` as core's reports draw barcodes, with the error
        correction the EPC requires (M) and a quiet zone of four modules."""
        png = self.env["ir.actions.report"].barcode(
            "QR", data, width=1000, height=1000, barLevel="M", quiet=0, barBorder=4
        )
        return image_data_uri(base64.b64encode(png))

    @api.model
    def _get_letter_rows(self, notice, lang):
        """The invoices a letter lists, formatted once here in the letter's language:
        a letter may list many invoices."""
        currency = notice.currency_id
        return [
            {
                "invoice": line.move_id.name,
                "invoice_date": format_date(self.env, line.invoice_date, lang_code=lang),
                "due_date": format_date(self.env, line.invoice_date_due, lang_code=lang),
                "days_overdue": max(line.days_overdue, 0),
                "amount_total": format_amount(
                    self.env, line.amount_total, currency, lang_code=lang
                ),
                "paid": format_amount(
                    self.env, line.amount_total - line.amount_residual, currency, lang_code=lang
                ),
                "amount_residual": format_amount(
                    self.env, line.amount_residual, currency, lang_code=lang
                ),
            }
            for line in notice.line_ids
        ]

    @api.model
    def _log_letter_qr_errors(self, qr_errors):
        """Say once, in the notice's chatter, why its letter has no payment QR code."""
        for notice, error in qr_errors.items():
            if notice.letter_qr_error == error:
                continue
            # sudo: the reason is a fact of the letter, recorded when it is rendered.
            notice.sudo().letter_qr_error = error
            notice.sudo().message_post(
                body=_(
                    "The letter of %(notice)s has no payment QR code: %(error)s",
                    notice=notice.name,
                    error=error,
                )
            )

    @api.model
    def _get_letter_bank_account(self, notice):
        """The company account the customer should pay to: for euros, one that
        Odoo's SEPA QR method accepts (an IBAN of the SEPA zone). `notice`: a notice,
        or what a statement asks, with the same name, company_id, currency_id and
        partner_id."""
        accounts = notice.company_id.partner_id.bank_ids.filtered("acc_number")
        if notice.currency_id.name == "EUR":
            sepa = accounts.filtered(lambda account: self._takes_sepa_qr(account, notice))
            accounts = sepa or accounts
        return accounts[:1]

    @api.model
    def _takes_sepa_qr(self, bank, notice):
        """Whether Odoo's SEPA QR method can ask to pay `notice` into `bank`."""
        return not bank._get_error_messages_for_qr("sct_qr", notice.partner_id, notice.currency_id)

    @api.model
    def _get_sepa_country_codes(self):
        """The country codes of the SEPA zone as Odoo defines it (its SEPA QR method
        reads the same group)."""
        return frozenset(self.env.ref("base.sepa_zone").country_ids.mapped("code"))

    @api.model
    def _get_letter_payment_providers(self, notices):
        # sudo: payment providers are configuration that collectors cannot read.
        providers = (
            self.env["payment.provider"]
            .sudo()
            .search(
                [
                    ("company_id", "in", notices.company_id.ids),
                    ("state", "in", ("enabled", "test")),
                    ("is_published", "=", True),
                ]
            )
        )
        return set(providers.company_id.ids)

    @api.model
    def _get_letter_payment_qr(self, notice, bank, total, provider_companies, page_url=None):
        """('epc', payload) for euros to a SEPA IBAN; else ('link', url) of the online
        payment page when the company takes online payments: `page_url`, the notice's
        or the statement's own page, which pays its invoices; else (False, False)."""
        if total <= 0:
            return False, False
        partner = notice.partner_id.commercial_partner_id
        if bank and notice.currency_id.name == "EUR" and self._takes_sepa_qr(bank, notice):
            # Odoo's SEPA QR method lists the fields; epc_payload keeps them within
            # the EPC's limits, which Odoo does not check.
            fields = bank._get_qr_vals(
                "sct_qr",
                Decimal(str(total)).quantize(Decimal("0.01")),
                notice.currency_id,
                partner,
                " ".join(filter(None, (notice.name, partner.ref))),
                notice.name,
            )
            return "epc", epc_payload(fields, self._get_sepa_country_codes())
        if notice.company_id.id in provider_companies and page_url:
            # The document's own page: it pays exactly its invoices.
            return "link", page_url
        return False, False
