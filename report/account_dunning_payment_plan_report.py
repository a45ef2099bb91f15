from decimal import Decimal

from odoo import api, fields, models
from odoo.tools import format_amount, format_date

from ..models.mail_mail import DUNNING_EMAIL_LAYOUT
from ..tools.plan import running_balances


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
                        "down_payment": installment.is_down_payment,
                        "date": format_date(self.env, installment.date, lang_code=lang),
                        "amount": money(installment.amount),
                        "balance": money(balance),
                        "state": installment.state,
                    }
                    for index, (installment, balance) in enumerate(
                        self._get_schedule_rows(plan), start=1
                    )
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

    @api.model
    def _get_schedule_rows(self, plan):
        """The agreement's schedule: (installment, balance left once it is paid)."""
        installments = plan.installment_ids.sorted(lambda i: (i.date, i.sequence))
        balances = running_balances(
            Decimal(str(plan.amount_covered)),
            [Decimal(str(amount)) for amount in installments.mapped("amount")],
        )
        return [
            (installment, plan.currency_id.round(float(balance)))
            for installment, balance in zip(installments, balances, strict=True)
        ]

    @api.model
    def _send_agreements(self, plans):
        """Render each plan's agreement, keep it on the plan and email it with a link
        to sign (as account.move.send does for invoices)."""
        template = self.env.ref("account_dunning.mail_template_payment_plan_agreement")
        for plan in plans:
            plan._portal_ensure_token()
            attachment = self._create_agreement_attachment(plan)
            plan.sudo().agreement_id = attachment  # sudo: the server's record, see the plan
            plan.with_context(dunning_plan_attachment_ids=attachment.ids).message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                attachment_ids=attachment.ids,
                email_layout_xmlid=DUNNING_EMAIL_LAYOUT,
            )

    @api.model
    def _create_agreement_attachment(self, plan):
        """The agreement of `plan` rendered now and kept on it, as proposed."""
        report = self.env.ref("account_dunning.action_report_payment_plan")
        pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, plan.ids)
        # sudo: the kept letter is the server's record of what was proposed.
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"{plan.name.replace('/', '-')}.pdf",
                    "raw": pdf,
                    "res_model": plan._name,
                    "res_id": plan.id,
                    "mimetype": "application/pdf",
                }
            )
        )
