"""Benchmark, run by `make bench` inside `odoo shell` on a copy of the bench
database where OCA queue_job is installed: letters rendered by queue_job jobs.

BENCH_JOBS_PHASE=enqueue: forget the letters kept so far and the jobs of earlier
phases, then enqueue BENCH_JOB_LETTERS letters (default 120) in jobs of
BENCH_JOB_SIZE (default 10) on the documents channel, each job rendering its
letters with one wkhtmltopdf (the job runner's workers give the parallelism).
BENCH_JOBS_PHASE=report: print how long the jobs took, from the first start to
the last end, as queue_job recorded them, as one JSON line.
"""

import json
import os

env = globals()["env"]  # given by `odoo shell`
phase = os.environ["BENCH_JOBS_PHASE"]
Jobs = env["account.dunning.document.job"]

if phase == "enqueue":
    if report_url := os.environ.get("REPORT_URL"):
        env["ir.config_parameter"].set_param("report.url", report_url)
    env["ir.config_parameter"].set_param("account_dunning.letter_pdf_processes", 1)
    env.cr.execute("DELETE FROM queue_job")
    env["ir.attachment"].search([("res_model", "=", "account.dunning.notice")]).unlink()
    count = int(os.environ.get("BENCH_JOB_LETTERS", "120"))
    notices = env["account.dunning.notice"].search([], order="id", limit=count)
    type(Jobs)._letter_batch_size = int(os.environ.get("BENCH_JOB_SIZE", "10"))
    rows = Jobs._enqueue_letters(notices)
    env.cr.commit()
    print(f"enqueued {len(notices)} letters in {len(rows)} jobs", flush=True)
else:
    env.cr.execute(
        """
        SELECT COUNT(*) FILTER (WHERE state = 'done'), COUNT(*),
               EXTRACT(EPOCH FROM MAX(date_done) - MIN(date_started))
          FROM queue_job WHERE channel = 'root.dunning.documents'
        """
    )
    done, total, seconds = env.cr.fetchone()
    env.cr.execute("SELECT COUNT(*) FROM ir_attachment WHERE res_model = 'account.dunning.notice'")
    (letters,) = env.cr.fetchone()
    print(
        json.dumps(
            {"done": done, "jobs": total, "seconds": float(seconds or 0), "letters": letters}
        ),
        flush=True,
    )
