from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.rates import (
    parse_boe_xml,
    parse_sdmx_generic,
    period_start,
    rates_on,
    reading_days,
)

DATA = Path(__file__).parent.parent / "data"


def test_ecb_data_portal_answer():
    observations = parse_sdmx_generic((DATA / "ecb_mro.xml").read_bytes())
    assert observations[0] == (date(2025, 12, 31), Decimal("2.15"))
    assert len(observations) == 5
    # 1 January is a holiday: the rate in force is the last one observed before it.
    assert rates_on(observations, [date(2026, 1, 1), date(2026, 7, 1)]) == {
        date(2026, 1, 1): Decimal("2.15"),
        date(2026, 7, 1): Decimal("2.4"),
    }


def test_bundesbank_answer_skips_observations_without_value():
    observations = parse_sdmx_generic((DATA / "bundesbank_su0115.xml").read_bytes())
    assert observations[-1] == (date(2026, 7, 1), Decimal("1.52"))
    assert len(observations) == 4


def test_bank_of_england_answer():
    observations = parse_boe_xml((DATA / "boe_iudbedr.xml").read_bytes())
    assert len(observations) == 4
    assert rates_on(observations, reading_days("boe", date(2025, 7, 1), date(2026, 11, 23))) == {
        date(2025, 12, 31): Decimal("3.75"),
        date(2026, 6, 30): Decimal("3.75"),
    }


def test_a_day_beyond_the_series_is_not_guessed():
    observations = [(date(2026, 6, 30), Decimal("2.15"))]
    assert rates_on(observations, [date(2026, 7, 1)]) == {}


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-07-01", date(2026, 7, 1)),
        ("2026-07", date(2026, 7, 1)),
        ("2026-S2", date(2026, 7, 1)),
        ("2026-Q3", date(2026, 7, 1)),
        ("2026", date(2026, 1, 1)),
    ],
)
def test_sdmx_periods(period, expected):
    assert period_start(period) == expected


def test_garbage_is_refused():
    with pytest.raises(ValueError):
        period_start("July 2026")


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
    span=st.integers(min_value=0, max_value=3000),
    rate_type=st.sampled_from(["ecb", "de_base", "boe"]),
)
def test_reading_days_are_the_laws_days_in_order(start, span, rate_type):
    days = reading_days(rate_type, start, start + timedelta(days=span))
    allowed = {(12, 31), (6, 30)} if rate_type == "boe" else {(1, 1), (7, 1)}
    assert all((day.month, day.day) in allowed for day in days)
    assert days == sorted(days)
    every_day = (start + timedelta(days=offset) for offset in range(span + 1))
    assert len(days) == sum((day.month, day.day) in allowed for day in every_day)


@given(
    steps=st.lists(
        st.tuples(
            st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 1, 1)),
            st.decimals(min_value=-1, max_value=10, places=2),
        ),
        min_size=1,
        max_size=20,
    ),
    day=st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 1, 1)),
)
def test_the_rate_in_force_is_the_last_one_before(steps, day):
    observations = sorted(steps)
    found = rates_on(observations, [day])
    if day > observations[-1][0] or day < observations[0][0]:
        assert found == {}
    else:
        assert found[day] == [rate for observed, rate in observations if observed <= day][-1]
