from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tools.ladder import days_overdue, first_delay_out_of_order, next_level_index

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


LADDER = [-7, 7, 14, 30, 45, 90]
INTERVALS = [0, 7, 7, 7, 10, 14]


def test_pre_due_reminder_only_before_the_due_date():
    assert next_level_index(-5, -1, LADDER, INTERVALS, None) == 0
    assert next_level_index(-8, -1, LADDER, INTERVALS, None) is None
    # Already due: the pre-due reminder is skipped, the friendly reminder waits for day 7.
    assert next_level_index(3, -1, LADDER, INTERVALS, None) is None
    assert next_level_index(7, -1, LADDER, INTERVALS, None) == 1


def test_one_step_per_run_unless_jumping():
    assert next_level_index(50, -1, LADDER, INTERVALS, None) == 1
    assert next_level_index(50, -1, LADDER, INTERVALS, None, jump=True) == 4
    assert next_level_index(50, 1, LADDER, INTERVALS, 20) == 2


def test_minimum_interval_since_last_notice():
    assert next_level_index(14, 1, LADDER, INTERVALS, 6) is None
    assert next_level_index(14, 1, LADDER, INTERVALS, 7) == 2


def test_top_of_the_ladder():
    assert next_level_index(400, 5, LADDER, INTERVALS, 300) is None


@given(
    st.integers(min_value=-30, max_value=400),
    st.integers(min_value=-1, max_value=5),
    st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    st.booleans(),
)
def test_next_level_is_higher_passed_and_respects_the_interval(days, current, since, jump):
    index = next_level_index(days, current, LADDER, INTERVALS, since, jump=jump)
    if index is not None:
        assert index > current
        assert LADDER[index] <= days
        assert LADDER[index] >= 0 or days < 0
        assert since is None or since >= INTERVALS[index]
        if not jump:
            assert all(
                LADDER[skipped] > days or (LADDER[skipped] < 0 <= days)
                for skipped in range(current + 1, index)
            )
