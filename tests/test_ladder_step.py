from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DunningTestCommon, day

# The day the collector reads the worklist, after that day's run.
TODAY = day(10)


@tagged("post_install", "-at_install")
class TestLadderStep(DunningTestCommon):
    """The worklist's "Next Level Due" is the day the run moves the invoice: read it,
    run the day before (nothing moves) and on the day (it moves)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("ladder_collector")
        # Jumping to the highest level passed: on day 30 the second level (14) is held
        # by its long interval, the third (30) is not, and is where the run goes.
        cls.jump_policy = cls.env["account.dunning.policy"].create(
            {
                "name": "Jumping ladder",
                "company_id": cls.company.id,
                "jump_to_highest_level": True,
                "level_ids": [
                    Command.create(
                        {
                            "sequence": sequence,
                            "name": name,
                            "delay": delay,
                            "min_interval": interval,
                            "send_letter": True,
                            "letter_kind": "friendly",
                        }
                    )
                    for sequence, name, delay, interval in (
                        (10, "Reminder", 7, 0),
                        (20, "Second reminder", 14, 30),
                        (30, "Last reminder", 30, 5),
                    )
                ],
            }
        )
        cls.jump_levels = cls.jump_policy._get_ordered_levels()

    def _customer(self, name):
        return self.env["res.partner"].create(
            {"name": name, "is_company": True, "email": f"{name.lower()}@example.com"}
        )

    def _invoice(self, partner, due):
        return self._create_dunning_invoice(partner, 100.0, due, invoice_date=day(-60))

    def _level_date(self, partner):
        Worklist = self.env["account.dunning.worklist"]
        # Read again: the worklist is a view of what changed since.
        Worklist.invalidate_model()
        return Worklist.search([("partner_id", "=", partner.id)]).level_date

    def _run_on(self, run_date):
        with freeze_time(run_date):
            return self._run_dunning(run_date)

    def test_the_worklist_says_when_the_run_moves_each_invoice(self):
        with freeze_time(TODAY):
            jumper = self._customer("Jumper")
            jumper.dunning_policy_id = self.jump_policy
            jumping = self._invoice(jumper, day(0))
            jumping.write({"dunning_level_id": self.jump_levels[0].id, "last_dunning_date": day(7)})
            # Posted after the week before its due date: its pre-due reminder is past.
            late_poster = self._customer("Lateposter")
            posted_late = self._invoice(late_poster, day(8))
            early = self._customer("Early")
            pre_due = self._invoice(early, day(30))
            promiser = self._customer("Promiser")
            promised = self._invoice(promiser, day(0))
            promised.write(
                {"dunning_level_id": self.level_friendly.id, "last_dunning_date": day(8)}
            )
            self._promise(promised, 100.0, day(5))
            checked = self._customer("Checked")
            final = self._invoice(checked, day(-40))
            final.write({"dunning_level_id": self.level_second.id, "last_dunning_date": day(-5)})
        run = self._run_on(TODAY)
        # The promise of day 5 and its 3 grace days passed: broken, the ladder resumes
        # without the interval; the final demand waits for its check.
        self.assertEqual(promised.dunning_promise_ids.state, "broken")
        self.assertEqual(final.dunning_level_id, self.level_final)
        self.assertEqual(run.notice_ids.filtered(lambda n: n.state == "draft").partner_id, checked)

        expected = {
            # Jumping from day 30 to the last reminder; one step at a time waits for
            # the second reminder's interval, to day 37.
            jumping: (jumper, day(30), self.jump_levels[2]),
            # The friendly reminder (7), not the pre-due one (-7): it is due already.
            posted_late: (late_poster, day(15), self.level_friendly),
            pre_due: (early, day(23), self.level_pre_due),
            # The call (14) without the interval after the friendly reminder of day 8.
            promised: (promiser, day(14), self.level_call),
        }
        for invoice, (partner, level_date, _level) in expected.items():
            self.assertEqual(self._level_date(partner), level_date, partner.name)
            self.assertEqual(invoice.dunning_next_level_date, level_date, partner.name)
        # Nothing moves the final demand while it waits for its check.
        self.assertFalse(self._level_date(checked))
        self.assertEqual(final.dunning_next_level_date, day(50), "agency, at day 90")

        run_days = sorted(
            {
                d
                for _partner, level_date, _level in expected.values()
                for d in (level_date - timedelta(days=1), level_date)
            }
        )
        moved_on = {}
        for run_day in run_days:
            before = {invoice: invoice.dunning_level_id for invoice in expected}
            self._run_on(run_day)
            for invoice in expected:
                if invoice.dunning_level_id != before[invoice]:
                    moved_on.setdefault(invoice, (run_day, invoice.dunning_level_id))
        for invoice, (partner, level_date, level) in expected.items():
            self.assertEqual(moved_on.get(invoice), (level_date, level), partner.name)

        # The held final demand: the run skips it, and the worklist says nothing moves.
        held_run = self._run_on(day(50))
        self.assertEqual(final.dunning_level_id, self.level_final)
        self.assertIn(
            "held", held_run.log_ids.filtered(lambda log: log.move_id == final).mapped("reason")
        )
        # Once checked and sent, its next level is due on the day the run moves it.
        with freeze_time(day(50)):
            final_notice = self.env["account.dunning.notice"].search(
                [("partner_id", "=", checked.id), ("state", "=", "draft")]
            )
            final_notice.with_user(self.collector).action_send()
        self.assertEqual(self._level_date(checked), day(50))
        self._run_on(day(49))
        self.assertEqual(final.dunning_level_id, self.level_final)
        self._run_on(day(50))
        self.assertEqual(final.dunning_level_id, self.level_agency)
