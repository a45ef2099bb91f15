from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.money import STATUTORY_MARGINS, half_year_starts, reference_date

RATE_TYPES = [
    ("ecb", "ECB main refinancing rate"),
    ("de_base", "German base rate (Basiszinssatz)"),
    ("boe", "Bank of England base rate"),
]

# The reference rate each statutory preset is built on.
PRESET_RATE_TYPES = {
    "eu": "ecb",
    "fr": "ecb",
    "de_b2b": "de_base",
    "de_b2c": "de_base",
    "uk": "boe",
}


class AccountDunningReferenceRate(models.Model):
    _name = "account.dunning.reference.rate"
    _description = "Reference Interest Rate"
    _order = "rate_type, date_from desc"
    _rec_name = "date_from"

    rate_type = fields.Selection(selection=RATE_TYPES, required=True)
    date_from = fields.Date(
        string="In Force On",
        required=True,
        help="The date on which this rate was in force: 1 January / 1 July "
        "(31 December / 30 June for the Bank of England).",
    )
    rate = fields.Float(string="Rate (%)", required=True, digits=(6, 3))

    _sql_constraints = [
        (
            "rate_type_date_unique",
            "UNIQUE (rate_type, date_from)",
            "A reference rate is recorded once per type and date.",
        ),
    ]

    @api.constrains("rate")
    def _check_rate(self):
        for rate in self:
            if not -10 < rate.rate < 50:
                raise ValidationError(
                    _(
                        "The reference rate of %(date)s (%(rate)s %%) is not plausible.",
                        date=rate.date_from,
                        rate=rate.rate,
                    )
                )

    @api.model
    def _get_known_rates(self):
        """{(rate_type, date_from): rate} of every recorded reference rate, in one query."""
        return {(rate.rate_type, rate.date_from): rate.rate for rate in self.search([])}

    @api.model
    def _get_statutory_rate_steps(self, preset, first_day, last_day, known_rates=None):
        """[(date_from, annual rate %)] of a statutory preset from `first_day` to
        `last_day`: the reference rate of each half-year plus the preset's margin.
        `known_rates` (from `_get_known_rates`) spares a query per call in a loop.

        Raises a UserError naming the missing half-year instead of guessing.
        """
        rate_type = PRESET_RATE_TYPES[preset]
        known_rates = self._get_known_rates() if known_rates is None else known_rates
        known = {day: rate for (kind, day), rate in known_rates.items() if kind == rate_type}
        steps = []
        for start in half_year_starts(first_day, last_day):
            reference_day = reference_date(start, preset)
            if reference_day not in known:
                label = dict(self._fields["rate_type"]._description_selection(self.env))[rate_type]
                raise UserError(
                    _(
                        "No %(rate_type)s is recorded for %(date)s: add it under Invoicing › "
                        "Configuration › Dunning › Reference Rates to compute interest.",
                        rate_type=label,
                        date=reference_day,
                    )
                )
            reference = Decimal(str(known[reference_day]))
            steps.append((start, reference + STATUTORY_MARGINS[preset]))
        return steps
