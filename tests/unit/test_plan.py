from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.money import step_value
from tools.plan import (
    add_months,
    allocate_payments,
    hold_steps,
    installment_dates,
    missed_installments,
    running_balances,
    split_installments,
)

D = Decimal
CENT, YEN = D("0.01"), D(1)


def test_split_puts_the_rounding_on_the_last_installment():
    # 1,000.00 in 3: 333.33 + 333.33 + 333.34.
    assert split_installments(D("1000.00"), 3, CENT) == [D("333.33"), D("333.33"), D("333.34")]
    # 100,000 yen in 3: 33,333 + 33,333 + 33,334.
    assert split_installments(D(100000), 3, YEN) == [D(33333), D(33333), D(33334)]


def test_split_with_a_down_payment_first():
    # 1,500.00 with 300.00 down, 1,200.00 in 4 of 300.00.
    assert split_installments(D("1500.00"), 4, CENT, D("300.00")) == [D("300.00")] * 5


@pytest.mark.parametrize(
    ("total", "count", "quantum", "down"),
    [
        (D("0.00"), 3, CENT, D(0)),
        (D("100.00"), 0, CENT, D(0)),
        (D("100.005"), 2, CENT, D(0)),
        (D("100.00"), 2, CENT, D("100.00")),
        (D("100.00"), 2, CENT, D("-1.00")),
        (D(1000), 3, YEN, D("0.5")),
    ],
)
def test_split_refuses_impossible_plans(total, count, quantum, down):
    with pytest.raises(ValueError):
        split_installments(total, count, quantum, down)


def test_allocation_fills_the_oldest_first():
    amounts = [D("300.00"), D("300.00"), D("400.00")]
    # 450 paid: the first in full, 150 of the second, nothing on the third.
    assert allocate_payments(amounts, D("450.00")) == [D("300.00"), D("150.00"), D(0)]
    # Overpaid: never more than the installments.
    assert allocate_payments(amounts, D("2000.00")) == amounts
    assert allocate_payments(amounts, D("-5")) == [D(0)] * 3


def test_missed_after_the_grace_days_only():
    dates = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    amounts, paid = [D(100)] * 3, [D(100), D(40), D(0)]
    assert missed_installments(dates, amounts, paid, date(2026, 3, 5), 5) == []
    assert missed_installments(dates, amounts, paid, date(2026, 3, 6), 5) == [1]
    assert missed_installments(dates, amounts, paid, date(2026, 4, 6), 5) == [1, 2]


def test_monthly_dates_keep_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 15), 2) == date(2028, 2, 15)
    assert installment_dates(date(2026, 1, 31), 3) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]


def test_running_balances_end_at_zero():
    amounts = split_installments(D("1000.00"), 3, CENT)
    assert running_balances(D("1000.00"), amounts) == [D("666.67"), D("333.34"), D(0)]


decimals = st.sampled_from([0, 2, 3])


@given(
    places=decimals,
    units=st.integers(min_value=1, max_value=10**11),
    count=st.integers(min_value=1, max_value=60),
    down_share=st.fractions(min_value=0, max_value=1),
)
def test_installments_always_sum_to_the_total(places, units, count, down_share):
    quantum = D(1).scaleb(-places)
    total = D(units) * quantum
    down = D(int(units * down_share) % units) * quantum
    amounts = split_installments(total, count, quantum, down)
    assert sum(amounts) == total
    assert all(amount >= 0 for amount in amounts)
    assert all(amount == amount.quantize(quantum) for amount in amounts)
    assert len(amounts) == count + (1 if down else 0)
    # Equal installments but the last, which takes at most count - 1 units more.
    regular = amounts[1:] if down else amounts
    assert 0 <= regular[-1] - regular[0] < count * quantum
    assert running_balances(total, amounts)[-1] == 0


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40),
    paid=st.integers(min_value=-(10**9), max_value=10**11),
)
def test_allocation_never_exceeds_what_was_paid(amounts, paid):
    amounts = [D(a).scaleb(-2) for a in amounts]
    paid = D(paid).scaleb(-2)
    allocated = allocate_payments(amounts, paid)
    assert sum(allocated) == min(max(paid, 0), sum(amounts))
    assert all(0 <= part <= amount for part, amount in zip(allocated, amounts, strict=True))
    # Oldest first: an installment gets something only once all before it are full.
    for index, part in enumerate(allocated):
        if part:
            assert allocated[:index] == amounts[:index]


def test_a_hold_zeroes_the_balance_on_its_days_only():
    steps = [(date(2026, 2, 1), D(1000)), (date(2026, 3, 15), D(600))]
    held = hold_steps(steps, [(date(2026, 3, 1), date(2026, 3, 31))])
    assert held == [
        (date(2026, 2, 1), D(1000)),
        (date(2026, 3, 1), D(0)),
        (date(2026, 3, 15), D(0)),
        (date(2026, 4, 1), D(600)),
    ]
    assert hold_steps(steps, []) == steps


@given(
    values=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
    offsets=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=8),
    window=st.tuples(
        st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=60)
    ),
    probe=st.integers(min_value=0, max_value=500),
)
def test_a_hold_changes_nothing_outside_its_days(values, offsets, window, probe):
    start = date(2026, 1, 1)
    days = sorted({start + timedelta(days=offset) for offset in offsets})
    steps = list(zip(days, (D(value) for value in values), strict=False))
    first = start + timedelta(days=window[0])
    last = first + timedelta(days=window[1])
    held = hold_steps(steps, [(first, last)])
    day = start + timedelta(days=probe)
    expected = D(0) if first <= day <= last else (step_value(steps, day) or D(0))
    assert (step_value(held, day) or D(0)) == expected
