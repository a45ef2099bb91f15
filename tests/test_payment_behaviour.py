import json
from datetime import date

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .test_sale_deposit import DepositTestCommon
from .test_ui import SCRIPT

# The day the figures are refreshed on: the window is the 12 months before it
# (2025-06-30 excluded to 2026-06-30 included), its last 3 months start after
# 2026-03-30.
REFRESH = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestPaymentBehaviour(DepositTestCommon):
    """A seeded ledger whose figures are computed by hand (policy defaults: 3
    invoices to judge; high from 30 days, 50 % late or 2 broken promises; medium
    from 10 days, 25 % or 1 broken promise).

    Punctual (low): 5 invoices paid in the window
        P1 1000 due 2025-09-30 paid 2025-09-30:  0 days
        P2 1000 due 2025-12-31 paid 2025-12-20:  0 (early)
        P3 2000 due 2026-02-28 paid 2026-03-02:  2
        P4 1000 due 2026-05-31 paid 2026-05-31:  0 (recent)
        P5 1000 due 2026-06-15 paid 2026-06-10:  0 (recent)
        count 5, late 1, share 20 %, average 2 x 2000 / 6000 = 0.67, median 0,
        worst 2; recent 0, before 2 x 2000 / 4000 = 1.0: stable (within 5 days).
    Slow (high): 4 invoices paid in the window, one before it
        S0 1000 due 2025-03-31 paid 2025-05-31: out of the window
        S1 1000 due 2025-08-31 paid 2025-09-10: 10
        S2 3000 due 2025-11-30: credit note of 1000 on 2025-12-05, paid 2000 on
           2025-12-20: fully paid on the latest, 20
        S3 1000 due 2026-04-30 paid 2026-06-09: 40 (recent)
        S4 1000 due 2026-05-15 paid 2026-06-24: 40 (recent)
        count 4, late 4, share 100 %, average (10x1000 + 20x3000 + 40x1000 +
        40x1000) / 6000 = 150000 / 6000 = 25.0, median (20 + 40) / 2 = 30, worst
        40; recent 40, before (10000 + 60000) / 4000 = 17.5: worse. High by its
        share (100 % >= 50 %). Notices: 3 lines on its invoices / 4 = 0.75; one
        promise kept, one broken; one dispute of 200, not accepted.
    New: 2 invoices paid 30 days late: fewer than 3, new.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.punctual = Partner.create({"name": "Punctual Ltd", "is_company": True})
        cls.slow = Partner.create({"name": "Slow Ltd", "is_company": True})
        cls.new = Partner.create({"name": "New Ltd", "is_company": True})
        cls.Behaviour = cls.env["account.dunning.behaviour"]
        for amount, due, paid in (
            (1000, "2025-09-30", "2025-09-30"),
            (1000, "2025-12-31", "2025-12-20"),
            (2000, "2026-02-28", "2026-03-02"),
            (1000, "2026-05-31", "2026-05-31"),
            (1000, "2026-06-15", "2026-06-10"),
        ):
            cls._paid_invoice(cls.punctual, amount, due, paid)
        cls._paid_invoice(cls.slow, 1000, "2025-03-31", "2025-05-31")
        cls._paid_invoice(cls.slow, 1000, "2025-08-31", "2025-09-10")
        s2 = cls._create_dunning_invoice(cls.slow, 3000, "2025-11-30", invoice_date="2025-11-01")
        refund = cls._create_dunning_invoice(
            cls.slow, 1000, "2025-12-05", move_type="out_refund", invoice_date="2025-12-05"
        )
        (s2 | refund).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        cls._pay(s2, 2000, "2025-12-20")
        s3 = cls._create_dunning_invoice(cls.slow, 1000, "2026-04-30", invoice_date="2026-04-01")
        s4 = cls._create_dunning_invoice(cls.slow, 1000, "2026-05-15", invoice_date="2026-04-15")
        cls._seed_slow_collection(s3, s4)
        cls._pay(s3, 1000, "2026-06-09")
        cls._pay(s4, 1000, "2026-06-24")
        cls._paid_invoice(cls.new, 1000, "2026-04-30", "2026-05-30")
        cls._paid_invoice(cls.new, 1000, "2026-05-31", "2026-06-30")
        # Open: not counted.
        cls._create_dunning_invoice(cls.new, 500, "2026-06-01")

    @classmethod
    def _paid_invoice(cls, partner, amount, due, paid):
        invoice = cls._create_dunning_invoice(partner, amount, due, invoice_date=due)
        cls._pay(invoice, amount, paid)
        return invoice

    @classmethod
    def _seed_slow_collection(cls, s3, s4):
        """Notices, promises and a dispute of the slow customer, while S3 and S4
        are still open."""
        Notice = cls.env["account.dunning.notice"].sudo()
        for level, moves in ((cls.level_friendly, s3 | s4), (cls.level_call, s3)):
            Notice.create(
                {
                    "partner_id": cls.slow.id,
                    "company_id": cls.company.id,
                    "currency_id": cls.company.currency_id.id,
                    "level_id": level.id,
                    "date": "2026-05-20",
                    "line_ids": [
                        Command.create({"move_id": move.id, "level_id": level.id, "dunned": True})
                        for move in moves
                    ],
                }
            )
        su = cls.env(su=True)
        # What the run would conclude on their date: written as the server does.
        cls._promise(s3, 1000, "2026-05-25").with_env(su).state = "broken"
        cls._promise(s4, 1000, "2026-06-24").with_env(su).state = "kept"
        cls._dispute(s3, 200, date="2026-05-10")

    def _planned(self, on_date):
        """{invoice id: level id} of what a run on `on_date` moves, and {invoice id:
        skip reason}, as the run's preview reads them (nothing written)."""
        plan = self.env["account.dunning.run"]._prepare_dunning_plan(self.company, on_date)
        levels = {row["move_id"]: row["level_id"] for row in plan["dunnings"]}
        return levels, {move_id: reason for _partner, move_id, reason in plan["skips"]}

    def test_the_ladder_adapts_to_the_risk_class_when_the_policy_asks(self):
        """Off by default. Asked: the slow (high-risk) customer's invoice 8 days
        late goes straight to the call instead of the friendly reminder, and the
        punctual (low-risk) customer gets no reminder 7 days before the due date;
        the new customer still does."""
        self._refresh()
        late = self._create_dunning_invoice(self.slow, 400, "2026-06-22")
        soon_low = self._create_dunning_invoice(self.punctual, 300, "2026-07-07")
        soon_new = self._create_dunning_invoice(self.new, 200, "2026-07-07")
        levels, _skips = self._planned(REFRESH)
        self.assertEqual(levels[late.id], self.level_friendly.id)
        self.assertEqual(levels[soon_low.id], self.level_pre_due.id)
        self.policy.write(
            {"risk_high_start_level_id": self.level_call.id, "risk_low_skip_pre_due": True}
        )
        levels, skips = self._planned(REFRESH)
        self.assertEqual(levels[late.id], self.level_call.id)
        self.assertNotIn(soon_low.id, levels)
        self.assertEqual(skips[soon_low.id], "low_risk")
        self.assertEqual(levels[soon_new.id], self.level_pre_due.id)
        # The run's preview says why the punctual customer gets nothing.
        wizard = self.env["account.dunning.run.wizard"].create(
            {"company_id": self.company.id, "date": REFRESH}
        )
        wizard.action_preview()
        self.assertIn("Low risk: no reminder before the due date", wizard.skip_summary)
        call_line = wizard.line_ids.filtered(lambda line: line.partner_id == self.slow)
        self.assertEqual(call_line.level_id, self.level_call)

    def _row(self, partner, company=None):
        return self.Behaviour.search(
            [("partner_id", "=", partner.id), ("company_id", "=", (company or self.company).id)]
        )

    def _refresh(self):
        self.Behaviour._refresh(self.company, REFRESH)

    def test_figures_of_a_punctual_customer(self):
        self._refresh()
        row = self._row(self.punctual)
        self.assertRecordValues(
            row,
            [
                {
                    "invoice_paid_count": 5,
                    "late_count": 1,
                    "late_share": 20.0,
                    "days_late_median": 0.0,
                    "days_late_max": 2,
                    "days_late_recent": 0.0,
                    "days_late_before": 1.0,
                    "trend": "stable",
                    "notices_per_invoice": 0.0,
                    "promise_broken_count": 0,
                    "dispute_count": 0,
                    "risk": "low",
                }
            ],
        )
        self.assertAlmostEqual(row.days_late_avg, 4000 / 6000, places=4)
        self.assertEqual(row.risk_reason, "paid 1 of 5 invoices late, 1 days on average")

    def test_figures_of_a_slow_customer(self):
        self._refresh()
        row = self._row(self.slow)
        self.assertRecordValues(
            row,
            [
                {
                    "invoice_paid_count": 4,
                    "late_count": 4,
                    "late_share": 100.0,
                    "days_late_avg": 25.0,
                    "days_late_median": 30.0,
                    "days_late_max": 40,
                    "days_late_recent": 40.0,
                    "days_late_before": 17.5,
                    "trend": "worse",
                    "notice_count": 3,
                    "notices_per_invoice": 0.75,
                    "promise_kept_count": 1,
                    "promise_broken_count": 1,
                    "dispute_count": 1,
                    "dispute_amount": 200.0,
                    "dispute_accepted_count": 0,
                    "risk": "high",
                }
            ],
        )
        self.assertEqual(
            row.risk_reason,
            "paid 4 of 4 invoices late, 25 days on average, getting worse; 1 promises broken",
        )
        self.assertEqual(self.slow.with_company(self.company).dunning_risk, "high")
        self.assertEqual(self.slow.with_company(self.company).dunning_days_late_avg, 25.0)

    def test_the_chart_shows_days_late_per_month(self):
        self._refresh()
        action = self._row(self.slow).action_open_days_late_chart()
        self.assertEqual(action["res_model"], "account.dunning.behaviour.invoice")
        groups = self.env[action["res_model"]]._read_group(
            [*action["domain"], ("date_paid", ">", "2025-06-30")],
            groupby=["date_paid:month"],
            aggregates=["days_late:avg"],
        )
        self.assertEqual(
            [(month.strftime("%Y-%m"), days) for month, days in groups],
            [("2025-09", 10), ("2025-12", 20), ("2026-06", 40)],
        )

    def test_a_customer_with_too_few_invoices_is_new(self):
        self._refresh()
        row = self._row(self.new)
        self.assertRecordValues(
            row, [{"invoice_paid_count": 2, "days_late_avg": 30.0, "risk": "new", "trend": False}]
        )
        self.assertEqual(
            row.risk_reason, "2 invoices paid in 12 months: too few to judge (3 needed)"
        )
        # A customer without any row is new too, and found as such.
        nobody = self.env["res.partner"].create({"name": "Nobody", "is_company": True})
        Partner = self.env["res.partner"].with_company(self.company)
        self.assertEqual(nobody.with_company(self.company).dunning_risk, "new")
        new_ones = Partner.search([("dunning_risk", "=", "new")])
        self.assertIn(self.new, new_ones)
        self.assertIn(nobody, new_ones)
        self.assertNotIn(self.slow, new_ones)
        self.assertEqual(Partner.search([("dunning_risk", "in", ["high"])]), self.slow)
        late = Partner.search([("dunning_days_late_avg", ">=", 20)])
        self.assertIn(self.slow, late)
        self.assertNotIn(self.punctual, late)

    def test_refreshing_twice_gives_the_same_rows(self):
        fields = ["partner_id", "invoice_paid_count", "days_late_avg", "days_late_median", "risk"]
        self._refresh()
        first = self.Behaviour.search([("company_id", "=", self.company.id)]).read(fields)
        self._refresh()
        second = self.Behaviour.search([("company_id", "=", self.company.id)]).read(fields)
        self.assertEqual(first, second)
        self.assertEqual(len(second), len({row["partner_id"] for row in second}))

    def test_the_cron_refreshes_on_its_day_and_payments_trigger_it(self):
        cron = self.env.ref("account_dunning.ir_cron_dunning_refresh_behaviour")
        with freeze_time(REFRESH):
            cron.method_direct_trigger()
        self.assertEqual(self._row(self.slow).risk, "high")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self._paid_invoice(self.punctual, 100, "2026-06-20", "2026-06-20")
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )

    def test_the_run_refreshes_the_behaviour(self):
        self._run_dunning(REFRESH)
        self.assertEqual(self._row(self.slow).risk, "high")

    def test_rows_are_read_only_and_per_company(self):
        self._refresh()
        other = self.setup_other_company()["company"]
        self.Behaviour._refresh(other, REFRESH)
        accountant_b = self._create_user("acc_b", "account.group_account_invoice", company=other)
        row = self._row(self.slow)
        self.assertFalse(self.Behaviour.with_user(accountant_b).search([]) & row)
        with self.assertRaises(AccessError):
            row.with_user(accountant_b).read(["risk"])
        with self.assertRaises(AccessError):
            row.with_user(self.salesperson).write({"risk": "low"})
        with self.assertRaises(AccessError):
            row.with_user(self.salesperson).read(["risk"])
        # Sellers see the class on the customer, and the quotation.
        self.assertEqual(
            self.slow.with_user(self.salesperson).with_company(self.company).dunning_risk, "high"
        )

    def test_worklist_shows_the_risk_and_the_expected_loss(self):
        self._refresh()
        self._create_dunning_invoice(self.slow, 1000, "2026-06-01")
        with freeze_time(REFRESH):
            row = self.env["account.dunning.worklist"].search([("partner_id", "=", self.slow.id)])
        self.assertRecordValues(row, [{"risk": "high", "expected_loss": 300.0}])
        self.assertTrue(self.env["account.dunning.worklist"].search([("risk", "=", "high")]))

    def test_deposit_by_risk_class(self):
        self._refresh()
        self.Rule.create(
            {"name": "Risky payers", "sequence": 1, "min_dunning_risk": "medium", "percent": 50}
        )
        slow_order = self._create_quotation(self.slow)
        punctual_order = self._create_quotation(self.punctual)
        new_order = self._create_quotation(self.new)
        self.assertEqual(slow_order.deposit_required_amount, 500.0)
        self.assertEqual(slow_order.deposit_dunning_risk, "high")
        self.assertEqual(punctual_order.deposit_required_amount, 0.0)
        self.assertEqual(punctual_order.deposit_dunning_risk, "low")
        # "New" is its own class, not below low.
        self.assertEqual(new_order.deposit_required_amount, 0.0)

    def test_deposit_by_average_days_late(self):
        self._refresh()
        self.Rule.create(
            {"name": "Late payers", "sequence": 1, "min_days_late_avg": 20, "percent": 40}
        )
        self.assertEqual(self._create_quotation(self.slow).deposit_required_amount, 400.0)
        self.assertEqual(self._create_quotation(self.punctual).deposit_required_amount, 0.0)


