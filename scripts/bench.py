"""Benchmark, run by `make bench` inside `odoo shell`: our dunning run against
OCA account_credit_control generating its credit lines, on the same invoices.

Environment: BENCH_N (invoices, default 20000; above 20000, a multiple of it);
BENCH_DOCUMENTS=0 leaves out the letters and the email job (the run and the
worklist only).
"""

import json
import os
import resource
import time
from datetime import date, timedelta

from odoo import Command, fields

N = int(os.environ.get("BENCH_N", "20000"))
DOCUMENTS = os.environ.get("BENCH_DOCUMENTS", "1") != "0"
CUSTOMERS = max(N // 10, 1)
SEED = 20000
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
    """N posted customer invoices over N/10 customers, 8 to 127 days overdue.

    Up to SEED invoices are created through the ORM, as a user would. Beyond that,
    the seed's customers, invoices and journal items are copied with SQL, keeping
    ten invoices per customer: creating 100,000 invoices through the ORM takes
    about an hour here, and the runs being timed only read them.
    """
    Move = env["account.move"].with_context(tracking_disable=True)
    seed = min(N, SEED)
    if N % seed:
        raise SystemExit(f"BENCH_N must be at most {SEED} or a multiple of it")
    existing = Move.search_count([("ref", "=like", "BENCH-%"), ("state", "=", "posted")])
    if existing == N:
        say(f"reusing {N} benchmark invoices")
        return
    if existing not in (0, seed):
        raise SystemExit(f"{existing} benchmark invoices exist: drop the bench database")
    if not existing:
        build_seed(Move, seed)
    for copy in range(1, N // seed):
        copy_seed(copy)
        env.cr.commit()
        say(f"  {(copy + 1) * seed} / {N} invoices (copies of the seed)")
    env.invalidate_all()


def build_seed(Move, seed):
    started = time.monotonic()
    customers = seed // 10
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench customer {i:06d}",
                "email": f"bench{i}@example.com",
                "is_company": True,
            }
            for i in range(customers)
        ]
    )
    chunk = 500
    for start in range(0, seed, chunk):
        vals = []
        for i in range(start, min(start + chunk, seed)):
            due = today - timedelta(days=8 + i % 120)
            vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partners[i % customers].id,
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
        done, elapsed = min(start + chunk, seed), time.monotonic() - started
        say(f"  {done} / {seed} seed invoices ({elapsed:.0f} s)")


def copy_rows(table, id_map, remap, rename=None):
    """INSERT copies of the rows of `table` listed in the temporary table `id_map`,
    with the columns of `remap` going through the given map tables."""
    env.cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
        [table],
    )
    columns = [name for (name,) in env.cr.fetchall()]
    select = []
    for column in columns:
        if column in remap:
            select.append(f"(SELECT new_id FROM {remap[column]} WHERE old_id = t.{column})")
        elif rename and column in rename:
            select.append(rename[column])
        else:
            select.append(f"t.{column}")
    env.cr.execute(
        # Table and column names come from the catalog, not from input.
        f"INSERT INTO {table} (id, {', '.join(columns)}) "
        f"SELECT m.new_id, {', '.join(select)} FROM {table} t JOIN {id_map} m ON m.old_id = t.id"
    )


def copy_seed(copy):
    cr = env.cr
    suffix = f"-C{copy}"
    cr.execute("DROP TABLE IF EXISTS bench_pmap, bench_mmap, bench_lmap")
    cr.execute(
        "CREATE TEMP TABLE bench_mmap AS SELECT id AS old_id,"
        " nextval('account_move_id_seq') AS new_id FROM account_move"
        " WHERE ref LIKE 'BENCH-%' AND ref NOT LIKE '%-C%'"
    )
    cr.execute(
        "CREATE TEMP TABLE bench_pmap AS SELECT DISTINCT ON (p.id) p.id AS old_id,"
        " nextval('res_partner_id_seq') AS new_id FROM res_partner p"
        " JOIN account_move m ON m.commercial_partner_id = p.id"
        " JOIN bench_mmap mm ON mm.old_id = m.id"
    )
    cr.execute(
        "CREATE TEMP TABLE bench_lmap AS SELECT l.id AS old_id,"
        " nextval('account_move_line_id_seq') AS new_id FROM account_move_line l"
        " JOIN bench_mmap mm ON mm.old_id = l.move_id"
    )
    for name in ("bench_pmap", "bench_mmap", "bench_lmap"):
        cr.execute(f"CREATE INDEX ON {name} (old_id)")
    copy_rows(
        "res_partner",
        "bench_pmap",
        {"commercial_partner_id": "bench_pmap"},
        {"name": f"t.name || '{suffix}'", "complete_name": f"t.complete_name || '{suffix}'"},
    )
    copy_rows(
        "account_move",
        "bench_mmap",
        {"partner_id": "bench_pmap", "commercial_partner_id": "bench_pmap"},
        {"name": f"t.name || '{suffix}'", "ref": f"t.ref || '{suffix}'"},
    )
    copy_rows(
        "account_move_line",
        "bench_lmap",
        {"move_id": "bench_mmap", "partner_id": "bench_pmap"},
        {"move_name": f"t.move_name || '{suffix}'"},
    )
    cr.execute(
        "INSERT INTO account_dunning_move_level"
        " (move_id, level_id, last_dunning_date, next_level_date)"
        " SELECT mm.new_id, r.level_id, r.last_dunning_date, r.next_level_date"
        " FROM account_dunning_move_level r JOIN bench_mmap mm ON mm.old_id = r.move_id"
    )


