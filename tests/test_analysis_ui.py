from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

# The module, not its class: a class imported here would run here too.
from . import test_ui

# The customers of the charts: name, risk class and how they paid over 12 months
# (invoices paid, paid late, share late, average, median and worst days late,
# trend); no history for the new one.
CUSTOMERS = [
    ("Harbour Cafés", "low", (14, 1, 7.1, 2.0, 0.0, 9, "stable")),
    ("Northwind Builders", "medium", (12, 4, 33.3, 9.0, 6.0, 21, "stable")),
    ("Quarry & Sons", "high", (10, 7, 70.0, 24.0, 22.0, 41, "worse")),
    ("Fresh Start Ltd", "new", None),
]
FIGURES = [
    "invoice_paid_count",
    "late_count",
    "late_share",
    "days_late_avg",
    "days_late_median",
    "days_late_max",
    "trend",
]
WEEKS = 13
# A snapshot a day over the past 8 weeks.
SNAPSHOT_DAYS = 56


@tagged("post_install", "-at_install")
class TestAnalysisCharts(HttpCase):
    """The cash-in forecast and the receivables trend drawn in a real browser, from a
    ledger seeded over the past and coming 13 weeks (`make screenshots` keeps them
    for the README)."""

    _check = test_ui.TestDunningUi._check
    _screenshot = test_ui.TestDunningUi._screenshot

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.today = fields.Date.today()
        cls.customers = cls.env["res.partner"]
        policy = cls.env["account.dunning.policy"]._get_risk_policy(cls.company)
        for name, risk, figures in CUSTOMERS:
            customer = cls.env["res.partner"].create({"name": name, "is_company": True})
            cls.customers |= customer
            if figures:
                values = dict(zip(FIGURES, figures, strict=True), promise_broken_count=0)
                # The policy's own rule classes the customer, as the refresh would.
                assert policy._get_dunning_risk(values)[0] == risk, name
                # The behaviour is read-only: its nightly refresh writes it.
                cls.env["account.dunning.behaviour"].sudo().create(
                    {
                        "company_id": cls.company.id,
                        "partner_id": customer.id,
                        "date": cls.today,
                        "risk": risk,
                        **values,
                    }
                )
        cls._set_aside_other_invoices()
        cls._seed_invoices()
        cls._seed_snapshots()

    @classmethod
    def _set_aside_other_invoices(cls):
        """The demo's open invoices are cancelled: the charts show the seeded ledger."""
        Move = cls.env["account.move"]
        others = Move.search(
            [*Move._get_dunning_open_invoice_domain(), ("company_id", "=", cls.company.id)]
        )
        others.button_draft()
        others.button_cancel()

    @classmethod
    def _invoice(cls, customer, amount, due):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": cls.company.id,
                "partner_id": customer.id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Supplies",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    @classmethod
    def _seed_invoices(cls):
        """Each week two customers in turn: one invoice due in the coming weeks,
        one paid in the past weeks (the slower the customer, the later)."""
        for week in range(WEEKS):
            for index in (week % 4, (week + 1) % 4):
                customer = cls.customers[index]
                days_late = int(CUSTOMERS[index][2][3] if CUSTOMERS[index][2] else 0)
                amount = 800.0 + 350.0 * ((week * 7 + index * 3) % 5) + 400.0 * index
                cls._invoice(customer, amount, cls.today + timedelta(weeks=week, days=index))
                paid_on = cls.today - timedelta(weeks=week, days=index + 1)
                paid = cls._invoice(customer, amount * 0.9, paid_on - timedelta(days=days_late))
                cls.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=paid.ids
                ).create({"payment_date": paid_on})._create_payments()

    @classmethod
    def _seed_snapshots(cls):
        """What the nightly cron would have kept: overdue receivables rising through
        each week as invoices fall due, dropping when the week's payments come in, and
        coming down from about 18,000 to 10,000 over the 8 weeks."""
        currency = cls.company.currency_id
        for days_ago in range(SNAPSHOT_DAYS, 0, -1):
            overdue = 9050.0 + 155.0 * days_ago + 250.0 * ((SNAPSHOT_DAYS - days_ago) % 7)
            buckets = [overdue * 0.55, overdue * 0.25, overdue * 0.12, overdue * 0.08]
            # The snapshots are read-only: only the cron writes them.
            cls.env["account.dunning.snapshot"].sudo().create(
                {
                    "date": cls.today - timedelta(days=days_ago),
                    "company_id": cls.company.id,
                    "currency_id": currency.id,
                    "invoice_count": int(overdue / 600),
                    "amount_open": overdue + 14000.0,
                    "amount_not_due": 14000.0,
                    "amount_overdue": overdue,
                    "amount_1_30": buckets[0],
                    "amount_31_60": buckets[1],
                    "amount_61_90": buckets[2],
                    "amount_90_plus": buckets[3],
                }
            )

    def test_forecast_and_trend_charts(self):
        forecast = self.env["account.dunning.forecast"].search(
            [("partner_id", "in", self.customers.ids)]
        )
        self.assertEqual(
            set(forecast.mapped("risk")), {"new", "low", "medium", "high"}, "each class shows"
        )
        self.assertEqual(set(forecast.mapped("kind")), {"forecast", "collected"})
        # Real rows, not the sample data an empty report shows.
        canvas = ".o_graph_view:not(:has(.o_view_sample_data)) canvas"
        self._check(
            "/odoo/action-account_dunning.action_account_dunning_forecast",
            [
                ("wait", ".o_searchview .o_facet_value"),
                ("chart", canvas),
                ("series", canvas, ["New", "Low", "Medium", "High"]),
                ("points", canvas, 20),
            ],
            screenshot="forecast",
        )
        self._check(
            "/odoo/action-account_dunning.action_account_dunning_snapshot",
            [("chart", canvas), ("points", canvas, SNAPSHOT_DAYS)],
            screenshot="receivables-trend",
        )

    def test_customer_risk_badge(self):
        customer = self.customers[2]
        self.assertEqual(customer.with_company(self.company).dunning_risk, "high")
        self._check(
            f"/odoo/res.partner/{customer.id}",
            [
                ("click", ".o_notebook a[name='dunning']"),
                ("wait", "div[name='dunning_risk'] .badge"),
                ("scroll", ".o_notebook a[name='dunning']"),
            ],
            screenshot="customer-risk",
        )
