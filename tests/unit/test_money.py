from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.money import (
    exact_line,
    fee_amount,
    fee_less_compensation,
    interest_periods,
    round_money,
    simple_interest,
    uk_fixed_compensation,
)
from tools.presets import PRESETS, half_year_starts, reference_date

D = Decimal

# ECB main refinancing rate on 1 January 2024: 4.50 %; on 1 July 2024: 4.25 %.
# German Basiszinssatz: 3.62 % from 1 January 2024, 3.37 % from 1 July 2024.
# Bank of England base rate: 5.25 % on 31 December 2023 and on 30 June 2024.
REFERENCE = {
    "eu": {date(2024, 1, 1): D("4.50"), date(2024, 7, 1): D("4.25")},
    "fr": {date(2024, 1, 1): D("4.50"), date(2024, 7, 1): D("4.25")},
    "de_b2b": {date(2024, 1, 1): D("3.62"), date(2024, 7, 1): D("3.37")},
    "de_b2c": {date(2024, 1, 1): D("3.62"), date(2024, 7, 1): D("3.37")},
    "uk": {date(2023, 12, 31): D("5.25"), date(2024, 6, 30): D("5.25")},
}


def statutory_rates(preset, first, last):
    return [
        (start, REFERENCE[preset][reference_date(start, preset)] + PRESETS[preset].margin)
        for start in half_year_starts(first, last)
    ]


def statutory_interest(preset, amount, due, end, balances=None):
    rates = statutory_rates(preset, due, end)
    balances = balances or [(due + timedelta(days=1), D(amount))]
    return round_money(simple_interest(interest_periods(balances, rates, due, end)))


# A EUR 10,000 invoice due 31 May 2024, paid 60 days late (30 July 2024):
# 30 days in June at the first half-year's rate, 30 days in July at the second's.
DUE, END = date(2024, 5, 31), date(2024, 7, 30)


def test_eu_preset_across_the_july_rate_change():
    # 10,000 x 12.50 % x 30/365 = 102.7397 ; 10,000 x 12.25 % x 30/365 = 100.6849
    assert statutory_interest("eu", 10000, DUE, END) == D("203.42")


def test_fr_preset_across_the_july_rate_change():
    # 10,000 x 14.50 % x 30/365 = 119.1781 ; 10,000 x 14.25 % x 30/365 = 117.1233
    assert statutory_interest("fr", 10000, DUE, END) == D("236.30")


def test_de_b2b_preset_across_the_july_rate_change():
    # 10,000 x 12.62 % x 30/365 = 103.7260 ; 10,000 x 12.37 % x 30/365 = 101.6712
    assert statutory_interest("de_b2b", 10000, DUE, END) == D("205.40")


def test_de_b2c_preset_across_the_july_rate_change():
    # 10,000 x 8.62 % x 30/365 = 70.8493 ; 10,000 x 8.37 % x 30/365 = 68.7945
    assert statutory_interest("de_b2c", 10000, DUE, END) == D("139.64")


def test_uk_preset_uses_the_rates_of_31_december_and_30_june():
    # 10,000 x 13.25 % x 60/365 = 217.8082
    assert statutory_interest("uk", 10000, DUE, END) == D("217.81")


def test_partly_paid_invoice_lowers_the_base_from_the_payment_date():
    # EUR 10,000 due 31 May 2024, EUR 4,000 paid on 16 June; interest to 30 June.
    # 1-15 June:  10,000 x 12.50 % x 15/365 = 51.3699
    # 16-30 June:  6,000 x 12.50 % x 15/365 = 30.8219
    balances = [(date(2024, 6, 1), D(10000)), (date(2024, 6, 16), D(6000))]
    total = statutory_interest("eu", 10000, DUE, date(2024, 6, 30), balances)
    assert total == D("82.19")


def test_360_day_count():
    balances, rate_steps = [(date(2024, 6, 1), D(3600))], [(date(2024, 1, 1), D(10))]
    periods = interest_periods(balances, rate_steps, DUE, END)
    # 3,600 x 10 % x 60/360 = 60.00
    assert round_money(simple_interest(periods, day_count=360)) == D("60.00")


def test_unknown_rate_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="2024-06-01"):
        interest_periods([(date(2024, 6, 1), D(100))], [(date(2024, 7, 1), D(5))], DUE, END)


def test_fee_with_minimum_and_maximum():
    assert fee_amount(D(1000), fixed=D(5)) == D(5)
    assert fee_amount(D(1000), percent=D(2), minimum=D(25)) == D(25)
    assert fee_amount(D(10000), percent=D(2), minimum=D(25), maximum=D(150)) == D(150)
    assert fee_amount(D(2000), fixed=D(5), percent=D(2), minimum=D(25), maximum=D(150)) == D(45)
    # The minimum holds without a percentage, the maximum caps fixed + percentage.
    assert fee_amount(D(1000), fixed=D(5), minimum=D(25)) == D(25)
    assert fee_amount(D(10000), fixed=D(50), percent=D(2), maximum=D(150)) == D(150)


