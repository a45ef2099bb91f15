"""Benchmark, run by `make bench` inside `odoo shell`: our dunning run against
OCA account_credit_control generating its credit lines, on the same invoices.

Environment: BENCH_N (invoices, default 20000), BENCH_REBUILD=1 to rebuild them.
"""

import os
import resource
import time
from datetime import timedelta

from odoo import Command, fields

N = int(os.environ.get("BENCH_N", "20000"))
CUSTOMERS = max(N // 10, 1)
REBUILD = os.environ.get("BENCH_REBUILD") == "1"
env = globals()["env"]  # given by `odoo shell`
company = env.company
today = fields.Date.today()


def say(*args):
    print(*args, flush=True)


def ensure_chart():
    if not env["account.account"].search_count([("company_ids", "in", company.ids)]):
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        env.cr.commit()


def build_invoices():
    """N posted customer invoices over N/10 customers, 8 to 127 days overdue."""
    Move = env["account.move"].with_context(tracking_disable=True, skip_invoice_sync=False)
    existing = Move.search_count([("ref", "=like", "BENCH-%"), ("state", "=", "posted")])
    if existing == N and not REBUILD:
        say(f"reusing {N} benchmark invoices")
        return
    if existing:
        raise SystemExit(f"{existing} benchmark invoices exist, not {N}: drop the bench database")
    started = time.monotonic()
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench customer {i:06d}",
                "email": f"bench{i}@example.com",
                "is_company": True,
            }
            for i in range(CUSTOMERS)
        ]
    )
    chunk = 500
    for start in range(0, N, chunk):
        vals = []
        for i in range(start, min(start + chunk, N)):
            due = today - timedelta(days=8 + i % 120)
            vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partners[i % CUSTOMERS].id,
                    "ref": f"BENCH-{i:07d}",
                    "invoice_date": due,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Service",
                                "quantity": 1,
                                "price_unit": 100 + i % 900,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        Move.create(vals).action_post()
        env.cr.commit()
        say(f"  {min(start + chunk, N)} / {N} invoices ({time.monotonic() - started:.0f} s)")


def reset_state():
    """Forget earlier benchmark runs of both modules, so each starts from scratch."""
    env.cr.execute("DELETE FROM account_dunning_notice")
    env.cr.execute("DELETE FROM account_dunning_run")
    env.cr.execute("DELETE FROM mail_message WHERE model = 'account.dunning.notice'")
    env.cr.execute("UPDATE account_move SET dunning_level_id = NULL, last_dunning_date = NULL")
    env.cr.execute("DELETE FROM credit_control_line")
    env.cr.execute("DELETE FROM credit_control_communication")
    env.cr.execute("DELETE FROM credit_control_run")
    env.cr.commit()
    env.invalidate_all()
    # Both modules start from tidy tables: no dead rows left by earlier runs.
    with env.registry.cursor() as cr:
        cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
        for table in ("account_move", "account_move_line", "account_dunning_notice_line"):
            cr.execute(f"VACUUM ANALYZE {table}")  # fixed table names


def run_ours():
    run = env["account.dunning.run"].create({"company_id": company.id, "date": today})
    env.cr.commit()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    run._run_dunning()
    elapsed = time.monotonic() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    env.cr.commit()
    return elapsed, run, (rss_after - rss_before) / 1024, rss_after / 1024


def run_oca():
    policy = env.ref("account_credit_control.credit_control_3_time")
    receivable = company.partner_id.property_account_receivable_id
    policy.account_ids = [Command.set(receivable.ids)]
    company.credit_policy_id = policy
    env.cr.commit()
    env.invalidate_all()
    run = env["credit.control.run"].create({"date": today, "policy_ids": [Command.set(policy.ids)]})
    started = time.monotonic()
    run.generate_credit_lines()
    elapsed = time.monotonic() - started
    env.cr.commit()
    return elapsed, len(run.line_ids)


ensure_chart()
build_invoices()
reset_state()
ours, run, rss_delta, rss_peak = run_ours()
oca, oca_lines = run_oca()
say("")
say(f"invoices: {N}, customers: {CUSTOMERS}")
say(f"{'':28}{'account_dunning':>18}{'OCA credit control':>22}")
say(f"{'time (s)':28}{ours:>18.2f}{oca:>22.2f}")
say(f"{'invoices per second':28}{N / ours:>18.0f}{N / oca:>22.0f}")
say(f"{'output':28}{run.notice_count:>10} notices{oca_lines:>16} lines")
say(f"{'emails queued':28}{run.email_count:>18}{0:>22}")
say(f"{'peak RSS (MiB, process)':28}{rss_peak:>18.0f}")
say(f"{'peak RSS growth in run (MiB)':28}{rss_delta:>18.0f}")
say(f"speed-up: {oca / ours:.1f}x   time per invoice: {1000 * ours / N:.3f} ms")
