from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestWorklist(DunningTestCommon):
    """The worklist's figures against a ledger aged by hand on 2026-06-30."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("worklist_collector")
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls.other = cls.env["res.partner"].create({"name": "Harbour Bakery", "is_company": True})
        cls.Worklist = cls.env["account.dunning.worklist"]

    def _invoice(self, amount, due, partner=None, **values):
        return self._create_dunning_invoice(
            partner or self.customer, amount, due, invoice_date=date(2026, 1, 1), **values
        )

    def _row(self, partner=None, currency=None):
        return self.Worklist.search(
            [
                ("partner_id", "=", (partner or self.customer).id),
                ("currency_id", "=", (currency or self.company.currency_id).id),
            ]
        )

    def test_aging_of_a_seeded_ledger(self):
        self._invoice(100.0, "2026-07-05")  # not due
        self._invoice(50.0, "2026-06-30")  # due today: not overdue
        friendly = self._invoice(200.0, "2026-06-20")  # 10 days
        partly = self._invoice(400.0, "2026-05-16")  # 45 days, 150 paid
        self._pay(partly, 150.0, "2026-06-01")
        disputed = self._invoice(800.0, "2026-04-16")  # 75 days
        disputed.write({"dunning_blocked": True, "dunning_block_reason": "Damaged goods"})
        oldest = self._invoice(1600.0, "2026-02-28")  # 122 days
        paid = self._invoice(1000.0, "2026-03-01")
        self._pay(paid, 1000.0, "2026-03-01")
        self._invoice(9999.0, "2026-03-01", post=False)
        friendly.dunning_level_id = self.level_friendly
        self._promise(friendly, 120.0, "2026-07-10")
        self._promise(partly, 50.0, "2026-06-01").action_cancel()  # cancelled: not a promise
        self._dispute(partly, 100.0)  # only part of the invoice is held
        oldest.dunning_level_id = self.level_call
        self._invoice(300.0, "2026-06-10", currency_id=self.eur.id)
        self._invoice(500.0, "2026-06-01", partner=self.other)

        row = self._row()
        self.assertRecordValues(
            row,
            [
                {
                    "company_id": self.company.id,
                    "user_id": self.collector.id,
                    "level_id": self.level_call.id,
                    "invoice_count": 6,
                    "amount_open": 3000.0,
                    "amount_overdue": 2850.0,
                    "amount_not_due": 150.0,
                    "amount_1_30": 200.0,
                    "amount_31_60": 250.0,
                    "amount_61_90": 800.0,
                    "amount_90_plus": 1600.0,
                    "amount_disputed": 900.0,
                    "days_overdue": 122,
                    "promise_date": date(2026, 7, 10),
                    "promise_amount": 120.0,
                    "promise_broken": False,
                    # The oldest invoice, at the call level since its due date on
                    # 28 February, is due for the second notice (30 days).
                    "level_date": date(2026, 3, 30),
                    "next_action": "level",
                    "next_action_date": date(2026, 3, 30),
                    "credit_hold": False,
                }
            ],
        )
        self.assertRecordValues(
            self._row(currency=self.eur), [{"amount_open": 300.0, "amount_1_30": 300.0}]
        )
        self.assertRecordValues(
            self._row(self.other), [{"user_id": False, "amount_1_30": 500.0, "level_id": False}]
        )
        # The collector's filters.
        mine = self.Worklist.with_user(self.collector).search([("user_id", "=", self.collector.id)])
        self.assertEqual(mine.partner_id, self.customer)
        disputed_rows = self.Worklist.search([("amount_disputed", ">", 0)])
        self.assertEqual(disputed_rows, row)
        self.customer.dunning_credit_hold = True
        on_hold = self.Worklist.search([("credit_hold", "=", True)])
        self.assertEqual(on_hold, row | self._row(currency=self.eur), "both of its currencies")
        # The manager's aging by collector, as the pivot reads it.
        groups = self.Worklist._read_group(
            [("currency_id", "=", self.company.currency_id.id)],
            ["user_id"],
            ["amount_90_plus:sum", "amount_1_30:sum"],
        )
        self.assertEqual(
            sorted((user.id, old, recent) for user, old, recent in groups),
            sorted([(self.collector.id, 1600.0, 200.0), (False, 0.0, 500.0)]),
        )
        # Opening a row shows the customer's open items in its currency.
        action = row.action_open_items()
        items = self.env["account.move"].search(action["domain"])
        self.assertEqual(len(items), 6)
        self.assertEqual(sum(items.mapped("amount_residual")), 3000.0)

    def test_the_next_call_and_the_last_contact_come_from_the_run(self):
        self._invoice(1200.0, DUE)
        self._run_dunning(day(7))
        with freeze_time(day(14)):
            run = self._run_dunning(day(14))
            call = run.notice_ids.activity_id
            self.assertTrue(call)
            self.assertRecordValues(
                self._row(), [{"call_date": day(14), "last_contact_date": day(14)}]
            )
            with self.assertRaises(UserError, msg="a call is done with its outcome"):
                call.with_user(self.collector).action_done()
            wizard = self.env["account.dunning.call.outcome"].with_user(self.collector)
            action = self._row().with_user(self.collector).action_log_call()
            self.assertEqual(action["context"]["default_activity_id"], call.id)
            outcome = wizard.with_context(**action["context"]).create({"outcome": "reached"})
            outcome.action_done()
            self.assertFalse(call.exists())
            self.assertFalse(self._row().call_date, "a call done is no longer due")

    def test_a_row_says_why_it_stands_out_and_opens_its_customer(self):
        self._invoice(1200.0, DUE)
        self.customer.write({"dunning_credit_hold": True, "phone": "+1 555 0199"})
        with freeze_time(day(14)):
            self._run_dunning(day(7))
            row = self._row().with_user(self.collector)
            self.assertEqual(row.attention, "Credit hold")
            action = row.action_open_customer()
            self.assertEqual(
                (action["res_model"], action["res_id"]), ("res.partner", self.customer.id)
            )
            self.assertEqual(
                action["views"],
                [(self.env.ref("account_dunning.res_partner_view_form_dunning").id, "form")],
            )
            # Log Call says whom to call and what is owed.
            log_call = row.action_log_call()
            wizard = (
                self.env["account.dunning.call.outcome"]
                .with_user(self.collector)
                .with_context(**log_call["context"])
                .create({"outcome": "reached"})
            )
            self.assertEqual((wizard.phone, wizard.amount_overdue), ("+1 555 0199", 1200.0))

    def test_only_accounting_users_read_it(self):
        self._invoice(100.0, "2026-06-01")
        salesperson = self._create_user("worklist_seller", "sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            self.Worklist.with_user(salesperson).search([]).read(["amount_open"])
        self.assertTrue(self.Worklist.with_user(self.collector).search([]))

    def test_a_page_evaluates_the_view_once(self):
        # Found again by id, a row costs a whole evaluation of the view: what the
        # list reads after its search (the multi-company rule's company_id first)
        # comes with the search.
        self._invoice(100.0, "2026-06-01")
        self._invoice(500.0, "2026-06-01", partner=self.other)
        rows = self.Worklist.with_user(self.collector).search([("amount_overdue", ">", 0)])
        self.assertEqual(len(rows), 2)
        stored = [name for name, field in self.Worklist._fields.items() if field.store]
        with self.assertQueryCount(0):
            rows.fetch(stored)
            self.assertEqual(sorted(rows.mapped("amount_overdue")), [100.0, 500.0])
