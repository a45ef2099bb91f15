from odoo import api, models
from odoo.exceptions import UserError


class MissingExchangeRate(UserError):
    """An amount would be converted through a currency without any exchange rate:
    Odoo would convert it at 1:1 (a 5 USD fee becoming 5 VES). The charge that
    needs it is left out, never its notice."""

    def __init__(self, message, currencies):
        super().__init__(message)
        self.currencies = currencies


class ResCurrency(models.Model):
    _inherit = "res.currency"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_dunning_rated_ids(self, companies):
        """{company id: ids of the currencies that have an exchange rate there}, in
        one query for a batch: what _dunning_convert may convert through."""
        roots = companies.root_id
        groups = self.env["res.currency.rate"]._read_group(
            [("company_id", "in", [False, *roots.ids])], ["company_id", "currency_id"]
        )
        shared = {currency.id for company, currency in groups if not company}
        return {
            company.id: shared
            | {currency.id for root, currency in groups if root == company.root_id}
            for company in companies
        }

    def _dunning_convert(self, amount, to_currency, company, date, rated):
        """`amount` in this currency converted to `to_currency` on `date`, only at a
        recorded exchange rate (`rated`: see _get_dunning_rated_ids); raises
        MissingExchangeRate otherwise."""
        self.ensure_one()
        self._check_dunning_rates(to_currency, company, rated)
        return self._convert(amount, to_currency, company, date)

    def _check_dunning_rates(self, to_currency, company, rated):
        """Raise MissingExchangeRate when converting these currencies to `to_currency`
        in `company` goes through a currency without any rate recorded."""
        if not self or self == to_currency:
            return
        missing = ((self | to_currency) - company.currency_id).filtered(
            lambda currency: currency.id not in rated[company.id]
        )
        if missing:
            raise MissingExchangeRate(
                self.env._(
                    "No exchange rate is recorded for %(currencies)s in %(company)s.",
                    currencies=", ".join(missing.mapped("name")),
                    company=company.name,
                ),
                missing,
            )