def vacuum():
    """VACUUM ANALYZE every table a run writes, as autovacuum does in the background.
    This machine's PostgreSQL runs without autovacuum: dead rows would pile up,
    sitting after sitting, and slow every read after them."""
    with env.registry.cursor() as cr:
        cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
        for table in (
            "account_move",
            "account_move_line",
            "account_dunning_move_level",
            "account_dunning_notice",
            "account_dunning_notice_line",
            "account_dunning_event",
            "account_dunning_run",
            "account_dunning_run_log",
            "mail_message",
            "credit_control_line",
            "credit_control_communication",
        ):
            cr.execute(f"VACUUM ANALYZE {table}")  # fixed table names


def reset_state():
    """Forget earlier benchmark runs of both modules, so each starts from scratch."""
    env.cr.execute("DELETE FROM account_dunning_event")
    env.cr.execute("DELETE FROM account_dunning_notice")
    env.cr.execute("DELETE FROM account_dunning_run")
    env.cr.execute("DELETE FROM mail_message WHERE model = 'account.dunning.notice'")
    env.cr.execute(
        "UPDATE account_dunning_move_level SET level_id = NULL, last_dunning_date = NULL"
    )
    env.cr.execute("DELETE FROM credit_control_line")
    env.cr.execute("DELETE FROM credit_control_communication")
    env.cr.execute("DELETE FROM credit_control_run")
    env.cr.commit()
    env.invalidate_all()
    # Both modules start from tidy tables: no dead rows left by earlier runs.
    vacuum()


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


