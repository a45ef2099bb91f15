import ast
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.money import uk_fixed_compensation
from tools.presets import (
    EURO_PRESETS,
    PRESETS,
    REFERENCE_RATES,
    consumer_method,
    half_year_starts,
    rate_reference_days,
    reading_date,
    reference_date,
)

MODELS = Path(__file__).resolve().parents[2] / "models"
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


def selection_keys(model_file, name):
    """The keys of a selection list in a model file, read without Odoo: the module
    constant or the field assigned to `name`."""
    for node in ast.walk(ast.parse((MODELS / model_file).read_text())):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            selection = node.value
            if isinstance(selection, ast.Call):  # a field: its selection= argument
                selection = next(kw.value for kw in selection.keywords if kw.arg == "selection")
            return [ast.literal_eval(item)[0] for item in selection.elts]
    raise LookupError(name)


def test_every_statutory_method_of_the_policy_is_a_preset():
    methods = selection_keys("account_dunning_policy.py", "interest_method")
    assert set(methods) - {"none", "fixed"} == set(PRESETS)


def test_every_rate_type_of_the_reference_rates_is_defined():
    rate_types = selection_keys("account_dunning_reference_rate.py", "RATE_TYPES")
    assert set(rate_types) == set(REFERENCE_RATES)
    assert {preset.rate_type for preset in PRESETS.values()} <= set(REFERENCE_RATES)


def test_margins():
    margins = {name: preset.margin for name, preset in PRESETS.items()}
    assert margins == {"eu": 8, "de_b2b": 9, "de_b2c": 5, "fr": 10, "uk": 8}


@pytest.mark.parametrize(
    ("method", "consumer"),
    [
        ("de_b2b", "de_b2c"),  # §288(1) BGB: base rate + 5
        ("de_b2c", "de_b2c"),
        ("eu", "none"),  # business debts only
        ("fr", "none"),
        ("uk", "none"),
        ("fixed", "fixed"),  # the policy's own rate
        ("none", "none"),
    ],
)
def test_consumer_fallbacks(method, consumer):
    assert consumer_method(method) == consumer


def test_a_consumer_fallback_is_its_own_fallback():
    for preset in PRESETS.values():
        assert preset.consumer == "none" or PRESETS[preset.consumer].consumer == preset.consumer


def test_euro_presets_read_a_euro_rate():
    assert EURO_PRESETS == ("eu", "de_b2b", "de_b2c", "fr")


def test_flat_compensations():
    for name in ("eu", "de_b2b", "fr"):
        assert (PRESETS[name].compensation, PRESETS[name].compensation_currency) == (40, "EUR")
    assert PRESETS["uk"].compensation is uk_fixed_compensation
    assert PRESETS["uk"].compensation_currency == "GBP"
    assert PRESETS["de_b2c"].compensation is None


def test_reference_dates():
    assert reference_date(date(2024, 3, 15), "eu") == date(2024, 1, 1)
    assert reference_date(date(2024, 7, 1), "de_b2b") == date(2024, 7, 1)
    assert reference_date(date(2024, 3, 15), "uk") == date(2023, 12, 31)
    assert reference_date(date(2024, 12, 31), "uk") == date(2024, 6, 30)


@given(day=days)
def test_uk_reads_the_rate_of_31_december_or_30_june_before_the_half_year(day):
    if day.month <= 6:
        assert reference_date(day, "uk") == date(day.year - 1, 12, 31)
    else:
        assert reference_date(day, "uk") == date(day.year, 6, 30)


@given(day=days, preset=st.sampled_from(["eu", "de_b2b", "de_b2c", "fr"]))
def test_euro_rates_are_read_on_the_first_day_of_the_half_year(day, preset):
    assert reference_date(day, preset) == date(day.year, 1 if day.month <= 6 else 7, 1)


@given(day=days, rate_type=st.sampled_from(sorted(REFERENCE_RATES)))
def test_a_rate_is_read_on_a_reading_day_at_most_one_half_year_before(day, rate_type):
    read = reading_date(rate_type, day)
    assert (read.month, read.day) in REFERENCE_RATES[rate_type].reading_days
    assert day - timedelta(days=185) < read <= day


def test_uk_rate_is_fixed_per_debt():
    # Overdue from 1 March 2023: the rate of 31 December 2022 for as long as it is unpaid.
    assert rate_reference_days("uk", date(2024, 5, 1), date(2025, 2, 1), date(2023, 3, 1)) == [
        (date(2024, 5, 1), date(2022, 12, 31))
    ]


def test_other_rates_follow_every_half_year():
    assert rate_reference_days("fr", date(2024, 5, 1), date(2025, 2, 1), date(2023, 3, 1)) == [
        (date(2024, 1, 1), date(2024, 1, 1)),
        (date(2024, 7, 1), date(2024, 7, 1)),
        (date(2025, 1, 1), date(2025, 1, 1)),
    ]
    assert half_year_starts(date(2024, 6, 30), date(2024, 7, 1)) == [
        date(2024, 1, 1),
        date(2024, 7, 1),
    ]
    assert Decimal(PRESETS["fr"].margin) == 10
