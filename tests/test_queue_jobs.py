"""The run, its emails and letters spread over OCA queue_job's jobs, on a database
where queue_job is installed (make test's pass "account_dunning_queue_job"). queue_job
is a soft dependency: its test helpers are imported inside the tests, so that this
file loads without it."""

import unittest
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import DUE, DunningTestCommon, day


def queue_job_helpers():
    """queue_job's own test helpers: (trap_jobs, JobMixin, JobCounter, Job,
    RunJobController)."""
    from odoo.tests import common as odoo_common  # noqa: PLC0415

    # queue_job 18.0.4's helpers add themselves to SETATTR_SOURCES, the list of who
    # may patch classes in tests that later Odoo 18 builds keep; an older build has
    # none: an empty one lets the helpers load, and nothing else reads it there.
    if not hasattr(odoo_common, "SETATTR_SOURCES"):
        odoo_common.SETATTR_SOURCES = {}
    from odoo.addons.queue_job.controllers.main import RunJobController  # noqa: PLC0415
    from odoo.addons.queue_job.job import Job  # noqa: PLC0415
    from odoo.addons.queue_job.tests.common import (  # noqa: PLC0415
        JobCounter,
        JobMixin,
        trap_jobs,
    )

    return trap_jobs, JobMixin, JobCounter, Job, RunJobController


