from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tools.ladder import days_overdue, first_delay_out_of_order

delays = st.lists(st.integers(min_value=-365, max_value=3650), max_size=12)


def test_standard_ladder_is_in_order():
    assert first_delay_out_of_order([-7, 7, 14, 30, 45, 90]) is None


def test_equal_delays_are_out_of_order():
    assert first_delay_out_of_order([7, 14, 14, 30]) == 2


def test_decreasing_delay_is_reported_at_its_index():
    assert first_delay_out_of_order([-7, 30, 14]) == 2


def test_empty_and_single_ladders_are_in_order():
    assert first_delay_out_of_order([]) is None
    assert first_delay_out_of_order([5]) is None


@given(st.sets(st.integers(min_value=-365, max_value=3650)))
def test_any_sorted_distinct_delays_are_in_order(values):
    assert first_delay_out_of_order(sorted(values)) is None


@given(delays)
def test_reported_index_is_the_first_break(values):
    index = first_delay_out_of_order(values)
    if index is None:
        assert all(a < b for a, b in pairwise(values))
    else:
        assert values[index] <= values[index - 1]
        assert all(a < b for a, b in pairwise(values[:index]))


def test_days_overdue_counts_whole_days_after_due_date():
    assert days_overdue(date(2026, 1, 31), date(2026, 3, 2)) == 30
    assert days_overdue(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert days_overdue(date(2026, 3, 9), date(2026, 3, 2)) == 0
    assert days_overdue(None, date(2026, 3, 2)) == 0


@given(st.dates(), st.integers(min_value=0, max_value=5000))
def test_days_overdue_is_the_distance_once_due(due, late):
    today = due + timedelta(days=late) if due <= date.max - timedelta(days=late) else due
    assert days_overdue(due, today) == (today - due).days
    assert days_overdue(today, due) == 0 or today == due
