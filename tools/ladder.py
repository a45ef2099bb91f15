"""Pure rules of a dunning ladder: no database, no Odoo."""


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