@tagged("post_install", "-at_install", "dunning_queue_job")
class TestQueueJobs(DunningTestCommon, HttpCase):
    """An HttpCase: wkhtmltopdf fetches the letters' styles from the server, which
    must see the test's own transaction (see test_dunning_letters)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "queue.job" not in cls.env:
            raise unittest.SkipTest("OCA queue_job is not installed in this database")
        trap_jobs, cls.JobMixin, cls.JobCounter, cls.Job, cls.RunJobController = queue_job_helpers()
        cls.trap_jobs = staticmethod(trap_jobs)
        cls.Run = type(cls.env["account.dunning.run"])
        cls.Send = type(cls.env["account.dunning.notice.send"])
        cls.manager = cls._create_user("queue_manager", "account_dunning.group_dunning_manager")
        cls.collector = cls._create_user("queue_collector", "account_dunning.group_dunning_user")
        cls.salesman = cls._create_user("queue_salesman", "sales_team.group_sale_salesman")
        # A fee, so that each notice has a charge that a retry must not double.
        cls.level_friendly.fee_fixed = 5
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Queue Customer {i}", "email": f"q{i}@example.com"} for i in range(5)]
        )
        cls.invoices = cls.env["account.move"]
        for amount, customer in enumerate(cls.customers, start=1):
            cls.invoices |= cls._create_dunning_invoice(customer, 100.0 * amount, DUE)
            cls.invoices |= cls._create_dunning_invoice(customer, 10.0 * amount, day(-3))

    def _run_in_batches_of_two(self):
        with patch.object(self.Run, "_dunning_batch_size", 2):
            return self._run_dunning(day(7))

    def _facts(self):
        """What the runs did for the customers, whatever the notices' numbers: their
        notices, lines, charges, history entries and emails."""
        Notice = self.env["account.dunning.notice"]
        notices = Notice.search([("partner_id", "in", self.customers.ids)])
        mails = self.env["mail.mail"].search(
            [("model", "=", Notice._name), ("res_id", "in", notices.ids)]
        )
        events = self.env["account.dunning.event"].search([("notice_id", "in", notices.ids)])
        return {
            "notices": sorted(
                (
                    notice.partner_id.id,
                    notice.level_id.id,
                    notice.amount_residual,
                    notice.amount_dunned,
                    notice.state,
                    notice.email_state,
                    tuple(sorted((line.move_id.id, line.dunned) for line in notice.line_ids)),
                    tuple(sorted((charge.kind, charge.amount) for charge in notice.charge_ids)),
                )
                for notice in notices
            ),
            "lines": len(notices.line_ids),
            "charges": len(notices.charge_ids),
            "events": len(events),
            "mails": len(mails),
        }

    def _perform_pending(self):
        """Run the pending jobs as queue_job's runner does (its controller: no commit
        allowed, then the jobs waiting for them are queued), until none is left."""
        for _attempt in range(10):
            # sudo: the runner's view of the queue, which accountants do not read.
            jobs = (
                self.env["queue.job"]
                .sudo()
                .search(
                    [("state", "=", "pending"), ("channel", "=like", "root.dunning%")], order="id"
                )
            )
            if not jobs:
                return
            for job in jobs:
                self.RunJobController._runjob(self.env, self.Job.load(self.env, job.uuid))
        self.fail("jobs keep being queued")

    # ------------------------------------------------------------
    # The run's customers
    # ------------------------------------------------------------

    def test_a_run_enqueues_one_job_per_batch_and_does_what_it_does_inline(self):
        self.assertTrue(self.env["account.dunning.run.job"]._queue_enabled())
        # The same run without queue_job (as today), kept aside.
        with self.env.cr.savepoint() as inline_run:
            with patch.object(
                type(self.env["account.dunning.run.job"]), "_queue_enabled", lambda self: False
            ):
                run = self._run_in_batches_of_two()
            self.assertEqual(run.state, "done")
            self.assertFalse(run.job_ids)
            inline = self._facts()
            inline_run.rollback()
        self.assertEqual(len(inline["notices"]), 5)

        with self.trap_jobs() as trap:
            run = self._run_in_batches_of_two()
            trap.assert_jobs_count(3, only=run._job_process_customers)
            trap.assert_jobs_count(1, only=run._job_finish_run)
            self.assertEqual({job.channel for job in trap.enqueued_jobs}, {"root.dunning"})
            self.assertEqual(run.state, "running", "its jobs finish it")
            self.assertFalse(run.notice_ids)
            # Three batches, and the job that finishes the run once they are done.
            self.assertEqual(run.job_ids.mapped("kind"), ["customers"] * 4)
            self.assertEqual(sorted(run.job_ids.mapped("customer_count")), [0, 1, 2, 2])
            self.assertEqual(sum(run.job_ids.mapped("invoice_count")), 10)
            trap.perform_enqueued_jobs()
        self.assertEqual(run.state, "done")
        self.assertEqual(self._facts(), inline)
        channels = self.env["queue.job.channel"].sudo().search([]).mapped("complete_name")
        self.assertIn("root.dunning.documents", channels)

    def test_a_batch_job_performed_twice_duplicates_nothing(self):
        with self.trap_jobs() as trap:
            run = self._run_in_batches_of_two()
            jobs = list(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
            once = self._facts()
            # A retry after the job had committed: each job runs again.
            for job in jobs:
                job.perform()
        self.assertEqual(len(once["notices"]), 5)
        self.assertEqual(once["charges"], 5)
        self.assertEqual(self._facts(), once)
        self.assertEqual(run.notice_count, 5)
        self.assertFalse(run.log_ids.filtered(lambda log: log.kind == "error"))

    def test_jobs_of_an_older_plan_leave_what_another_run_did_since(self):
        with self.trap_jobs() as trap:
            first = self._run_in_batches_of_two()
            first_jobs = list(trap.enqueued_jobs)
        # A second run plans the same invoices and its jobs are done first.
        with self.trap_jobs() as trap:
            second = self._run_in_batches_of_two()
            trap.perform_enqueued_jobs()
        self.assertEqual(second.notice_count, 5)
        once = self._facts()
        for job in first_jobs:
            job.perform()
        self.assertEqual(self._facts(), once, "no duplicate")
        self.assertEqual(first.state, "done")
        self.assertFalse(first.notice_ids)
        self.assertEqual(first.error_count, 0)
        skips = first.log_ids.filtered(lambda log: log.reason == "locked")
        self.assertEqual(skips.move_id, self.invoices)

    def test_a_failed_job_shows_on_the_run_and_retry_completes_it(self):
        run = self._run_in_batches_of_two()
        self.assertEqual(len(run.job_ids), 4)
        # The batches; the finishing job waits for them all.
        first, *others = run.job_ids.filtered("customer_count").sorted("id")
        process = self.Run._process_partner_batch

        def process_then_crash(self_run, *args):
            process(self_run, *args)
            raise RuntimeError("server closed the connection unexpectedly")

        job = self.Job.load(self.env, first.uuid)
        # What queue_job's runner does with a job that raises: its transaction is
        # rolled back (assertRaises' savepoint), the failure is stored.
        with patch.object(self.Run, "_process_partner_batch", process_then_crash):
            with self.assertRaises(RuntimeError) as failure:
                job.perform()
        job.set_failed(exc_name="RuntimeError", exc_message=str(failure.exception))
        job.store()
        for other in others:
            self.RunJobController._runjob(self.env, self.Job.load(self.env, other.uuid))
        self._perform_pending()
        # The rows read queue_job's state anew, as each request of the web client does.
        self.env.invalidate_all()

        self.assertEqual(run.state, "running", "its last batch failed")
        self.assertEqual(run.job_failed_count, 1)
        failed = run.job_ids.filtered(lambda row: row.state == "failed")
        self.assertEqual(failed, first)
        self.assertIn("closed the connection", failed.exc_message)
        self.assertEqual(run.action_view_failed_jobs()["context"], {"search_default_failed": 1})
        self.assertEqual(
            self.env["account.dunning.run.job"].search(
                [("run_id", "=", run.id), ("state", "=", "failed")]
            ),
            first,
        )
        self.assertEqual(run.notice_count, 3, "the failed batch's customers wait")

        for user in (self.collector, self.salesman):
            # Over RPC, as the web client's button calls it.
            self.authenticate(user.login, user.login)
            with self.assertRaises(JsonRpcException) as refused, mute_logger("odoo.http"):
                self.make_jsonrpc_request(
                    "/web/dataset/call_kw/account.dunning.run.job/action_retry",
                    {
                        "model": "account.dunning.run.job",
                        "method": "action_retry",
                        "args": [first.ids],
                        "kwargs": {},
                    },
                )
            self.assertEqual(str(refused.exception), "odoo.exceptions.AccessError")
            with self.assertRaises(AccessError):
                first.with_user(user).action_retry()
            with self.assertRaises(AccessError):
                run.with_user(user).action_retry_failed_jobs()
        self.env.invalidate_all()
        self.assertEqual(first.state, "failed")
        run.with_user(self.manager).action_retry_failed_jobs()
        self.env.invalidate_all()
        self.assertEqual(first.state, "pending")
        self._perform_pending()
        self.env.invalidate_all()

        self.assertEqual(run.state, "done")
        self.assertEqual(run.job_failed_count, 0)
        facts = self._facts()
        self.assertEqual(len(facts["notices"]), 5)
        self.assertEqual(facts["lines"], 10)
        self.assertEqual(facts["charges"], 5)
        self.assertEqual(facts["events"], 5)
        lines = self.env["account.dunning.notice.line"].search(
            [("move_id", "in", self.invoices.ids), ("dunned", "=", True)]
        )
        self.assertEqual(len(lines), 10, "each invoice dunned once")

    # ------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------

    def test_emails_go_in_batches_and_each_is_sent_once(self):
        with self.trap_jobs() as trap:
            run = self._run_in_batches_of_two()
            trap.perform_enqueued_jobs()
        notices = run.notice_ids
        self.assertEqual(set(notices.mapped("email_state")), {"pending"})
        cron = self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo()
        Documents = self.env["account.dunning.document.job"]
        with patch.object(self.Send, "_email_batch_size", 2):
            with self.trap_jobs() as trap:
                cron.method_direct_trigger()
                trap.assert_jobs_count(3, only=Documents._job_send_emails)
                self.assertEqual(
                    {job.channel for job in trap.enqueued_jobs}, {"root.dunning.documents"}
                )
                self.assertTrue(all(job.identity_key for job in trap.enqueued_jobs))
            self.assertEqual(set(notices.mapped("email_state")), {"pending"}, "the jobs send")
            # The rows of the trapped jobs, which were never stored.
            run.job_ids.filtered(lambda row: row.kind == "emails").sudo().unlink()
            # Stored this time: the cron running again while they wait adds none.
            # su: the queue as its runner sees it, which accountants do not read.
            counter = self.JobCounter(self.env(su=True))
            cron.method_direct_trigger()
            cron.method_direct_trigger()
        self.assertEqual(counter.count_created(), 3)
        rows = run.job_ids.filtered(lambda row: row.kind == "emails")
        self.assertEqual(sorted(rows.mapped("notice_count")), [1, 2, 2])
        self.JobMixin.perform_jobs(self, counter)
        self.assertEqual(set(notices.mapped("email_state")), {"queued"})
        # Performed again (a retry after a commit): nothing is rendered twice.
        self.JobMixin.perform_jobs(self, counter)
        facts = self._facts()
        self.assertEqual(facts["mails"], 5, "one email per notice")
        self.assertEqual(set(notices.mapped("email_state")), {"queued"})

    def test_letters_render_in_batches_once(self):
        with self.trap_jobs() as trap:
            run = self._run_in_batches_of_two()
            trap.perform_enqueued_jobs()
        notices = run.notice_ids
        Documents = self.env["account.dunning.document.job"]
        with (
            patch.object(type(Documents), "_letter_batch_size", 2),
            self.trap_jobs() as trap,
        ):
            rows = Documents._enqueue_letters(notices)
            trap.assert_jobs_count(3, only=Documents._job_render_letters)
            self.assertEqual(rows.mapped("kind"), ["letters"] * 3)
            self.assertEqual(rows.run_id, run)
            jobs = list(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
            kept = self.env["account.dunning.notice.send"]._get_kept_letters(notices)
            self.assertEqual(set(kept), set(notices.ids))
            for job in jobs:
                job.perform()
        letters = self.env["ir.attachment"].search(
            [("res_model", "=", notices._name), ("res_id", "in", notices.ids)]
        )
        self.assertEqual(len(letters), 5, "one letter kept per notice, rendered once")

    def test_only_a_failed_job_is_retried(self):
        run = self._run_in_batches_of_two()
        with self.assertRaises(UserError):
            run.job_ids[:1].with_user(self.manager).action_retry()
        with self.assertRaises(AccessError):
            run.job_ids[:1].with_user(self.salesman).action_retry()
        self.assertEqual(
            run.job_ids.sorted("id").mapped("state"), ["pending"] * 3 + ["wait_dependencies"]
        )

    def test_no_role_rewrites_which_queue_job_a_row_follows(self):
        # A row's uuid rewritten would read and requeue any job of queue_job.
        run = self._run_in_batches_of_two()
        row = run.job_ids[:1]
        uuid = row.uuid
        for user in (self.manager, self.collector, self.salesman):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                row.with_user(user).write({"uuid": "another-job"})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                row.with_user(user).copy()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                row.with_user(user).create(
                    {"run_id": run.id, "kind": "customers", "uuid": "another-job", "name": "x"}
                )
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                row.with_user(user).unlink()
        self.assertEqual(row.uuid, uuid)
        self.assertEqual(len(run.job_ids), 4, "no row made or removed")
