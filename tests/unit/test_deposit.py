from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tools.money import average_payment_delay, deposit_amount, deposit_shortfall

D = Decimal
money = st.decimals(min_value=0, max_value=10**9, places=2)
percents = st.decimals(min_value=0, max_value=100, places=2)


def test_percent_of_total():
    assert deposit_amount(D("1190.00"), percent=D("30")) == D("357.00")


def test_percent_rounds_half_up_to_the_cent():
    assert deposit_amount(D("100.05"), percent=D("50")) == D("50.03")


def test_currency_without_cents():
    assert deposit_amount(D("1001"), percent=D("50"), quantum=D("1")) == D("501")


def test_fixed_amount_wins_over_percent():
    assert deposit_amount(D("1000"), percent=D("30"), fixed=D("250")) == D("250.00")


def test_fixed_amount_capped_at_the_total():
    assert deposit_amount(D("200"), fixed=D("500")) == D("200")


def test_nothing_on_empty_or_negative_order():
    assert deposit_amount(D("0"), percent=D("30")) == 0
    assert deposit_amount(D("-50"), fixed=D("20")) == 0


def test_shortfall():
    assert deposit_shortfall(D("300"), D("120.50")) == D("179.50")
    assert deposit_shortfall(D("300"), D("400")) == 0


def test_average_delay_counts_early_payments_as_on_time():
    assert average_payment_delay([30, -10, 0, 20]) == D("12.5")
    assert average_payment_delay([]) is None


@given(total=money, percent=percents)
def test_percent_deposit_between_zero_and_total(total, percent):
    amount = deposit_amount(total, percent=percent)
    assert 0 <= amount <= total
    # Within half a cent of the exact share.
    assert abs(amount - total * percent / 100) <= D("0.005")


@given(total=money, fixed=money)
def test_fixed_deposit_never_exceeds_total(total, fixed):
    assert deposit_amount(total, fixed=fixed) == (min(fixed, total) if total > 0 else 0)


@given(required=money, paid=st.lists(money, max_size=5))
def test_paid_in_parts_leaves_exact_shortfall(required, paid):
    received = sum(paid, D(0))
    assert deposit_shortfall(required, received) + min(received, required) == required
