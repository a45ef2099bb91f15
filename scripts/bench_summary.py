"""The dunning run at each size `make bench` timed, side by side (one JSON object
per size in the file given, written by scripts/bench.py)."""

import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
print("")
print(
    f"{'invoices':>10}{'customers':>11}{'ours (s)':>10}{'OCA (s)':>10}{'speed-up':>10}"
    f"{'ms per invoice':>16}{'notices':>9}"
)
for row in rows:
    print(
        f"{row['invoices']:>10}{row['customers']:>11}{row['ours']:>10.2f}{row['oca']:>10.2f}"
        f"{row['oca'] / row['ours']:>9.1f}x{1000 * row['ours'] / row['invoices']:>16.3f}"
        f"{row['notices']:>9}"
    )
if len(rows) > 1:
    first, last = rows[0], rows[-1]
    growth = (last["ours"] / last["invoices"]) / (first["ours"] / first["invoices"])
    print(f"time per invoice at {last['invoices']} / at {first['invoices']}: {growth:.2f}")