def bench_worklist(page_repeat=20, repeat=3):
    """Min, median and max in seconds of opening the collector's worklist (its
    first page and count, as the list view asks), `page_repeat` times, and of the
    manager's aging pivot (by collector, by level) and beside it OCA's nearest
    view, its credit control lines summed per customer, `repeat` times each."""
    Worklist = env["account.dunning.worklist"]
    list_fields = [
        "partner_id",
        "user_id",
        "level_id",
        "currency_id",
        "amount_open",
        "amount_overdue",
        "amount_1_30",
        "amount_31_60",
        "amount_61_90",
        "amount_90_plus",
        "amount_disputed",
        "promise_date",
        "promise_amount",
        "promise_broken",
        "next_action",
        "next_action_date",
        "last_contact_date",
    ]
    buckets = [
        f"{name}:sum"
        for name in (
            "amount_not_due",
            "amount_1_30",
            "amount_31_60",
            "amount_61_90",
            "amount_90_plus",
        )
    ]
    cases = {
        "worklist, first page": lambda: Worklist.web_search_read(
            [("amount_overdue", ">", 0)], {name: {} for name in list_fields}, limit=80
        ),
        "aging pivot by collector": lambda: Worklist.read_group([], buckets, ["user_id"]),
        "aging pivot by level": lambda: Worklist.read_group([], buckets, ["level_id"]),
        "OCA lines per customer": lambda: env["credit.control.line"].read_group(
            [], ["balance_due:sum"], ["partner_id"]
        ),
    }
    timings = {}
    for name, call in cases.items():
        spent = []
        for _attempt in range(page_repeat if name == "worklist, first page" else repeat):
            env.invalidate_all()
            started = time.monotonic()
            call()
            spent.append(time.monotonic() - started)
        spent.sort()
        median = (spent[(len(spent) - 1) // 2] + spent[len(spent) // 2]) / 2
        timings[name] = (spent[0], median, spent[-1], len(spent))
    rows = Worklist.search_count([])
    return timings, rows


def bench_pdfs(run, count=50, repeat=3):
    """Seconds to render `count` letters in one batch (with one wkhtmltopdf, then
    with the default number at once), and Odoo's own invoice PDF for `count`
    invoices, in the same process (each warmed up by one document), best of
    `repeat` sittings taken in turn, each case in each sitting."""
    if report_url := os.environ.get("REPORT_URL"):
        env["ir.config_parameter"].set_param("report.url", report_url)
    notices = run.notice_ids.sorted("id")[: count + 1]
    invoices = env["account.move"].search(
        [("ref", "=like", "BENCH-%"), ("state", "=", "posted")], order="id", limit=count + 1
    )
    letters = env.ref("account_dunning.action_report_dunning_notice")
    invoice_report = env.ref("account.account_invoices")
    parameter = "account_dunning.letter_pdf_processes"
    default_processes = letters._get_letter_pdf_processes()
    timings = {}
    for _sitting in range(repeat):
        for name, report, records, processes in (
            ("letters_1", letters, notices, 1),
            ("letters", letters, notices, default_processes),
            ("invoices", invoice_report, invoices, 1),
        ):
            env["ir.config_parameter"].set_param(parameter, processes)
            savepoint = env.cr.savepoint()  # each letter run starts with no letter kept
            report._render_qweb_pdf(report, records[:1].ids)  # warm-up: assets, templates
            started = time.monotonic()
            report._render_qweb_pdf(report, records[1:].ids)
            spent = time.monotonic() - started
            if name not in timings or spent < timings[name][0]:
                timings[name] = (spent, len(records) - 1, processes)
            savepoint.close(rollback=True)
    env.cr.rollback()
    return timings


def bench_analysis(repeat=3):
    """Best of `repeat`, in seconds, each undone after it is timed: the payment
    behaviour refresh of the company, today's receivables snapshot (taken anew
    each time) and the cash-in forecast's pivot by week and risk class."""
    company = env.company
    today = date.today()
    cases = {
        "behaviour refresh": lambda: env["account.dunning.behaviour"]._refresh(company, today),
        "snapshot of the day": lambda: env["account.dunning.snapshot"]._take_snapshot(today),
        "forecast pivot (week, risk)": lambda: env["account.dunning.forecast"].read_group(
            [("kind", "=", "forecast")], ["amount:sum"], ["week:week", "risk"], lazy=False
        ),
    }
    timings = {}
    for name, call in cases.items():
        best = None
        for _attempt in range(repeat):
            env.cr.execute("SAVEPOINT bench_analysis")
            env.invalidate_all()
            started = time.monotonic()
            call()
            env.flush_all()
            spent = time.monotonic() - started
            env.cr.execute("ROLLBACK TO SAVEPOINT bench_analysis")
            best = spent if best is None else min(best, spent)
        timings[name] = best
    return timings


ensure_chart()
build_invoices()
reset_state()
ours, run, rss_delta, rss_peak = run_ours()
oca, oca_lines = run_oca()
# The reads below see the tables as autovacuum leaves them after the runs.
vacuum()
worklist, worklist_rows = bench_worklist()
analysis = bench_analysis()
if DOCUMENTS:
    pdfs = bench_pdfs(run)
    # The emails of the run, rendered into Odoo's mail queue by their own job.
    started = time.monotonic()
    env["account.dunning.notice"]._cron_send_dunning_emails()
    email_job = time.monotonic() - started
if results := os.environ.get("BENCH_RESULTS"):
    with open(results, "a", encoding="utf-8") as file:
        row = {"invoices": N, "customers": CUSTOMERS, "ours": ours, "oca": oca}
        file.write(json.dumps({**row, "notices": run.notice_count}) + "\n")
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
if DOCUMENTS:
    say(f"email job: {run.email_count} emails rendered into the mail queue in {email_job:.1f} s")
say("")
say(f"worklist: {worklist_rows} rows (customer, currency)")
say(f"{'seconds':28}{'min':>18}{'median':>9}{'max':>9}")
for name, (fastest, median, slowest, times) in worklist.items():
    say(f"{name:28}{fastest:>18.3f}{median:>9.3f}{slowest:>9.3f}  ({times} times)")
say("")
say("analysis (Collections › Analysis), best of 3")
for name, spent in analysis.items():
    say(f"{name:28}{spent:>18.3f} s")
if DOCUMENTS:
    columns = [
        (f"letters, {pdfs['letters_1'][2]} process", *pdfs["letters_1"][:2]),
        (f"letters, {pdfs['letters'][2]} processes", *pdfs["letters"][:2]),
        ("Odoo invoice PDF", *pdfs["invoices"][:2]),
    ]
    say("")
    say(f"{'PDF batch, best of 3':24}" + "".join(f"{name:>22}" for name, _t, _n in columns))
    say(f"{'documents':24}" + "".join(f"{count:>22}" for _name, _t, count in columns))
    say(f"{'time (s)':24}" + "".join(f"{spent:>22.2f}" for _name, spent, _n in columns))
    say(f"{'documents per second':24}" + "".join(f"{n / t:>22.1f}" for _name, t, n in columns))
    (letter_time, letters), (invoice_time, invoices) = pdfs["letters"][:2], pdfs["invoices"][:2]
    ratio = (letters / letter_time) / (invoices / invoice_time)
    bar = "met" if ratio >= 2 else "NOT met"
    say(f"letters per second against Odoo's invoice PDF: {ratio:.2f}x (aim: 2x, {bar})")
