from odoo import api, fields, models
from odoo.tools import format_amount, format_date


class ReportPaymentPlan(models.AbstractModel):
    """The payment plan agreement: the covered invoices, the schedule with its
    running balance, the terms, and how to pay the next installment (EPC QR)."""

    _name = "report.account_dunning.report_payment_plan"
    _description = "Payment Plan Agreement"

    @api.model
    def _get_report_values(self, docids, data=None):
        plans = self.env["account.dunning.payment.plan"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "account.dunning.payment.plan",
            "docs": plans,
            "agreements": self._get_agreement_values(plans),
        }

    @api.model
    def _get_agreement_values(self, plans):
        letters = self.env["report.account_dunning.report_dunning_notice"]
        providers = letters._get_letter_payment_providers(plans)
        values = {}
        for plan in plans:
            customer = plan.partner_id.commercial_partner_id
            lang = customer.lang or plan.company_id.partner_id.lang or "en_US"
            currency = plan.currency_id

            def money(amount, lang=lang, currency=currency):
                return format_amount(self.env, amount, currency, lang_code=lang)

            next_installment = plan.next_installment_id
            due = next_installment.amount_due if next_installment else 0.0
            bank = letters._get_letter_bank_account(plan)
            try:
                qr = letters._get_letter_payment_qr(
                    plan, bank, due, providers, page_url=plan.get_base_url() + plan.get_portal_url()
                )
            except ValueError:  # no bank would accept it: print without a QR
                qr = (False, False)
            values[plan.id] = {
                "lang": lang,
                "date": format_date(
                    self.env, plan.date_proposed or fields.Date.context_today(plan), lang_code=lang
                ),
                "invoices": [
                    {
                        "invoice": move.name,
                        "due_date": format_date(self.env, move.invoice_date_due, lang_code=lang),
                        "amount_total": money(move.amount_total),
                    }
                    for move in plan.move_ids.sorted(lambda move: (move.invoice_date_due, move.id))
                ],
                "schedule": [
                    {
                        "number": index,
                        "down_payment": row["installment"].is_down_payment,
                        "date": format_date(self.env, row["installment"].date, lang_code=lang),
                        "amount": money(row["installment"].amount),
                        "balance": money(row["balance"]),
                        "state": row["installment"].state,
                    }
                    for index, row in enumerate(plan._get_agreement_schedule(), start=1)
                ],
                "covered": money(plan.amount_covered),
                "total_in_words": currency.with_context(lang=lang).amount_to_text(
                    plan.amount_covered
                ),
                "next_date": next_installment
                and format_date(self.env, next_installment.date, lang_code=lang),
                "reference": plan.name,
                **letters._get_payment_block_values(
                    customer, due, bank, qr, plan.user_id.partner_id or plan.company_id.partner_id
                ),
            }
        return values
