import os
import threading
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
@freeze_time("2026-03-31")
class TestRunOverCursors(DunningTestCommon, HttpCase):
    """A run's batches shared by worker threads, each with a cursor of its own. In
    test mode (HttpCase) those cursors share the test's transaction, one at a time:
    what the run does must not depend on the cursor that does it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.registry["account.dunning.run"]
        cls.customers = cls.customer | cls.env["res.partner"].create(
            [
                {"name": "Harbour Bakery", "is_company": True, "email": "ap@harbour.example.com"},
                {"name": "Mill Lane Cafe", "is_company": True, "email": "ap@mill.example.com"},
            ]
        )
        cls.invoices = cls.env["account.move"].concat(
            *(cls._create_dunning_invoice(customer, 300.0, DUE) for customer in cls.customers)
        )

    def _run_in_batches_of_one(self):
        """A run whose customers go one per batch, and the threads that did them."""
        threads = set()
        process = self.Run._process_partners

        def process_and_note(run, partner_ids, *args, **kwargs):
            threads.add(threading.current_thread().name)
            return process(run, partner_ids, *args, **kwargs)

        with (
            patch.object(self.Run, "_dunning_batch_size", 1),
            patch.object(self.Run, "_process_partners", process_and_note),
        ):
            run = self._run_dunning(day(7))
        return run, threads

    def test_two_cursors_do_what_one_does(self):
        run = self.env["account.dunning.run"].create({"company_id": self.company.id})
        self.assertEqual(
            run._get_dunning_workers(3, self.level_friendly), min(os.cpu_count() or 1, 2)
        )
        if (os.cpu_count() or 1) < 2:
            self.skipTest("one core: the run keeps one cursor")
        run, threads = self._run_in_batches_of_one()
        self.assertTrue(threads)
        self.assertTrue(all(name.startswith("dunning_run") for name in threads), threads)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.notice_count, 3)
        self.assertEqual(run.notice_ids.partner_id, self.customers)
        self.assertEqual(len(set(run.notice_ids.mapped("name"))), 3, "numbers drawn once each")
        self.assertEqual(run.notice_ids.level_id, self.level_friendly)
        self.assertEqual(self.invoices.dunning_level_id, self.level_friendly)
        self.assertEqual(run.notice_ids.line_ids.move_id, self.invoices)
        history = self.env["account.dunning.event"].search(
            [("notice_id", "in", run.notice_ids.ids)]
        )
        self.assertEqual(history.partner_id, self.customers)
        self.assertFalse(run.error_count)
        # Run again: nothing new, from any cursor.
        again, _threads = self._run_in_batches_of_one()
        self.assertFalse(again.notice_ids)

    def test_a_failing_customer_in_one_cursor_does_not_stop_the_others(self):
        if (os.cpu_count() or 1) < 2:
            self.skipTest("one core: the run keeps one cursor")
        broken = self.customers[1]
        create = self.Run._create_notices

        def create_or_break(run, rows, *args, **kwargs):
            if any(row["partner_id"] == broken.id for row in rows):
                raise ValueError("broken customer")
            return create(run, rows, *args, **kwargs)

        with (
            patch.object(self.Run, "_create_notices", create_or_break),
            mute_logger("odoo.addons.account_dunning.models.account_dunning_run"),
        ):
            run, threads = self._run_in_batches_of_one()
        self.assertTrue(all(name.startswith("dunning_run") for name in threads), threads)
        self.assertEqual(run.notice_ids.partner_id, self.customers - broken)
        self.assertEqual(run.error_count, 1)
        self.assertEqual(run.log_ids.filtered(lambda log: log.kind == "error").partner_id, broken)
        self.assertFalse(
            self.invoices.filtered(lambda move: move.partner_id == broken).dunning_level_id
        )

    def test_a_gapless_numbering_keeps_one_cursor(self):
        sequence = self.env["ir.sequence"].search([("code", "=", "account.dunning.notice")])
        sequence.implementation = "no_gap"
        run = self.env["account.dunning.run"].create({"company_id": self.company.id})
        self.assertEqual(
            run._get_dunning_workers(3, self.level_friendly), 1, "a gapless sequence locks its row"
        )
        run, threads = self._run_in_batches_of_one()
        self.assertEqual(threads, {threading.current_thread().name})
        self.assertEqual(run.notice_count, 3)

    def test_a_run_that_may_post_charge_invoices_keeps_one_cursor(self):
        run = self.env["account.dunning.run"].create({"company_id": self.company.id})
        self.level_friendly.fee_fixed = 5.0
        self.assertEqual(
            run._get_dunning_workers(3, self.level_friendly),
            1,
            "its journal numbers charge invoices one transaction at a time",
        )
        run, threads = self._run_in_batches_of_one()
        self.assertEqual(threads, {threading.current_thread().name})
        self.assertEqual(len(run.notice_ids.charge_move_id), 3, "each fee invoiced once")
        self.assertEqual(len(set(run.notice_ids.charge_move_id.mapped("name"))), 3)
        self.level_friendly.fee_fixed = 0.0
        self.level_friendly.policy_id.write({"interest_method": "fixed", "interest_rate": 5.0})
        self.assertEqual(run._get_dunning_workers(3, self.level_friendly), 1, "interest too")
