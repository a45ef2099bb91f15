"""How a batch of documents is shared between wkhtmltopdf runs (pure)."""

import math


def split_in_runs(ids, processes, min_per_run, max_per_run):
    """`ids` in order, cut into runs whose sizes differ by one at most: one run per
    process when each gets at least `min_per_run`, and as many more as needed so
    that no run exceeds `max_per_run`."""
    if not ids:
        return []
    runs = max(min(processes, len(ids) // min_per_run), math.ceil(len(ids) / max_per_run), 1)
    size, extra = divmod(len(ids), runs)
    result, start = [], 0
    for run in range(runs):
        end = start + size + (run < extra)
        result.append(list(ids[start:end]))
        start = end
    return result