def test_a_fee_beside_the_compensation_is_only_what_exceeds_it():
    assert fee_less_compensation(D(55), D(40)) == D(15)
    assert fee_less_compensation(D(25), D(40)) == D(0)
    assert fee_less_compensation(D(25), D(0)) == D(25)


@given(
    base=st.decimals(min_value=0, max_value=10**7, places=2),
    fixed=st.decimals(min_value=0, max_value=1000, places=2),
    percent=st.decimals(min_value=0, max_value=20, places=3),
    bounds=st.tuples(
        st.decimals(min_value=0, max_value=500, places=2),
        st.decimals(min_value=0, max_value=5000, places=2),
    ),
)
def test_a_fee_stays_within_its_bounds(base, fixed, percent, bounds):
    minimum, maximum = min(bounds), max(bounds)
    fee = fee_amount(base, fixed, percent, minimum, maximum)
    assert minimum <= fee <= (maximum or fee)
    uncapped = fixed + base * percent / 100
    expected = max(uncapped, minimum)
    assert fee == (min(expected, maximum) if maximum else expected)


def test_uk_compensation_tiers():
    assert uk_fixed_compensation(D("999.99")) == D(40)
    assert uk_fixed_compensation(D(1000)) == D(70)
    assert uk_fixed_compensation(D("9999.99")) == D(70)
    assert uk_fixed_compensation(D(10000)) == D(100)


# Properties -----------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**7, places=2)
rates = st.decimals(min_value=0, max_value=40, places=2)
days = st.integers(min_value=0, max_value=2000)
dues = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1))


def flat(amount, rate, due, n_days):
    periods = interest_periods(
        [(due + timedelta(days=1), amount)],
        [(date(1990, 1, 1), rate)],
        due,
        due + timedelta(n_days),
    )
    return simple_interest(periods)


@given(amounts, rates, dues)
def test_zero_days_earn_nothing(amount, rate, due):
    assert flat(amount, rate, due, 0) == 0


@given(amounts, rates, dues, days, days)
def test_monotone_in_days(amount, rate, due, a, b):
    low, high = sorted((a, b))
    assert flat(amount, rate, due, low) <= flat(amount, rate, due, high)


@given(amounts, amounts, rates, dues, days)
def test_monotone_in_amount(a, b, rate, due, n_days):
    low, high = sorted((a, b))
    assert flat(low, rate, due, n_days) <= flat(high, rate, due, n_days)


@given(amounts, rates, rates, dues, days, days)
def test_additive_across_split_periods(amount, rate1, rate2, due, first, second):
    # Interest to the end equals interest to a split date plus interest after it.
    split = due + timedelta(days=first)
    end = split + timedelta(days=second)
    rate_steps = [(date(1990, 1, 1), rate1), (split + timedelta(days=1), rate2)]
    balances = [(due + timedelta(days=1), amount)]
    whole = simple_interest(interest_periods(balances, rate_steps, due, end))
    part1 = simple_interest(interest_periods(balances, rate_steps, due, split))
    part2 = simple_interest(interest_periods(balances, rate_steps, split, end))
    assert whole == part1 + part2


@given(st.lists(st.tuples(amounts, rates, st.integers(1, 200)), min_size=1, max_size=6))
def test_rounded_to_the_currency_only_at_the_end(parts):
    # Many short periods of tiny interest: rounding each would drift; we round once.
    periods = [(None, None, n_days, amount, rate) for amount, rate, n_days in parts]
    total = simple_interest(periods)
    # No rounding inside: the total is exactly the sum of the unrounded parts...
    assert total == sum(simple_interest([p]) for p in periods)
    # ...and one rounding at the end moves it by half a cent at most.
    assert abs(round_money(total) - total) <= D("0.005")


def test_an_exact_line_in_a_currency_the_prices_can_state():
    assert exact_line(D("-0.03"), 2, 2) == (D(1), D("-0.03"))
    assert exact_line(D("2"), 0, 2) == (D(1), D(2))


def test_an_exact_line_in_mils_with_prices_in_cents():
    assert exact_line(D("0.013"), 3, 2) == (D("0.1"), D("0.13"))


@given(
    cents=st.integers(min_value=-(10**6), max_value=10**6).filter(bool),
    currency_decimals=st.integers(min_value=0, max_value=3),
    price_digits=st.integers(min_value=2, max_value=6),
)
def test_an_exact_line_is_worth_the_amount_at_both_precisions(
    cents, currency_decimals, price_digits
):
    amount = D(cents).scaleb(-currency_decimals)
    quantity, price = exact_line(amount, currency_decimals, price_digits)
    assert quantity * price == amount
    assert price == price.quantize(D(1).scaleb(-price_digits))  # the price field keeps it
    assert quantity == quantity.quantize(D("0.01"))  # and the quantity field too
