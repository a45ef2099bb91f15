from odoo import api, models
from odoo.tools import format_amount, format_date, format_datetime


class ReportDunningDossier(models.AbstractModel):
    """The collection dossier handed to an agency or a lawyer: the customer, its
    open invoices, its settlement procedure, its whole collection history and
    every notice with its letter."""

    _name = "report.account_dunning.report_dunning_dossier"
    _description = "Collection Dossier"

    @api.model
    def _get_report_values(self, docids, data=None):
        partners = self.env["res.partner"].browse(docids)
        customers = partners.commercial_partner_id
        company = self.env.company
        notices = self.env["account.dunning.notice"].search(
            [
                ("partner_id", "in", customers.ids),
                ("company_id", "=", company.id),
                ("state", "!=", "cancel"),
            ],
            order="date, id",
        )
        events = self.env["account.dunning.event"].search(
            [("partner_id", "in", customers.ids), ("company_id", "=", company.id)],
            order="date, id",
        )
        invoices = self.env["account.move"].search(
            self.env["res.partner"]._get_dunning_open_items_domain(customers),
            order="invoice_date_due, id",
        )
        dossiers = {
            partner.id: {
                "customer": partner.commercial_partner_id,
                "notices": notices.filtered(
                    lambda notice, p=partner: notice.partner_id == p.commercial_partner_id
                ),
                "invoices": self._get_invoice_rows(
                    invoices.filtered(
                        lambda move, p=partner: (
                            move.commercial_partner_id == p.commercial_partner_id
                        )
                    )
                ),
                "history": self._get_history_rows(
                    events.filtered(
                        lambda event, p=partner: event.partner_id == p.commercial_partner_id
                    )
                ),
            }
            for partner in partners
        }
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "dossiers": dossiers,
            "letters": self.env["report.account_dunning.report_dunning_notice"]._get_letter_values(
                notices
            ),
        }

    @api.model
    def _get_invoice_rows(self, invoices):
        lang = self.env.user.lang or "en_US"
        return [
            {
                "name": move.name,
                "invoice_date": format_date(self.env, move.invoice_date, lang_code=lang),
                "due_date": format_date(self.env, move.invoice_date_due, lang_code=lang),
                "amount_total": format_amount(self.env, move.amount_total, move.currency_id),
                "amount_residual": format_amount(self.env, move.amount_residual, move.currency_id),
                "level": move.dunning_level_id.name or "",
            }
            for move in invoices
        ]

    @api.model
    def _get_history_rows(self, events):
        kinds = dict(events._fields["kind"]._description_selection(self.env))
        email_states = dict(events._fields["email_state"]._description_selection(self.env))
        email_states.pop("none")
        return [
            {
                "date": format_datetime(self.env, event.date, dt_format="short"),
                "kind": kinds[event.kind],
                "summary": event.summary,
                "note": event.note or "",
                "user": event.user_id.name or "",
                "email_state": email_states.get(event.email_state, ""),
            }
            for event in events
        ]
