"""Pure maths of payment plans: the schedule of installments and the allocation
of what was paid to them. Decimals in, Decimals out; no Odoo.
"""

import calendar
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from .money import step_value

ZERO = Decimal(0)


def add_months(day, months):
    """`day` moved by `months` months, kept within the target month (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def installment_dates(first_date, count, months=1):
    """`count` dates from `first_date`, every `months` months (from the first, so
    that a run of month ends keeps its day where the month allows)."""
    return [add_months(first_date, months * index) for index in range(count)]


def split_installments(total, count, quantum, down_payment=ZERO):
    """Split `total` into an optional down payment and `count` equal installments,
    each rounded down to the currency's `quantum`; the rounding difference goes on
    the last installment, so that the amounts always sum to `total` exactly.

    Returns the list of amounts, the down payment first when there is one.
    Raises ValueError for an impossible split.
    """
    total, quantum, down_payment = Decimal(total), Decimal(quantum), Decimal(down_payment)
    if count < 1:
        raise ValueError("a plan has at least one installment")
    if total <= 0:
        raise ValueError("a plan covers a positive amount")
    if total != total.quantize(quantum) or down_payment != down_payment.quantize(quantum):
        raise ValueError("amounts must be in the currency's smallest unit")
    if not ZERO <= down_payment < total:
        raise ValueError("the down payment is between zero and the covered amount")
    rest = total - down_payment
    share = (rest / count).quantize(quantum, rounding=ROUND_DOWN)
    amounts = [share] * (count - 1) + [rest - share * (count - 1)]
    return ([down_payment] if down_payment else []) + amounts


def allocate_payments(amounts, paid):
    """What of `paid` goes to each installment of `amounts`, oldest first: each is
    filled before the next gets anything; nothing beyond the amounts is allocated.
    """
    left = max(Decimal(paid), ZERO)
    allocated = []
    for amount in amounts:
        part = min(Decimal(amount), left)
        allocated.append(part)
        left -= part
    return allocated


def running_balances(total, amounts):
    """The balance still owed after each installment of `amounts` is paid."""
    balance, balances = Decimal(total), []
    for amount in amounts:
        balance -= Decimal(amount)
        balances.append(balance)
    return balances


def missed_installments(dates, amounts, allocated, on_date, grace_days):
    """Indexes of the installments not fully paid more than `grace_days` after their date."""
    return [
        index
        for index, (day, amount, part) in enumerate(zip(dates, amounts, allocated, strict=True))
        if part < amount and (on_date - day).days > grace_days
    ]


def hold_steps(steps, windows):
    """The step function `steps` ([(date_from, value)], sorted) at zero on the days
    of each (first, last) window, both included: the balance that earns interest
    when the days of a plan without interest are left out."""
    if not windows:
        return list(steps)
    points = {day for day, _value in steps}
    for first, last in windows:
        points.update((first, last + timedelta(days=1)))
    return [
        (
            day,
            ZERO
            if any(first <= day <= last for first, last in windows)
            else (step_value(steps, day) or ZERO),
        )
        for day in sorted(points)
    ]