@tagged("post_install", "-at_install")
class TestPaymentBehaviourUi(HttpCase):
    """The risk shows on the customer, its days-late chart opens, the worklist and
    the quotation show the class: in a real browser, without errors."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Late Browser Ltd", "is_company": True}
        )
        today = fields.Date.today()
        for weeks in (2, 6, 10):
            due = fields.Date.subtract(today, weeks=weeks, days=45)
            invoice = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "company_id": cls.company.id,
                    "partner_id": cls.customer.id,
                    "invoice_date": due,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create({"name": "Work", "quantity": 1, "price_unit": 100.0})
                    ],
                }
            )
            invoice.action_post()
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": fields.Date.subtract(today, weeks=weeks)})._create_payments()
        cls.env["account.dunning.behaviour"]._refresh(cls.company, today)
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.env["product.product"]
                            .create({"name": "Fitting", "type": "service"})
                            .id,
                            "price_unit": 50.0,
                        }
                    )
                ],
            }
        )

    def _check(self, url, steps):
        self.browser_js(url, SCRIPT % {"steps": json.dumps(steps)}, login="admin", timeout=90)

    def test_the_customer_shows_its_risk_and_chart(self):
        self.assertEqual(self.customer.with_company(self.company).dunning_risk, "high")
        self._check(
            f"/odoo/res.partner/{self.customer.id}",
            [
                ("click", ".o_notebook a[name='dunning']"),
                ("wait", ".o_field_widget[name='dunning_risk'] .badge"),
                ("click", "button[name='action_dunning_days_late_chart']"),
                ("wait", ".o_graph_renderer canvas"),
            ],
        )

    def test_the_quotation_shows_the_risk(self):
        self._check(
            f"/odoo/sale.order/{self.order.id}",
            [("wait", ".o_field_widget[name='deposit_dunning_risk'] .badge")],
        )
