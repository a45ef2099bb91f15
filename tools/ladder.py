"""Pure rules of a dunning ladder: no database, no Odoo."""

from datetime import date


def first_delay_out_of_order(delays):
    """Index of the first delay that is not strictly greater than the one before.

    `delays` are in ladder order. Returns None when they strictly increase.
    """
    for index in range(1, len(delays)):
        if delays[index] <= delays[index - 1]:
            return index
    return None


def days_overdue(due_date, today):
    """Whole days past the due date; 0 on or before it."""
    if not due_date:
        return 0
    return max((today - due_date).days, 0)


def next_level_index(days_late, current_index, delays, min_intervals, days_since_last, jump=False):
    """Index of the level an invoice moves to now, or None.

    `days_late` is today minus the due date (negative before the due date),
    `current_index` the index of its current level (-1 for none), `delays` and
    `min_intervals` are per level in ladder order, `days_since_last` the days
    since its last notice (None if never). Levels with a negative delay are
    pre-due reminders: they only apply while the invoice is not yet due.
    """
    candidates = [
        index
        for index in range(current_index + 1, len(delays))
        if delays[index] <= days_late and (delays[index] >= 0 or days_late < 0)
    ]
    if not candidates:
        return None
    # One step per run by default; `jump` goes to the highest level passed.
    target = candidates[-1] if jump else candidates[0]
    if days_since_last is not None and days_since_last < min_intervals[target]:
        return None
    return target


def _ladder_breakpoints(delays, min_intervals, last_offset):
    """The days, counted from the due date, on which `next_level_index` may change
    its answer for an invoice: it only depends on the day through the days late (a
    level's delay passed, the due date passed) and the days since the last notice
    (an interval passed), `last_offset` days after the due date."""
    days = {0, *delays}
    if last_offset is not None:
        days.update(last_offset + interval for interval in min_intervals)
    return sorted(days)


def _ladder_args(due_date, last_date):
    last_offset = (last_date - due_date).days if last_date else None
    return due_date.toordinal(), last_offset


def _moves_on(days_late, current_index, delays, min_intervals, last_offset, jump):
    since_last = days_late - last_offset if last_offset is not None else None
    index = next_level_index(days_late, current_index, delays, min_intervals, since_last, jump)
    return index is not None


def next_level_date(
    due_date, current_index, delays, min_intervals, last_date, on_or_after, jump=False
):
    """The first day on or after `on_or_after` on which `next_level_index` moves
    the invoice up, or None if it never does (top of the ladder).

    Dates instead of day counts: `due_date` its due date, `last_date` the date of
    its last notice (None if never); the rest as in `next_level_index`.
    """
    due, last_offset = _ladder_args(due_date, last_date)
    ladder = (current_index, delays, min_intervals, last_offset, jump)
    start = on_or_after.toordinal() - due
    if _moves_on(start, *ladder):
        return on_or_after
    for days_late in _ladder_breakpoints(delays, min_intervals, last_offset):
        if days_late > start and _moves_on(days_late, *ladder):
            return date.fromordinal(due + days_late)
    return None


def next_level_due_date(
    due_date, current_index, delays, min_intervals, last_date, today, jump=False
):
    """When the invoice is due for its next level, as of `today`: the first day of
    the days up to today on which `next_level_index` moves it, if it does today;
    else the first day ahead on which it will (`next_level_date`); None if never.

    The answer stays the same from day to day while nothing about the invoice
    changes, so it can be stored and rewritten only when it does.
    """
    due, last_offset = _ladder_args(due_date, last_date)
    ladder = (current_index, delays, min_intervals, last_offset, jump)
    start = today.toordinal() - due
    if not _moves_on(start, *ladder):
        return next_level_date(
            due_date, current_index, delays, min_intervals, last_date, today, jump
        )
    # Back one stretch of constant answer at a time, to where it began moving.
    for days_late in reversed(_ladder_breakpoints(delays, min_intervals, last_offset)):
        if days_late > start:
            continue
        if not _moves_on(days_late - 1, *ladder):
            return date.fromordinal(due + days_late)
        start = days_late - 1
    return date.fromordinal(due + start)


def adapt_to_risk(target, current_index, delays, days_late, risk, high_start, skip_pre_due):
    """The ladder index an invoice moves to once its customer's risk class counts,
    from `target`, where the ladder alone sends it (None: nowhere). A low-risk
    customer skips the pre-due reminders (`skip_pre_due`: None then); a high-risk
    customer's overdue invoice below `high_start` (an index, or None for no such
    rule) goes straight there."""
    if target is None:
        return None
    if risk == "low" and skip_pre_due and delays[target] < 0:
        return None
    if risk == "high" and high_start is not None and days_late > 0 and current_index < high_start:
        return max(target, high_start)
    return target
