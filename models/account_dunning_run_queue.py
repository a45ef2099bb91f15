import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from odoo import api, fields, models
from odoo.http import request
from odoo.modules import module
from odoo.tools import SQL

from .account_dunning_run_job import CHANNEL


class AccountDunningRunQueue(models.AbstractModel):
    """A run's customers spread over jobs of OCA queue_job, when it is installed
    (account.dunning.run.job._queue_enabled): the run plans once, then each batch of
    customers is a job that gets its rows of the plan, and a last job, run by
    queue_job once every batch is done, finishes the run. Without queue_job, over
    worker threads of the run's process, a cursor each. Inherited by the run."""

    _name = "account.dunning.run.queue"
    _description = "Dunning Run in Jobs"

    # Worker threads, a cursor each, that share a run's batches (at most one per core).
    _dunning_workers = 2

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    job_ids = fields.One2many(
        comodel_name="account.dunning.run.job", inverse_name="run_id", readonly=True
    )
    job_failed_count = fields.Integer(string="Failed Jobs", compute="_compute_job_failed_count")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("job_ids")
    def _compute_job_failed_count(self):
        # The state is queue_job's, read for all the runs' jobs at once.
        failed = self.job_ids.filtered(lambda job: job.state == "failed")
        for run in self:
            run.job_failed_count = len(failed.filtered(lambda job, run=run: job.run_id == run))

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_failed_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_account_dunning_run_job"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"search_default_failed": 1}
        return action

    def action_retry_failed_jobs(self):
        self.ensure_one()
        return self.job_ids.filtered(lambda job: job.state == "failed").action_retry()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _process_batches(self, batches, by_partner, statements, credits):
        """The batches one after the other, each committed as it ends, or shared by
        worker threads with a cursor each (see _get_dunning_workers). A batch that
        fails beyond its customers stops the run, as it would alone: the batches
        committed stand, the next run does the rest."""
        total, done = sum(len(batch) for batch in batches), 0
        levels = self.env["account.dunning.level"].browse(
            {row["level_id"] for rows in by_partner.values() for row in rows}
        )
        workers = self._get_dunning_workers(len(batches), levels)
        if workers < 2:
            for batch in batches:
                self._process_partner_batch(batch, by_partner, statements, credits)
                self._commit_batch()
                done += len(batch)
                self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
            return
        # What the batches read (the run, its level rows and dates), for every cursor.
        self.env.flush_all()
        self._commit_batch()
        process = partial(self._process_batch_in_cursor, by_partner, statements, credits)
        with ThreadPoolExecutor(workers, thread_name_prefix="dunning_run") as pool:
            futures = [pool.submit(process, batch) for batch in batches]
            try:
                for future in futures:
                    done += len(future.result())
                    self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
            finally:
                for future in futures:
                    future.cancel()
        # What the cursors wrote, read again.
        self.env.invalidate_all()

    def _get_dunning_workers(self, batch_count, levels):
        """Cursors, one thread each, that share `batch_count` batches at `levels`:
        while one thread computes a batch, PostgreSQL writes another's. At most one
        per core, and one:
        - in tests, but in test mode (HttpCase) out of a request: its cursors share
          the test's transaction, and a request holds it until it ends;
        - when notice numbers have no gap (a gapless sequence locks its row);
        - when the run may post charge invoices: their journal numbers them one
          transaction at a time."""
        workers = min(os.cpu_count() or 1, self._dunning_workers, batch_count)
        if workers < 2 or (module.current_test and (self.env.registry.test_cr is None or request)):
            return 1
        charging = levels.filtered(lambda level: level.auto_execute and level._may_charge())
        carried = self.env["account.dunning.notice"].search_count(
            [("company_id", "=", self.company_id.id), ("fee_left_out", "=", True)], limit=1
        )
        if charging or carried:
            return 1
        if not self.env["ir.sequence"]._draws_concurrently("account.dunning.notice", self.date):
            return 1
        return workers

    def _process_batch_in_cursor(self, by_partner, statements, credits, batch):
        """In a worker thread: one batch in a cursor of its own, committed as it ends."""
        threading.current_thread().dbname = self.env.cr.dbname  # for the log, as cron threads
        with self.env.registry.cursor() as cr:
            self.with_env(self.env(cr=cr))._process_partner_batch(
                batch, by_partner, statements, credits
            )
        return batch

    def _enqueue_partner_batches(self, batches, by_partner, statements):
        """One job per batch of customers on the dunning channel, with their rows of
        the plan as plain values (dates are encoded by queue_job), and the job that
        finishes the run once they are all done (queue_job's dependencies)."""
        # Imported here: queue_job is a soft dependency (see _queue_enabled).
        from odoo.addons.queue_job.delay import group  # noqa: PLC0415

        self.ensure_one()
        Job = self.env["account.dunning.run.job"]
        Job._ensure_channels()
        # Tuples are no JSON keys: each statement goes as [partner, currency, rows].
        statements_of = defaultdict(list)
        for (partner_id, currency_id), lines in statements.items():
            statements_of[partner_id].append([partner_id, currency_id, lines])
        delayables, values = [], []
        for number, batch in enumerate(batches, start=1):
            rows = [row for partner_id in batch for row in by_partner[partner_id]]
            batch_statements = [item for partner_id in batch for item in statements_of[partner_id]]
            name = self.env._(
                "%(run)s: customers, batch %(number)s of %(count)s",
                run=self.display_name,
                number=number,
                count=len(batches),
            )
            delayables.append(
                self.delayable(channel=CHANNEL, description=name)._job_process_customers(
                    rows, batch_statements
                )
            )
            values.append(
                {
                    "run_id": self.id,
                    "company_id": self.company_id.id,
                    "kind": "customers",
                    "name": name,
                    "customer_count": len(batch),
                    "invoice_count": len(rows),
                }
            )
        finish_name = self.env._("%(run)s: finish", run=self.display_name)
        finish = self.delayable(channel=CHANNEL, description=finish_name)._job_finish_run()
        group(*delayables).on_done(finish).delay()
        # The finishing job has its row too: should it fail, the run says so.
        delayables.append(finish)
        values.append(
            {
                "run_id": self.id,
                "company_id": self.company_id.id,
                "kind": "customers",
                "name": finish_name,
            }
        )
        Job._create_for_jobs(
            {
                delayable._generated_job.uuid: vals
                for delayable, vals in zip(delayables, values, strict=True)
            }
        )

    def _job_process_customers(self, rows, statements):
        """Job: one batch of this run's customers, as the run does it inline. Safe to
        run again (a retry, a job run twice): the customers this run already gave a
        notice are left alone, and so are invoices that another run has dunned at
        their level since this one planned (logged as skips); the database refuses
        an invoice dunned twice at a level, a fee charged twice by a notice."""
        self.ensure_one()
        run = self.with_company(self.company_id)
        done = run._get_partners_with_notice({row["partner_id"] for row in rows})
        dunned = run._get_dunned_levels([row["move_id"] for row in rows])
        rows = [row for row in rows if row["partner_id"] not in done]
        taken = [row for row in rows if (row["move_id"], row["level_id"]) in dunned]
        run.env["account.dunning.run.log"]._log_skips(
            run, [(row["partner_id"], row["move_id"], "locked") for row in taken]
        )
        by_partner = defaultdict(list)
        for row in rows:
            if (row["move_id"], row["level_id"]) not in dunned:
                by_partner[row["partner_id"]].append(row)
        statements = {
            (partner_id, currency_id): lines for partner_id, currency_id, lines in statements
        }
        run._process_partner_batch(sorted(by_partner), by_partner, statements)
        return self.env._(
            "%(count)s customers dunned, %(done)s done before, %(taken)s invoices dunned "
            "by another run",
            count=len(by_partner),
            done=len(done),
            taken=len(taken),
        )

    def _get_partners_with_notice(self, partner_ids):
        """Ids among `partner_ids` of the customers this run already gave a notice:
        a customer's notices are made in one savepoint, all or none."""
        notices = self.env["account.dunning.notice"].search_fetch(
            [("run_id", "=", self.id), ("partner_id", "in", list(partner_ids))], ["partner_id"]
        )
        return set(notices.partner_id.ids)

    @api.model
    def _get_dunned_levels(self, move_ids):
        """{(invoice id, level id)} of these invoices dunned at a level: what the
        notice lines' exclusion constraint would refuse again."""
        lines = self.env["account.dunning.notice.line"].search_fetch(
            [("move_id", "in", move_ids), ("dunned", "=", True)], ["move_id", "level_id"]
        )
        return {(line.move_id.id, line.level_id.id) for line in lines}

    def _job_finish_run(self):
        """Job: the run is done, its batches all are (queue_job runs this job after
        them). Locked, so that two of these (a job run twice) write it once."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT id FROM account_dunning_run WHERE id = %s FOR NO KEY UPDATE", self.id)
        )
        self.invalidate_recordset(["state"])
        if self.state == "done":
            return False
        self.write(
            {
                "state": "done",
                # From its creation to its last job, waits in the queue included.
                "duration": max((fields.Datetime.now() - self.create_date).total_seconds(), 0),
            }
        )
        return True
