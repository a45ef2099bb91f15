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
