"""Pure money math of late payment: interest over rate periods, fees, statutory
compensation. No database, no Odoo: amounts are Decimals, rounded only at the end.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

ZERO = Decimal(0)
CENT = Decimal("0.01")


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
