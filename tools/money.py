"""Pure money math of late payment: interest over rate periods, fees, statutory
compensation. No database, no Odoo: amounts are Decimals, rounded only at the end.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

# Points added to the reference rate of each statutory preset.
STATUTORY_MARGINS = {
    "eu": Decimal(8),  # ECB main refinancing rate + 8 (Directive 2011/7/EU)
    "de_b2b": Decimal(9),  # Basiszinssatz + 9 (BGB § 288(2))
    "de_b2c": Decimal(5),  # Basiszinssatz + 5 (BGB § 288(1))
    "fr": Decimal(10),  # ECB rate + 10 (Code de commerce L441-10)
    "uk": Decimal(8),  # Bank of England base rate + 8 (Late Payment Act 1998)
}

ZERO = Decimal(0)
CENT = Decimal("0.01")


def reference_date(day, preset):
    """The date whose reference rate applies on `day` for a statutory preset.

    The rate in force on 1 January / 1 July applies for the next six months;
    in the UK, the rate of 31 December / 30 June.
    """
    if preset == "uk":
        return date(day.year - 1, 12, 31) if day.month <= 6 else date(day.year, 6, 30)
    return date(day.year, 1, 1) if day.month <= 6 else date(day.year, 7, 1)


def rate_reference_days(preset, first_day, last_day, overdue_from):
    """[(date_from, reference date)]: from when each reference rate of a statutory
    preset applies, and the day it is read on, for interest from `first_day` to
    `last_day` on a debt overdue from `overdue_from`.

    In the UK the rate is fixed per debt: the one in force on the 31 December or
    30 June before the debt became overdue, for as long as it stays unpaid (Late
    Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002, SI
    2002/1675, art. 4). Elsewhere it changes every half-year.
    """
    if preset == "uk":
        return [(first_day, reference_date(overdue_from, "uk"))]
    return [
        (start, reference_date(start, preset)) for start in half_year_starts(first_day, last_day)
    ]


def half_year_starts(first, last):
    """The 1 January / 1 July dates from the half-year of `first` to that of `last`."""
    start = date(first.year, 1 if first.month <= 6 else 7, 1)
    starts = []
    while start <= last:
        starts.append(start)
        start = date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)
    return starts


def step_value(steps, day):
    """Value of a step function given as [(date_from, value)] sorted by date, or None."""
    value = None
    for date_from, step in steps:
        if date_from > day:
            break
        value = step
    return value


def interest_periods(balances, rates, due_date, end_date):
    """Split the days after `due_date` up to `end_date` into periods of constant base
    and rate: [(first_day, last_day, days, base, annual_rate_percent)].

    `balances` and `rates` are step functions [(date_from, value)]. Interest runs
    from the day after the due date; a payment lowers the base from its date on.
    Raises ValueError for a day without a known rate.
    """
    first = due_date + timedelta(days=1)
    if end_date < first:
        return []
    breaks = {first, end_date + timedelta(days=1)}
    breaks.update(d for d, _value in balances if first < d <= end_date)
    breaks.update(d for d, _value in rates if first < d <= end_date)
    bounds = sorted(breaks)
    periods = []
    for start, stop in pairwise(bounds):
        base = step_value(balances, start) or ZERO
        rate = step_value(rates, start)
        if rate is None:
            raise ValueError(f"no interest rate known for {start.isoformat()}")
        if base > 0:
            periods.append((start, stop - timedelta(days=1), (stop - start).days, base, rate))
    return periods


def simple_interest(periods, day_count=365):
    """Unrounded simple interest of periods from `interest_periods`."""
    return sum(
        (
            Decimal(base) * Decimal(rate) / 100 * days / day_count
            for *_d, days, base, rate in periods
        ),
        ZERO,
    )


def currency_quantum(decimal_places):
    """The smallest amount of a currency with `decimal_places` decimals: 0.01, 0.001."""
    return Decimal(1).scaleb(-decimal_places)


def round_money(amount, quantum=CENT):
    return Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)


def exact_line(amount, currency_decimals, price_digits):
    """(quantity, unit price) of an invoice line worth exactly `amount`: quantity 1
    when the unit price's precision can state it, else a power of ten below 1 (a
    3-decimal currency with 2-decimal prices: 0.013 is 0.1 x 0.13)."""
    shift = max(currency_decimals - price_digits, 0)
    quantity = Decimal(1).scaleb(-shift)
    return quantity, Decimal(amount).scaleb(shift)


def fee_amount(base, fixed=ZERO, percent=ZERO, minimum=ZERO, maximum=ZERO):
    """A fixed fee plus a percentage of `base`, the whole fee held between
    `minimum` and `maximum` (0: no maximum). Unrounded."""
    fee = Decimal(fixed) + Decimal(base) * Decimal(percent) / 100
    fee = max(fee, Decimal(minimum))
    if maximum:
        fee = min(fee, Decimal(maximum))
    return fee


def fee_less_compensation(fee, compensation):
    """What of a fee may be charged beside a statutory flat compensation: only the
    recovery costs beyond it (Directive 2011/7/EU art. 6(3), §288(5) BGB, UK Late
    Payment Act s.5A). Never negative."""
    return max(Decimal(fee) - Decimal(compensation), ZERO)


def uk_fixed_compensation(amount):
    """Late Payment of Commercial Debts Act: £40 below £1,000, £70 below £10,000,
    £100 from £10,000."""
    amount = Decimal(amount)
    if amount < 1000:
        return Decimal(40)
    if amount < 10000:
        return Decimal(70)
    return Decimal(100)


def deposit_amount(total, percent=ZERO, fixed=ZERO, quantum=CENT):
    """The deposit an order of `total` requires: `fixed` when given, else `percent`
    of the total, rounded to the currency's `quantum`, never above the total nor
    below zero."""
    total = Decimal(total)
    if total <= 0:
        return ZERO
    if fixed:
        amount = Decimal(fixed)
    else:
        amount = total * Decimal(percent) / 100
    return min(max(round_money(amount, Decimal(quantum)), ZERO), total)


def deposit_shortfall(required, received):
    """What is still missing of a deposit: never negative."""
    return max(Decimal(required) - Decimal(received), ZERO)


def average_payment_delay(delays):
    """Average lateness in days of a customer's invoices; early payments count as
    on time (0), not as credit against late ones. None without invoices."""
    delays = list(delays)
    if not delays:
        return None
    return Decimal(sum(max(int(days), 0) for days in delays)) / len(delays)
