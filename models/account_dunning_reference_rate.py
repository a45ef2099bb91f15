import logging
from datetime import date
from decimal import Decimal

import requests
from babel.dates import format_skeleton

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.i18n import format_list
from odoo.tools.misc import babel_locale_parse, get_lang

from ..tools.presets import PRESETS, REFERENCE_RATES, rate_reference_days
from ..tools.rates import parse_boe_xml, parse_sdmx_generic, rates_on, reading_days

_logger = logging.getLogger(__name__)

RATE_TYPES = [
    ("ecb", "ECB main refinancing rate"),
    ("de_base", "German base rate (Basiszinssatz)"),
    ("boe", "Bank of England base rate"),
]

# Where the scheduled job reads each rate: the publishers' public statistics
# services. Each URL can be changed in the system parameter named here.
FETCH_SOURCES = {
    "ecb": (
        "account_dunning.reference_rate_url_ecb",
        "https://data-api.ecb.europa.eu/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV?detail=dataonly",
        parse_sdmx_generic,
    ),
    "de_base": (
        "account_dunning.reference_rate_url_de_base",
        "https://api.statistiken.bundesbank.de/rest/data/BBK01/SU0115",
        parse_sdmx_generic,
    ),
    "boe": (
        "account_dunning.reference_rate_url_boe",
        "https://www.bankofengland.co.uk/boeapps/database/_iadb-fromshowcolumns.asp"
        "?xml.x=yes&SeriesCodes=IUDBEDR&Datefrom=01/Jan/2013&Dateto=now",
        parse_boe_xml,
    ),
}
FETCH_TIMEOUT = 30


class AccountDunningReferenceRate(models.Model):
    """A central bank's reference rate on the day its law reads it. Shared by every
    company: only administrators change them, and each change is tracked."""

    _name = "account.dunning.reference.rate"
    _inherit = ["mail.thread"]
    _description = "Reference Interest Rate"
    _order = "rate_type, date_from desc"
    _rec_name = "date_from"

    rate_type = fields.Selection(selection=RATE_TYPES, required=True, tracking=True)
    date_from = fields.Date(
        string="In Force On",
        required=True,
        tracking=True,
        help="The date on which this rate was in force: 1 January / 1 July "
        "(31 December / 30 June for the Bank of England).",
    )
    rate = fields.Float(string="Rate (%)", required=True, digits=(6, 3), tracking=True)
    source = fields.Char(
        tracking=True,
        help="Where the value was read: the publisher's series or announcement.",
    )

    _sql_constraints = [
        (
            "rate_type_date_unique",
            "UNIQUE (rate_type, date_from)",
            "A reference rate is recorded once per type and date.",
        ),
    ]

    @api.constrains("rate_type", "date_from")
    def _check_date_from(self):
        locale = babel_locale_parse(get_lang(self.env).code)
        for rate in self:
            read_on = REFERENCE_RATES[rate.rate_type].reading_days
            if (rate.date_from.month, rate.date_from.day) not in read_on:
                days = [  # day and month in the user's language ("31 December", "31. Dezember")
                    format_skeleton("dMMMM", date(2001, month, day), locale=locale)
                    for month, day in read_on
                ]
                raise ValidationError(
                    _(
                        "The %(rate_type)s is read on %(days)s: %(date)s would never be used.",
                        rate_type=dict(self._fields["rate_type"]._description_selection(self.env))[
                            rate.rate_type
                        ],
                        days=format_list(self.env, days),
                        date=rate.date_from,
                    )
                )

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
    def _get_statutory_rate_steps(
        self, preset, first_day, last_day, known_rates=None, overdue_from=None
    ):
        """[(date_from, annual rate %)] of a statutory preset from `first_day` to
        `last_day` on a debt overdue from `overdue_from` (default: `first_day`): the
        reference rate of each half-year (in the UK, the one fixed for the debt)
        plus the preset's margin. `known_rates` (from `_get_known_rates`) spares a
        query per call in a loop.

        Raises a UserError naming the missing half-year instead of guessing.
        """
        known_rates = self._get_known_rates() if known_rates is None else known_rates
        overdue_from = overdue_from or first_day
        missing = self._get_missing_reference_date(
            preset, first_day, last_day, known_rates, overdue_from
        )
        if missing:
            raise UserError(self._missing_rate_message(preset, missing))
        rate_type = PRESETS[preset].rate_type
        return [
            (start, Decimal(str(known_rates[rate_type, day])) + PRESETS[preset].margin)
            for start, day in rate_reference_days(preset, first_day, last_day, overdue_from)
        ]

    @api.model
    def _get_missing_reference_date(
        self, preset, first_day, last_day, known_rates, overdue_from=None
    ):
        """The first reference date from `first_day` to `last_day` whose rate is not
        recorded, or None."""
        rate_type = PRESETS[preset].rate_type
        for _start, day in rate_reference_days(
            preset, first_day, last_day, overdue_from or first_day
        ):
            if (rate_type, day) not in known_rates:
                return day
        return None

    @api.model
    def _missing_rate_message(self, preset, reference_day):
        rate_type = PRESETS[preset].rate_type
        label = dict(self._fields["rate_type"]._description_selection(self.env))[rate_type]
        return _(
            "No %(rate_type)s is recorded for %(date)s: interest is left out until it is added"
            " under Invoicing › Configuration › Dunning › Reference Rates.",
            rate_type=label,
            date=reference_day,
        )

    @api.model
    def _cron_fetch_reference_rates(self):
        """Record the reference rates of the reading days not recorded yet, as the
        publishers' statistics services show them. A rate already recorded is never
        changed (a different published value is logged for an administrator); a
        publisher that fails is logged and the others are still read."""
        known = self._get_known_rates()
        today = fields.Date.context_today(self)
        created = self.browse()
        for rate_type, (parameter, default_url, parse) in FETCH_SOURCES.items():
            url = self.env["ir.config_parameter"].sudo().get_param(parameter) or default_url
            try:
                observations = parse(self._fetch_reference_rate_content(url))
            except Exception as error:  # a publisher down must not stop the others
                _logger.warning(
                    "Reference rates: could not read %s (%s): %s", rate_type, url, error
                )
                continue
            recorded = [day for kind, day in known if kind == rate_type]
            first = (
                max(recorded)
                if recorded
                else min((day for day, _rate in observations), default=today)
            )
            found = rates_on(observations, reading_days(rate_type, first, today))
            for day, rate in found.items():
                if (rate_type, day) in known:
                    if Decimal(str(known[rate_type, day])) != rate:
                        _logger.warning(
                            "Reference rates: %s of %s is recorded as %s, published as %s",
                            rate_type,
                            day,
                            known[rate_type, day],
                            rate,
                        )
                    continue
                created |= self.create(
                    {
                        "rate_type": rate_type,
                        "date_from": day,
                        "rate": float(rate),
                        "source": _("%(url)s, read on %(date)s", url=url, date=today),
                    }
                )
        _logger.info("Reference rates: %s new rate(s) recorded", len(created))
        return created

    @api.model
    def _fetch_reference_rate_content(self, url):
        response = requests.get(
            url, timeout=FETCH_TIMEOUT, headers={"User-Agent": "Odoo account_dunning"}
        )
        response.raise_for_status()
        return response.content
