from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import DunningTestCommon

# A Monday: the forecast's weeks start on 2 March, 9 March, 16 March...
TODAY = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestCollectionAnalysis(DunningTestCommon):
    """A seeded ledger on Monday 2 March 2026 whose forecast and snapshot figures
    are worked out by hand in the comments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.other_currency = cls.setup_other_currency("EUR")
        # Through the settings, as an accountant sets it.
        cls.env["res.config.settings"].create({"dunning_new_customer_delay": 10}).execute()
        cls.newcomer = Partner.create({"name": "Newcomer Ltd", "is_company": True})
        cls.slow = Partner.create({"name": "Slow Payer Ltd", "is_company": True})
        cls.promiser = Partner.create({"name": "Promiser Ltd", "is_company": True})
        cls.planner = Partner.create(
            {"name": "Planner Ltd", "is_company": True, "email": "ap@planner.example.com"}
        )
        # su: the behaviour is read-only for users; its refresh is another helper's.
        Behaviour = cls.env["account.dunning.behaviour"].sudo()
        Behaviour.create(
            {
                "company_id": cls.company.id,
                "partner_id": cls.slow.id,
                "days_late_avg": 12.4,
                "risk": "high",
            }
        )
        Behaviour.create(
            {
                "company_id": cls.company.id,
                "partner_id": cls.promiser.id,
                "days_late_avg": 3.0,
                "risk": "low",
            }
        )
        with freeze_time(TODAY):
            # Default (new customer, +10 days): due 10 Mar -> 20 Mar, week of 16 Mar.
            cls.inv_new = cls._create_dunning_invoice(cls.newcomer, 1000.0, "2026-03-10")
            # 400.00 due 20 Apr, 150.00 paid on 25 Feb: 250.00 expected 30 Apr.
            cls.inv_new_partial = cls._create_dunning_invoice(
                cls.newcomer, 400.0, "2026-04-20", invoice_date=date(2026, 2, 20)
            )
            cls._pay(cls.inv_new_partial, 150.0, date(2026, 2, 25))
            # Beyond 13 weeks: due 1 Jul -> 11 Jul.
            cls.inv_far = cls._create_dunning_invoice(
                cls.newcomer, 100.0, "2026-07-01", invoice_date=TODAY
            )
            # History (12.4 days late, rounded to 12): due 5 Mar -> 17 Mar.
            cls.inv_slow = cls._create_dunning_invoice(cls.slow, 2000.0, "2026-03-05")
            # History, already late: due 31 Jan -> 12 Feb, so today at the earliest.
            cls.inv_slow_old = cls._create_dunning_invoice(cls.slow, 500.0, "2026-01-31")
            # History in EUR (2 EUR for 1 USD): 600.00 EUR = 300.00 USD, due 9 Mar -> 21 Mar.
            cls.inv_slow_eur = cls._create_dunning_invoice(
                cls.slow, 600.0, "2026-03-09", currency_id=cls.other_currency.id
            )
            # Paid in full on 10 Feb (week of 9 Feb): 800.00 collected.
            cls.inv_slow_paid = cls._create_dunning_invoice(cls.slow, 800.0, "2026-02-01")
            cls._pay(cls.inv_slow_paid, 800.0, date(2026, 2, 10))
            # Paid before the 13 weeks (since 1 Dec 2025): not shown.
            cls.inv_slow_older = cls._create_dunning_invoice(cls.slow, 300.0, "2025-10-01")
            cls._pay(cls.inv_slow_older, 300.0, date(2025, 10, 15))
            # Promise (before the 3 days of its history): due 15 Feb, promised 12 Mar.
            cls.inv_promised = cls._create_dunning_invoice(cls.promiser, 700.0, "2026-02-15")
            cls._promise(cls.inv_promised, 700.0, date(2026, 3, 12))
            # Plan: 900.00 due 31 Jan, 3 installments of 300.00 from 11 Mar.
            cls.inv_plan = cls._create_dunning_invoice(cls.planner, 900.0, "2026-01-31")
            cls.plan = cls.env["account.dunning.payment.plan"].create(
                {
                    "partner_id": cls.planner.id,
                    "move_ids": [(6, 0, cls.inv_plan.ids)],
                    "installment_count": 3,
                    "first_date": date(2026, 3, 11),
                }
            )
            cls.plan.action_propose()
            cls.plan.action_accept()

    def _forecast(self, domain=(), user=None):
        Forecast = self.env["account.dunning.forecast"]
        if user:
            Forecast = Forecast.with_user(user)
        return Forecast.search([("company_id", "=", self.company.id), *domain])

    # ------------------------------------------------------------
    # Cash-in forecast
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_expected_date_per_source(self):
        self.assertEqual(self.plan.state, "active")
        rows = {row.move_id: row for row in self._forecast([("kind", "=", "forecast")])}
        expected = {
            self.inv_plan: (date(2026, 3, 11), "plan", "new", 900.0, 900.0),
            self.inv_promised: (date(2026, 3, 12), "promise", "low", 700.0, 700.0),
            self.inv_slow: (date(2026, 3, 17), "history", "high", 2000.0, 2000.0),
            self.inv_slow_old: (TODAY, "history", "high", 500.0, 500.0),
            self.inv_slow_eur: (date(2026, 3, 21), "history", "high", 300.0, 600.0),
            self.inv_new: (date(2026, 3, 20), "default", "new", 1000.0, 1000.0),
            self.inv_new_partial: (date(2026, 4, 30), "default", "new", 250.0, 250.0),
            self.inv_far: (date(2026, 7, 11), "default", "new", 100.0, 100.0),
        }
        self.assertEqual(set(rows), set(expected))
        for move, (expected_date, source, risk, amount, amount_currency) in expected.items():
            row = rows[move]
            self.assertEqual(
                (row.date, row.source, row.risk, row.amount, row.amount_currency),
                (expected_date, source, risk, amount, amount_currency),
                move.partner_id.name,
            )
        self.assertEqual(rows[self.inv_slow].week, date(2026, 3, 16))
        self.assertEqual(rows[self.inv_slow_eur].currency_id, self.other_currency)

    @freeze_time(TODAY)
    def test_forecast_by_week(self):
        # The action's "Next 13 Weeks" filter: before 1 June.
        groups = self.env["account.dunning.forecast"]._read_group(
            [
                ("company_id", "=", self.company.id),
                ("kind", "=", "forecast"),
                ("date", "<", "2026-06-01"),
            ],
            ["week:day", "risk"],
            ["amount:sum"],
        )
        by_week = {(week, risk): amount for week, risk, amount in groups}
        self.assertEqual(
            by_week,
            {
                # 500.00 late of the slow payer, expected today.
                (date(2026, 3, 2), "high"): 500.0,
                # The plan's installment (900.00) and the promise (700.00).
                (date(2026, 3, 9), "new"): 900.0,
                (date(2026, 3, 9), "low"): 700.0,
                # 2,000.00 + 300.00 (600.00 EUR) of the slow payer; 1,000.00 of the newcomer.
                (date(2026, 3, 16), "high"): 2300.0,
                (date(2026, 3, 16), "new"): 1000.0,
                (date(2026, 4, 27), "new"): 250.0,
            },
        )

    @freeze_time(TODAY)
    def test_collected_past_weeks(self):
        rows = self._forecast([("kind", "=", "collected")])
        self.assertEqual(
            {(row.move_id, row.week, row.amount, row.risk) for row in rows},
            {
                (self.inv_slow_paid, date(2026, 2, 9), 800.0, "high"),
                (self.inv_new_partial, date(2026, 2, 23), 150.0, "new"),
            },
        )

    # ------------------------------------------------------------
    # Daily snapshot
    # ------------------------------------------------------------

    def test_snapshot_once_a_day(self):
        cron = self.env.ref("account_dunning.ir_cron_dunning_take_snapshot")
        Snapshot = self.env["account.dunning.snapshot"]
        with freeze_time(TODAY):
            cron.method_direct_trigger()
            usd = Snapshot.search(
                [
                    ("company_id", "=", self.company.id),
                    ("currency_id", "=", self.company.currency_id.id),
                ]
            )
            self.assertEqual(len(usd), 1)
            # Not due: 1,000 + 250 + 100 + 2,000; 1-30 days: 500 (30 days), 700 (15), 900 (30).
            self.assertRecordValues(
                usd,
                [
                    {
                        "date": TODAY,
                        "invoice_count": 7,
                        "amount_open": 5450.0,
                        "amount_not_due": 3350.0,
                        "amount_1_30": 2100.0,
                        "amount_31_60": 0.0,
                        "amount_overdue": 2100.0,
                        "amount_promised": 700.0,
                        "amount_in_plan": 900.0,
                        "amount_disputed": 0.0,
                    }
                ],
            )
            # A payment, then the cron again the same day: the day keeps its snapshot.
            self._pay(self.inv_new, 1000.0, TODAY)
            cron.method_direct_trigger()
            usd.invalidate_recordset()
            snapshots = Snapshot.search(
                [("company_id", "=", self.company.id), ("date", "=", TODAY)]
            )
            self.assertEqual(len(snapshots), 2)  # USD and EUR
            self.assertEqual(usd.amount_open, 5450.0)
        with freeze_time(date(2026, 3, 3)):
            cron.method_direct_trigger()
            tomorrow = Snapshot.search(
                [
                    ("company_id", "=", self.company.id),
                    ("currency_id", "=", self.company.currency_id.id),
                    ("date", "=", date(2026, 3, 3)),
                ]
            )
            self.assertEqual(tomorrow.amount_open, 4450.0)

    # ------------------------------------------------------------
    # Multi-company
    # ------------------------------------------------------------

    @freeze_time(TODAY)
    def test_other_company_sees_none(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        customer_b = self.env["res.partner"].create({"name": "B Customer", "is_company": True})
        self._create_dunning_invoice(customer_b, 50.0, "2026-03-20", company=company_b)
        self.env.ref("account_dunning.ir_cron_dunning_take_snapshot").method_direct_trigger()
        user_b = self._create_user(
            "analysis_b", "account_dunning.group_dunning_user", company=company_b
        )
        for model in ("account.dunning.forecast", "account.dunning.snapshot"):
            rows = self.env[model].with_user(user_b).search([])
            self.assertTrue(rows, model)
            self.assertEqual(rows.company_id, company_b, model)
            # The user's own company only, even when asked for company A's rows.
            self.assertFalse(
                self.env[model].with_user(user_b).search([("company_id", "=", self.company.id)])
            )
        # Read-only: the snapshots are the cron's alone.
        snapshot = self.env["account.dunning.snapshot"].with_user(user_b).search([], limit=1)
        with self.assertRaises(AccessError):
            snapshot.write({"amount_open": 0.0})
        with self.assertRaises(AccessError):
            snapshot.unlink()


@tagged("post_install", "-at_install")
class TestCollectionFigures(DunningTestCommon):
    """February 2026 (28 days) of one customer, worked out by hand:

    - 1,000.00 invoiced 10 Jan, due 31 Jan, paid 10 Feb: the beginning AR, 1,000.00;
    - 3,000.00 invoiced 5 Feb, due 20 Feb, 1,800.00 paid 25 Feb: 1,200.00 overdue at
      the end of the month;
    - 2,000.00 invoiced 20 Feb, due 20 Mar, 500.00 paid 27 Feb, 1,500.00 paid 7 Mar:
      1,500.00 current (not yet due) at the end of February;
    - credit sales 3,000 + 2,000 = 5,000.00; ending AR 1,000 + 5,000 - 1,000 - 1,800
      - 500 = 2,700.00; ending current AR 1,500.00;
    - DSO = 2,700 / 5,000 * 28 = 15.12; best possible DSO = 1,500 / 5,000 * 28 = 8.4;
      ADD = 15.12 - 8.4 = 6.72; CEI = (1,000 + 5,000 - 2,700) / (1,000 + 5,000 - 1,500)
      * 100 = 3,300 / 4,500 * 100 = 73.33.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("figures_collector")
        with freeze_time("2026-02-03"):
            cls.inv_jan = cls._create_dunning_invoice(
                cls.customer, 1000.0, "2026-01-31", invoice_date=date(2026, 1, 10)
            )
            cls.inv_feb = cls._create_dunning_invoice(
                cls.customer, 3000.0, "2026-02-20", invoice_date=date(2026, 2, 5)
            )
            cls.inv_late_feb = cls._create_dunning_invoice(
                cls.customer, 2000.0, "2026-03-20", invoice_date=date(2026, 2, 20)
            )
            # Kept (paid in full on 10 Feb) and partly kept (1,800.00 of 3,000.00).
            cls.promise_kept = cls._promise(
                cls.inv_jan, 1000.0, date(2026, 2, 10), user_id=cls.collector.id
            )
            cls.promise_partial = cls._promise(
                cls.inv_feb, 3000.0, date(2026, 2, 22), user_id=cls.collector.id
            )
        cls._pay(cls.inv_jan, 1000.0, date(2026, 2, 10))
        cls._pay(cls.inv_feb, 1800.0, date(2026, 2, 25))
        cls._pay(cls.inv_late_feb, 500.0, date(2026, 2, 27))
        cls._pay(cls.inv_late_feb, 1500.0, date(2026, 3, 7))
        with freeze_time("2026-03-02"):
            cls.env.ref("account_dunning.ir_cron_dunning_check_promises").method_direct_trigger()
        # su: the collection history is written by the server alone.
        Event = cls.env["account.dunning.event"].sudo()
        for when in ("2026-02-08 10:00:00", "2026-02-20 10:00:00"):
            Event.create(
                {
                    "company_id": cls.company.id,
                    "partner_id": cls.customer.id,
                    "kind": "call",
                    "summary": "Call",
                    "user_id": cls.collector.id,
                    "date": when,
                }
            )

    @freeze_time("2026-03-10")
    def test_february_figures(self):
        self.assertEqual((self.promise_kept.state, self.promise_partial.state), ("kept", "partial"))
        figure = self.env["account.dunning.collection.figure"].search(
            [("company_id", "=", self.company.id), ("date", "=", "2026-02-01")]
        )
        self.assertRecordValues(
            figure,
            [
                {
                    "days": 28,
                    "ar_begin": 1000.0,
                    "credit_sales": 5000.0,
                    "ar_end": 2700.0,
                    "ar_current_end": 1500.0,
                    "promise_settled_count": 2,
                    "promise_kept_count": 1,
                }
            ],
        )
        self.assertAlmostEqual(figure.dso, 15.12, places=2)
        self.assertAlmostEqual(figure.best_dso, 8.4, places=2)
        self.assertAlmostEqual(figure.add, 6.72, places=2)
        self.assertAlmostEqual(figure.cei, 73.33, places=2)
        self.assertAlmostEqual(figure.promise_kept_rate, 50.0, places=2)

    @freeze_time("2026-03-10")
    def test_collector_figures(self):
        rows = self.env["account.dunning.collector.figure"].search(
            [("company_id", "=", self.company.id), ("user_id", "=", self.collector.id)]
        )
        by_month = {row.date: row for row in rows}
        february = by_month[date(2026, 2, 1)]
        # Calls on 8 and 20 Feb; paid within 14 days after one: 1,000 (10 Feb),
        # 1,800 (25 Feb) and 500 (27 Feb). The 1,500.00 of 7 Mar came 15 days after.
        self.assertEqual(february.call_count, 2)
        self.assertEqual(february.amount_collected, 3300.0)
        self.assertNotIn(date(2026, 3, 1), by_month)
        # Both promises were taken when the records were created: same month, one kept.
        taken = by_month[self.promise_kept.create_date.date().replace(day=1)]
        self.assertEqual((taken.promise_count, taken.promise_kept_count), (2, 1))
