from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
class TestPaymentPlans(DunningTestCommon):
    """Payment plans: the schedule, payments allocated to it, missed installments
    breaking it, and the ladder around it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("plan_collector")
        cls.Plan = cls.env["account.dunning.payment.plan"]
        # 1,000.00 + 500.00 overdue: 1,500.00 in 3 installments of 500.00.
        cls.invoice_a = cls._create_dunning_invoice(cls.customer, 1000.0, DUE)
        cls.invoice_b = cls._create_dunning_invoice(cls.customer, 500.0, day(10))
        cls.invoices = cls.invoice_a | cls.invoice_b
        cls.policy.write({"plan_break_after_missed": 1, "plan_grace_days": 5})

    def _plan(self, invoices=None, count=3, first=None, user=None, **values):
        invoices = invoices or self.invoices
        plan = self.Plan.with_user(user or self.collector).create(
            {
                "partner_id": invoices[:1].commercial_partner_id.id,
                "move_ids": [Command.set(invoices.ids)],
                "installment_count": count,
                "first_date": first or day(40),
                **values,
            }
        )
        return plan

    def _active_plan(self, **values):
        plan = self._plan(**values)
        with freeze_time(day(30)):
            plan.action_propose()
            plan.action_accept()
        self.assertEqual(plan.state, "active")
        return plan

    # ------------------------------------------------------------
    # The schedule
    # ------------------------------------------------------------

    def test_three_installments_sum_exactly_in_eur_and_jpy(self):
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        jpy = self.setup_other_currency("JPY", rounding=1.0, rates=[("2016-01-01", 150.0)])
        cases = [
            # 700.00 + 300.01 = 1,000.01: 333.33 + 333.33 + 333.35.
            (eur, (700.0, 300.01), [333.33, 333.33, 333.35]),
            # ¥70,000 + ¥30,001 = ¥100,001: 33,333 + 33,333 + 33,335.
            (jpy, (70000.0, 30001.0), [33333.0, 33333.0, 33335.0]),
        ]
        for currency, amounts, expected in cases:
            invoices = self.env["account.move"]
            for amount in amounts:
                invoices |= self._create_dunning_invoice(
                    self.customer, amount, DUE, currency_id=currency.id
                )
            plan = self._plan(invoices)
            self.assertEqual(plan.currency_id, currency)
            self.assertEqual(plan.amount_covered, sum(amounts))
            self.assertEqual(plan.installment_ids.mapped("amount"), expected)
            # Monthly from 12 March: 12 April, 12 May.
            self.assertEqual(plan.installment_ids.mapped("date"), [day(40), day(71), day(101)])
            self.assertFalse(
                currency.compare_amounts(sum(plan.installment_ids.mapped("amount")), sum(amounts))
            )

    def test_a_down_payment_comes_first_and_the_sum_must_match(self):
        with freeze_time(day(30)):
            plan = self._plan(down_payment=300.0, count=4)
        self.assertEqual(plan.installment_ids.mapped("amount"), [300.0] * 5)
        self.assertEqual(plan.installment_ids[0].date, day(30))
        self.assertTrue(plan.installment_ids[0].is_down_payment)
        # An installment edited by hand: the sum no longer matches, nothing is sent.
        plan.installment_ids[-1].amount = 299.99
        with self.assertRaisesRegex(UserError, "must sum to the covered amount"):
            plan.action_propose()
        self.assertEqual(plan.state, "draft")
        with self.assertRaises(ValidationError):
            self._plan(self.invoice_a, down_payment=1000.0)

    def test_proposing_sends_the_agreement_and_fixes_the_terms(self):
        plan = self._plan()
        plan.action_propose()
        self.assertEqual(plan.state, "proposed")
        self.assertTrue(plan.agreement_id)
        message = plan.message_ids.filtered(lambda m: plan.name in (m.subject or ""))
        self.assertEqual(len(message), 1)
        self.assertIn(self.customer, message.partner_ids)
        self.assertEqual(message.attachment_ids, plan.agreement_id)
        self.assertIn(plan.get_portal_url(), message.body)
        with self.assertRaisesRegex(UserError, "Only a draft"):
            plan.installment_count = 6
        with self.assertRaisesRegex(UserError, "not possible now"):
            plan.installment_ids[0].amount = 1.0
        self.assertIn(
            "proposed",
            self.env["account.dunning.event"]
            .search([("plan_id", "=", plan.id)], order="id")
            .mapped("summary")[-1],
        )

    def test_invoices_in_one_plan_at_a_time(self):
        self._plan(self.invoice_a)
        with self.assertRaisesRegex(UserError, "already in payment plan"):
            self._plan(self.invoice_a)

    def test_a_customer_without_email_gets_no_agreement(self):
        self.customer.email = False
        plan = self._plan()
        with self.assertRaisesRegex(UserError, "no email address"):
            plan.action_propose()

    # ------------------------------------------------------------
    # Following the plan
    # ------------------------------------------------------------

    def test_payments_are_allocated_oldest_first_including_a_partial(self):
        plan = self._active_plan()
        self._pay(self.invoice_a, 700.0, day(41))
        self.Plan._action_check_due(self.company, day(42))
        self.assertEqual(plan.amount_paid, 700.0)
        self.assertEqual(plan.installment_ids.mapped("amount_paid"), [500.0, 200.0, 0.0])
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid", "partial", "open"])
        self.assertEqual((plan.next_date, plan.next_amount_due), (day(71), 300.0))
        # Paid in full: the plan is completed, nothing is dunned.
        self._pay(self.invoice_a, 300.0, day(60))
        self._pay(self.invoice_b, 500.0, day(90))
        run = self._run_dunning(day(91))
        self.assertEqual(plan.state, "completed")
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid"] * 3)
        self.assertFalse(run.notice_ids)

    def test_a_plan_on_schedule_keeps_its_invoices_out_of_the_run(self):
        plan = self._active_plan()
        self.assertTrue(self.invoices.mapped("dunning_plan_active"))
        self._pay(self.invoice_a, 500.0, day(40))
        run = self._run_dunning(day(60))
        self.assertFalse(run.notice_ids)
        self.assertEqual(set(run.log_ids.mapped("reason")), {"plan"})
        self.assertEqual(len(run.log_ids), 2)
        self.assertEqual(plan.state, "active")
        self.assertFalse(self.invoices.mapped("dunning_level_id"))

    def test_a_missed_installment_breaks_the_plan_and_the_ladder_resumes(self):
        plan = self._active_plan()
        self._pay(self.invoice_a, 500.0, day(40))
        # Second installment due day 71, grace 5 days: on day 76 it is not missed yet.
        run = self._run_dunning(day(76))
        self.assertEqual(plan.state, "active")
        self.assertFalse(run.notice_ids)
        with freeze_time(day(77)):
            run = self._run_dunning(day(77))
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid", "missed", "open"])
        self.assertIn("1 installment(s) missed", plan.close_reason)
        self.assertFalse(any(self.invoices.mapped("dunning_plan_active")))
        # The remaining balance, 1,000.00, is dunned by the run that found the plan broken.
        self.assertEqual(run.notice_ids.amount_dunned, 1000.0)
        self.assertEqual(run.notice_ids.line_ids.filtered("dunned").move_id, self.invoices)
        # The customer was told; the collector has a follow-up.
        missed = plan.message_ids.filtered(lambda m: "missed installment" in (m.subject or ""))
        self.assertEqual(len(missed), 1)
        self.assertIn("the plan has therefore ended", missed.body)
        self.assertEqual(plan.activity_id.user_id, self.collector)
        self.assertEqual(
            self.env["account.dunning.event"]
            .search([("plan_id", "=", plan.id)], order="id")[-1]
            .kind,
            "plan",
        )

    def test_two_missed_installments_when_the_plan_says_so(self):
        plan = self._active_plan(break_after_missed=2)
        self.Plan._action_check_due(self.company, day(46))
        self.assertEqual((plan.state, plan.missed_count), ("active", 1))
        self.Plan._action_check_due(self.company, day(77))
        self.assertEqual((plan.state, plan.missed_count), ("broken", 2))

    def test_a_broken_plan_resumes_at_the_policys_level(self):
        self.policy.plan_broken_level_id = self.level_second
        plan = self._active_plan()
        with freeze_time(day(46)):
            run = self._run_dunning(day(46))
        self.assertEqual(plan.state, "broken")
        self.assertEqual(run.notice_ids.level_id, self.level_second)

    def test_reminders_before_each_installment_once(self):
        # The pre-due level reminds 7 days ahead: so do the installments.
        self.assertEqual(self.level_pre_due.delay, -7)
        plan = self._active_plan()
        first = plan.installment_ids[0]
        self.Plan._action_check_due(self.company, day(32))
        self.assertFalse(first.reminded_on)
        self.Plan._action_check_due(self.company, day(33))
        self.Plan._action_check_due(self.company, day(34))
        self.assertEqual(first.reminded_on, day(33))
        reminders = plan.message_ids.filtered(lambda m: "installment of your" in (m.subject or ""))
        self.assertEqual(len(reminders), 1)
        self.assertIn("500.00", reminders.body)

    def test_no_interest_for_the_days_of_a_plan_without_interest(self):
        self.policy.write({"interest_method": "fixed", "interest_rate": 10.0})
        plan = self._active_plan()  # active from day 30
        with freeze_time(day(46)):
            run = self._run_dunning(day(46))  # broken on day 46
        self.assertEqual(plan.state, "broken")
        interest = run.notice_ids.charge_ids.filtered(lambda c: c.kind == "interest")
        # Invoice A: days 1-29 earn 10 % on 1,000.00, days 30-46 none: 7.95.
        # Invoice B (due day 10): days 11-29, 19 days on 500.00: 2.60.
        self.assertEqual(
            sorted(interest.mapped("amount")),
            sorted([round(1000 * 0.10 * 29 / 365, 2), round(500 * 0.10 * 19 / 365, 2)]),
        )

    # ------------------------------------------------------------
    # Ending a plan, roles
    # ------------------------------------------------------------

    def test_breaking_and_cancelling_need_a_reason_and_are_logged(self):
        plan = self._active_plan()
        with self.assertRaisesRegex(UserError, "Write why"):
            plan.action_break()
        plan.close_reason = "Customer filed for insolvency"
        plan.action_break()
        self.assertEqual(plan.state, "broken")
        self.assertIn("Customer filed for insolvency", plan.message_ids[0].body)
        event = self.env["account.dunning.event"].search([("plan_id", "=", plan.id)], order="id")[
            -1
        ]
        self.assertEqual(event.note, "Customer filed for insolvency")
        draft = self._plan(self.invoice_a)
        draft.close_reason = "Customer paid by other means"
        draft.action_cancel()
        self.assertEqual(draft.state, "cancel")
        with self.assertRaises(UserError):
            draft.unlink()

    def test_only_dunning_users_draw_up_and_run_plans(self):
        plan = self._active_plan()
        salesperson = self._create_user("plan_seller", "sales_team.group_sale_salesman")
        billing = self._create_user("plan_billing", "account.group_account_invoice")
        values = {
            "partner_id": self.customer.id,
            "move_ids": [Command.set(self.invoice_a.ids)],
        }
        for user in (salesperson, billing):
            Plan = self.Plan.with_user(user)
            with self.assertRaises(AccessError):
                Plan.create(values)
            result = Plan.load(
                ["partner_id/.id", "move_ids/.id", "installment_count"],
                [[str(self.customer.id), str(self.invoice_a.id), "2"]],
            )
            self.assertFalse(result["ids"], "an import is a create")
            with self.assertRaises(AccessError):
                plan.with_user(user).copy()
            for action in ("action_accept", "action_break", "action_cancel", "action_propose"):
                with self.assertRaises(AccessError):
                    getattr(plan.with_user(user), action)()
            with self.assertRaises(AccessError):
                self.invoice_a.with_user(user).action_dunning_propose_plan()
        # Nobody writes a plan's course by hand, collectors included.
        for user in (salesperson, billing, self.collector):
            with self.assertRaises(AccessError):
                plan.with_user(user).write({"state": "completed"})
            with self.assertRaises(AccessError):
                plan.with_user(user).write({"amount_paid": 1500.0})
            with self.assertRaises(UserError if user == self.collector else AccessError):
                plan.installment_ids[0].with_user(user).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            plan.installment_ids[1].with_user(self.collector).write({"state": "paid"})
        # A collector's import of a plan's course is refused like a write.
        result = self.Plan.with_user(self.collector).load(
            [".id", "state"], [[str(plan.id), "completed"]]
        )
        self.assertFalse(result["ids"])
        self.assertEqual((plan.state, plan.amount_paid), ("active", 0.0))
        self.assertEqual(plan.installment_ids.mapped("state"), ["open"] * 3)

    def test_propose_from_the_customer_the_invoices_and_a_call(self):
        action = self.customer.with_user(self.collector).action_dunning_propose_plan()
        self.assertEqual(action["res_model"], "account.dunning.payment.plan")
        with Form(self.Plan.with_user(self.collector).with_context(**action["context"])) as form:
            self.assertEqual(form.amount_covered, 1500.0)
            form.installment_count = 2
        plan = form.record
        self.assertEqual(plan.move_ids, self.invoices)
        self.assertEqual(plan.installment_ids.mapped("amount"), [750.0, 750.0], "computed at once")
        # A selection of invoices.
        plan.close_reason = "Drawn up again"
        plan.action_cancel()
        action = self.invoice_a.with_user(self.collector).action_dunning_propose_plan()
        self.assertEqual(action["context"]["default_move_ids"], [Command.set(self.invoice_a.ids)])
        # A call where the customer asked for a plan opens one on the invoices spoken of.
        wizard = (
            self.env["account.dunning.call.outcome"]
            .with_user(self.collector)
            .with_context(default_partner_id=self.customer.id, default_company_id=self.company.id)
            .create({"outcome": "plan_requested", "move_ids": [Command.set(self.invoice_b.ids)]})
        )
        action = wizard.action_done()
        self.assertEqual(action["res_model"], "account.dunning.payment.plan")
        self.assertEqual(action["context"]["default_move_ids"], [Command.set(self.invoice_b.ids)])

    def test_the_worklist_shows_the_next_installment_and_broken_plans(self):
        plan = self._active_plan()
        Worklist = self.env["account.dunning.worklist"]
        with freeze_time(day(35)):
            row = Worklist.search([("partner_id", "=", self.customer.id)])
            self.assertEqual((row.installment_date, row.installment_amount), (day(40), 500.0))
            self.assertEqual((row.next_action, row.next_action_date), ("installment", day(40)))
        self._run_dunning(day(46))
        self.assertEqual(plan.state, "broken")
        with freeze_time(day(46)):
            row = Worklist.search(
                [("partner_id", "=", self.customer.id), ("plan_broken", "=", True)]
            )
            self.assertTrue(row)
            self.assertFalse(row.installment_date)
