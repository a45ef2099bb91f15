from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tools.ladder import (
    adapt_to_risk,
    days_overdue,
    first_delay_out_of_order,
    next_level_date,
    next_level_due_date,
    next_level_index,
)

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


DUE = date(2026, 1, 31)


def _day(offset):
    return DUE + timedelta(days=offset)


def test_next_level_date_of_a_new_invoice_is_its_pre_due_reminder():
    assert next_level_date(DUE, -1, LADDER, INTERVALS, None, _day(-30)) == _day(-7)
    # Posted a week before it is due: the pre-due reminder is due at once.
    assert next_level_date(DUE, -1, LADDER, INTERVALS, None, _day(-5)) == _day(-5)
    # Posted once due: the pre-due reminder is past, the friendly one waits for day 7.
    assert next_level_date(DUE, -1, LADDER, INTERVALS, None, _day(2)) == _day(7)


def test_next_level_date_waits_for_the_interval_since_the_last_notice():
    # Friendly reminder sent on day 10: the call level (14) waits for day 17.
    assert next_level_date(DUE, 1, LADDER, INTERVALS, _day(10), _day(11)) == _day(17)
    assert next_level_date(DUE, 1, LADDER, INTERVALS, _day(7), _day(8)) == _day(14)


def test_next_level_date_with_the_jump_switch():
    # Jumping from the friendly reminder sent on day 40 on day 41: day 45 passes the
    # final demand (45), whose interval (10) holds it until day 50.
    assert next_level_date(DUE, 1, LADDER, INTERVALS, _day(40), _day(41), jump=True) == _day(50)
    assert next_level_date(DUE, 1, LADDER, INTERVALS, _day(40), _day(41)) == _day(47)


def test_next_level_date_at_the_top_of_the_ladder_is_none():
    assert next_level_date(DUE, 5, LADDER, INTERVALS, _day(90), _day(91)) is None
    assert next_level_due_date(DUE, 5, LADDER, INTERVALS, _day(90), _day(400)) is None


def test_next_level_due_date_says_since_when_it_is_due():
    # At the call level since its due date, never sent: due for the second notice
    # since day 30, whatever day it is read on.
    assert next_level_due_date(DUE, 2, LADDER, INTERVALS, None, _day(122)) == _day(30)
    assert next_level_due_date(DUE, 2, LADDER, INTERVALS, None, _day(30)) == _day(30)
    # Not due yet: the first day ahead.
    assert next_level_due_date(DUE, 2, LADDER, INTERVALS, None, _day(20)) == _day(30)
    # Within the pre-due window: since its first day.
    assert next_level_due_date(DUE, -1, LADDER, INTERVALS, None, _day(-3)) == _day(-7)


@st.composite
def ladders(draw):
    delays = sorted(draw(st.sets(st.integers(min_value=-40, max_value=200), max_size=6)))
    intervals = draw(
        st.lists(st.integers(min_value=0, max_value=40), min_size=len(delays), max_size=len(delays))
    )
    current = draw(st.integers(min_value=-1, max_value=len(delays) - 1))
    last = draw(st.one_of(st.none(), st.integers(min_value=-60, max_value=260).map(_day)))
    today = draw(st.integers(min_value=-60, max_value=300).map(_day))
    if last and last > today:
        last, today = today, last
    return delays, intervals, current, last, today, draw(st.booleans())


def _moves(day, delays, intervals, current, last, jump):
    since = (day - last).days if last else None
    return next_level_index((day - DUE).days, current, delays, intervals, since, jump) is not None


# Beyond the last delay and interval the rule's answer no longer changes.
HORIZON = 600


@given(ladders())
def test_next_level_date_is_the_first_day_the_rule_moves_the_invoice(ladder):
    delays, intervals, current, last, today, jump = ladder
    expected = next(
        (
            today + timedelta(days=offset)
            for offset in range(HORIZON)
            if _moves(today + timedelta(days=offset), delays, intervals, current, last, jump)
        ),
        None,
    )
    assert next_level_date(DUE, current, delays, intervals, last, today, jump=jump) == expected


@given(ladders())
def test_next_level_due_date_is_where_the_stretch_moving_it_began(ladder):
    delays, intervals, current, last, today, jump = ladder
    found = next_level_due_date(DUE, current, delays, intervals, last, today, jump=jump)
    if not _moves(today, delays, intervals, current, last, jump):
        assert found == next_level_date(DUE, current, delays, intervals, last, today, jump=jump)
        return
    assert found <= today
    assert not _moves(found - timedelta(days=1), delays, intervals, current, last, jump)
    assert all(
        _moves(found + timedelta(days=offset), delays, intervals, current, last, jump)
        for offset in range((today - found).days + 1)
    )


# The standard ladder: pre-due, friendly, call, second, final, agency.
STANDARD_DELAYS = [-7, 7, 14, 30, 45, 90]


def test_a_low_risk_customer_skips_the_pre_due_reminder_only_when_asked():
    assert adapt_to_risk(0, -1, STANDARD_DELAYS, -5, "low", None, True) is None
    assert adapt_to_risk(0, -1, STANDARD_DELAYS, -5, "low", None, False) == 0
    assert adapt_to_risk(0, -1, STANDARD_DELAYS, -5, "medium", None, True) == 0
    # Overdue, the friendly reminder still goes.
    assert adapt_to_risk(1, -1, STANDARD_DELAYS, 8, "low", None, True) == 1


def test_a_high_risk_customer_starts_at_its_level_once_overdue():
    # Straight to the call (index 2) instead of the friendly reminder.
    assert adapt_to_risk(1, -1, STANDARD_DELAYS, 7, "high", 2, False) == 2
    assert adapt_to_risk(1, 0, STANDARD_DELAYS, 7, "high", 2, False) == 2
    # Not before it is due: the pre-due reminder stays.
    assert adapt_to_risk(0, -1, STANDARD_DELAYS, -7, "high", 2, False) == 0
    # Already past the start level, or no such rule, or another class: the ladder.
    assert adapt_to_risk(3, 2, STANDARD_DELAYS, 30, "high", 2, False) == 3
    assert adapt_to_risk(1, -1, STANDARD_DELAYS, 7, "high", None, False) == 1
    assert adapt_to_risk(1, -1, STANDARD_DELAYS, 7, "new", 2, False) == 1


@given(
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=-1, max_value=5),
    st.integers(min_value=-30, max_value=200),
    st.sampled_from(["new", "low", "medium", "high"]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
    st.booleans(),
)
def test_risk_never_moves_an_invoice_down_and_only_high_risk_moves_it_up(
    target, current, days_late, risk, high_start, skip
):
    adapted = adapt_to_risk(target, current, STANDARD_DELAYS, days_late, risk, high_start, skip)
    if adapted is None:
        assert risk == "low" and skip and STANDARD_DELAYS[target] < 0
    else:
        assert adapted >= target
        if adapted > target:
            assert risk == "high" and adapted == high_start and days_late > 0
