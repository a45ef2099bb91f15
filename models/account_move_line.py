from collections import defaultdict

from odoo import _, api, models
from odoo.exceptions import AccessError


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def write(self, vals):
        if "sale_line_ids" not in vals or self.env.is_superuser():
            return super().write(vals)
        # A posted invoice linked to an order's down payment would count as its
        # deposit received: only Odoo's own invoicing of the order makes such links.
        posted = self.filtered(lambda line: line.parent_state == "posted")
        before = {line: line.sale_line_ids.filtered("is_downpayment") for line in posted}
        result = super().write(vals)
        if any(line.sale_line_ids.filtered("is_downpayment") != before[line] for line in posted):
            raise AccessError(
                _("Posted invoice lines cannot be linked to down-payment lines by hand.")
            )
        return result

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_dunning_credit_domain(self):
        """What a customer holds against its debt: the unreconciled credit side of
        its receivable (open credit notes, payments not applied to an invoice, any
        other credit entry). The run, the notices and the worklist all use this."""
        return [
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual_currency", "<", 0),
        ]

    @api.model
    def _get_dunning_credits(self, company, partners):
        """{(commercial partner id, currency id): (credit in that currency, in the
        company's currency)} for `partners` in `company`, in one query."""
        groups = self._read_group(
            [
                *self._get_dunning_credit_domain(),
                ("company_id", "=", company.id),
                ("partner_id", "child_of", partners.commercial_partner_id.ids),
            ],
            ["partner_id", "currency_id"],
            ["amount_residual_currency:sum", "amount_residual:sum"],
        )
        credits = defaultdict(lambda: (0.0, 0.0))
        for partner, currency, amount_currency, amount in groups:
            key = (partner.commercial_partner_id.id, currency.id)
            previous_currency, previous = credits[key]
            credits[key] = (previous_currency - amount_currency, previous - amount)
        return dict(credits)
