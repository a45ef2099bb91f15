"""The statutory interest presets, each defined here once: the reference rate it
reads and when, its margin, what it becomes for a consumer and its flat
compensation. Pure: no Odoo, no database. A policy's interest method is one of
these presets, or "fixed" (its own annual rate) or "none".
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from .money import uk_fixed_compensation


class ReferenceRate(NamedTuple):
    """A central bank's reference rate as the laws read it."""

    # (month, day) on which the rate of the first half-year (January-June) and of
    # the second (July-December) is read; a day after the half-year's end is read
    # the year before (31 December for January-June).
    reading_days: tuple[tuple[int, int], tuple[int, int]]
    # The currency it is a rate of.
    currency: str


# Keys: the `rate_type` of account.dunning.reference.rate.
REFERENCE_RATES = {
    # The rate in force on 1 January / 1 July applies for the next six months.
    "ecb": ReferenceRate(reading_days=((1, 1), (7, 1)), currency="EUR"),
    "de_base": ReferenceRate(reading_days=((1, 1), (7, 1)), currency="EUR"),
    # Bank Rate of 31 December / 30 June (Late Payment of Commercial Debts (Rate of
    # Interest) (No. 3) Order 2002, SI 2002/1675, art. 4).
    "boe": ReferenceRate(reading_days=((12, 31), (6, 30)), currency="GBP"),
}


class Preset(NamedTuple):
    """A statutory interest regime."""

    rate_type: str  # its reference rate, a key of REFERENCE_RATES
    margin: Decimal  # points added to the reference rate
    # What it becomes for a consumer: the consumer rate where the law has one,
    # else "none" (the regime covers business debts only).
    consumer: str
    # The flat compensation per late invoice owed by a business: a sum, or a
    # function of the debt's total in `compensation_currency` (as Odoo field
    # defaults: a value or a callable); None: no compensation.
    compensation: Decimal | Callable[[Decimal], Decimal] | None = None
    compensation_currency: str | None = None
    # The rate is fixed per debt: the one read before it became overdue, for as
    # long as it stays unpaid (UK, SI 2002/1675 art. 4); else it follows every
    # half-year.
    fixed_per_debt: bool = False


# Keys: the statutory values of account.dunning.policy's `interest_method`.
PRESETS = {
    # ECB main refinancing rate + 8 (Directive 2011/7/EU; EUR 40: art. 6).
    "eu": Preset(
        rate_type="ecb",
        margin=Decimal(8),
        consumer="none",
        compensation=Decimal(40),
        compensation_currency="EUR",
    ),
    # Basiszinssatz + 9 (BGB § 288(2); EUR 40: § 288(5)).
    "de_b2b": Preset(
        rate_type="de_base",
        margin=Decimal(9),
        consumer="de_b2c",
        compensation=Decimal(40),
        compensation_currency="EUR",
    ),
    # Basiszinssatz + 5 (BGB § 288(1)).
    "de_b2c": Preset(rate_type="de_base", margin=Decimal(5), consumer="de_b2c"),
    # ECB rate + 10 (Code de commerce L441-10; EUR 40: D441-5).
    "fr": Preset(
        rate_type="ecb",
        margin=Decimal(10),
        consumer="none",
        compensation=Decimal(40),
        compensation_currency="EUR",
    ),
    # Bank of England base rate + 8 (Late Payment of Commercial Debts (Interest)
    # Act 1998; the sliding sum: s.5A).
    "uk": Preset(
        rate_type="boe",
        margin=Decimal(8),
        consumer="none",
        compensation=uk_fixed_compensation,
        compensation_currency="GBP",
        fixed_per_debt=True,
    ),
}

# Presets that read a euro reference rate: for euro debts only.
EURO_PRESETS = tuple(
    name for name, preset in PRESETS.items() if REFERENCE_RATES[preset.rate_type].currency == "EUR"
)


def consumer_method(method):
    """The interest method that `method` (a preset, "fixed" or "none") becomes for
    a consumer's debts."""
    return PRESETS[method].consumer if method in PRESETS else method


def half_year_starts(first, last):
    """The 1 January / 1 July dates from the half-year of `first` to that of `last`."""
    start = date(first.year, 1 if first.month <= 6 else 7, 1)
    starts = []
    while start <= last:
        starts.append(start)
        start = date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)
    return starts


def reading_date(rate_type, day):
    """The date whose `rate_type` rate applies on `day`: its reading day of the
    half-year of `day`."""
    half = 0 if day.month <= 6 else 1
    month, month_day = REFERENCE_RATES[rate_type].reading_days[half]
    reading = date(day.year, month, month_day)
    half_end = date(day.year, 6, 30) if half == 0 else date(day.year, 12, 31)
    return reading.replace(year=day.year - 1) if reading > half_end else reading


def reference_date(day, preset):
    """The date whose reference rate applies on `day` for a statutory preset."""
    return reading_date(PRESETS[preset].rate_type, day)


def rate_reference_days(preset, first_day, last_day, overdue_from):
    """[(date_from, reference date)]: from when each reference rate of a statutory
    preset applies, and the day it is read on, for interest from `first_day` to
    `last_day` on a debt overdue from `overdue_from`."""
    if PRESETS[preset].fixed_per_debt:
        return [(first_day, reference_date(overdue_from, preset))]
    return [
        (start, reference_date(start, preset)) for start in half_year_starts(first_day, last_day)
    ]
