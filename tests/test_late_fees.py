from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
class TestLateFees(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The statutory compensation is 40 EUR, converted at a real rate.
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls.invoice = cls._create_dunning_invoice(cls.customer, 1200.0, DUE)

    def _charges(self, kind):
        return self.env["account.dunning.charge"].search(
            [("kind", "=", kind), ("notice_id.partner_id", "=", self.customer.id)],
            order="period_from, id",
        )

    def test_fee_with_minimum_is_invoiced_once(self):
        self.level_friendly.write({"fee_fixed": 5, "fee_percent": 2, "fee_min": 30, "fee_max": 100})
        run = self._run_dunning(day(7))
        notice = run.notice_ids
        # 5.00 fixed + 2 % x 1,200.00 = 29.00, under the minimum of 30.00: 30.00
        self.assertEqual(notice.charge_ids.mapped("amount"), [30.0])
        charge_invoice = notice.charge_move_id
        self.assertEqual(charge_invoice.state, "posted")
        self.assertEqual(charge_invoice.amount_total, 30.0)
        self.assertEqual(charge_invoice.partner_id, self.customer)
        self.assertEqual(charge_invoice.dunning_charge_notice_id, notice)
        self.assertEqual(charge_invoice.invoice_origin, notice.name)
        self.assertEqual(charge_invoice.dunning_charged_invoice_ids, self.invoice)
        self._run_dunning(day(7))
        self._run_dunning(day(14))  # the phone call level charges nothing
        self.assertEqual(len(self._charges("fee")), 1)

    def test_fixed_interest_per_period_with_a_partial_payment(self):
        self.policy.write({"interest_method": "fixed", "interest_rate": 10})
        self._run_dunning(day(7))
        # 1 to 7 February: 1,200.00 x 10 % x 7/365 = 2.3014
        self._pay(self.invoice, 200.0, day(10))
        self._run_dunning(day(14))
        # 8-9 February: 1,200.00 x 10 % x 2/365 = 0.6575; 10-14 February: 1,000.00 x 10 % x
        # 5/365 = 1.3699; together 2.0274, rounded once.
        interest = self._charges("interest")
        self.assertEqual(interest.mapped("amount"), [2.30, 2.03])
        self.assertEqual(interest.mapped("period_from"), [day(1), day(8)])
        self.assertEqual(interest.mapped("period_to"), [day(7), day(14)])
        self.assertEqual(interest.mapped("days"), [7, 7])
        self.assertEqual(interest[1].base, 1200.0)
        self.assertEqual(interest[1].rate, 10.0)

    def test_eu_preset_across_the_july_rate_change_and_compensation(self):
        self.policy.write({"interest_method": "eu", "jump_to_highest_level": True})
        late = self._create_dunning_invoice(
            self.customer, 10000.0, date(2024, 5, 31), currency_id=self.eur.id
        )
        run = self._run_dunning(date(2024, 7, 30))
        notice = run.notice_ids.filtered(lambda n: late in n.line_ids.move_id)
        interest = notice.charge_ids.filtered(lambda c: c.kind == "interest" and c.move_id == late)
        # June: 10,000 x (4.50 + 8) % x 30/365 = 102.7397; July: 10,000 x (4.25 + 8) % x 30/365
        # = 100.6849; together 203.4246.
        self.assertEqual(interest.amount, 203.42)
        self.assertEqual(
            (interest.period_from, interest.period_to), (date(2024, 6, 1), date(2024, 7, 30))
        )
        compensation = notice.charge_ids.filtered(lambda c: c.kind == "compensation")
        eur = self.env.ref("base.EUR")
        expected = eur._convert(40, notice.currency_id, self.company, notice.date)
        self.assertAlmostEqual(compensation.amount, notice.currency_id.round(expected))
        self._run_dunning(date(2024, 8, 30))
        self.assertEqual(
            len(self._charges("compensation").filtered(lambda c: c.move_id == late)),
            1,
            "the flat compensation is due once per invoice, ever",
        )

    def test_a_missing_reference_rate_leaves_out_interest_not_the_notice(self):
        self.policy.interest_method = "eu"
        self.invoice.button_draft()
        self.invoice.currency_id = self.eur
        self.invoice.action_post()
        self.env.ref("account_dunning.reference_rate_ecb_2026_01_01").unlink()
        with freeze_time(day(7)):
            self.assertIn("2026-01-01", self.policy.interest_warning)
            run = self._run_dunning(day(7))
        self.assertEqual(run.error_count, 0)
        notice = run.notice_ids
        self.assertEqual(notice.state, "sending", "the reminder goes out all the same")
        self.assertEqual(self.invoice.dunning_level_id, self.level_friendly)
        self.assertFalse(self._charges("interest"), "no interest is guessed")
        self.assertEqual(self._charges("compensation").amount, 40.0)
        warning = run.log_ids.filtered(lambda log: log.kind == "warning")
        self.assertIn("2026-01-01", warning.message)
        self.assertTrue(notice.message_ids.filtered(lambda msg: "2026-01-01" in msg.body))
        self.env["account.dunning.reference.rate"].create(
            {"rate_type": "ecb", "date_from": "2026-01-01", "rate": 2.15}
        )
        self.policy.invalidate_recordset(["interest_warning"])
        with freeze_time(day(14)):
            self.assertFalse(self.policy.interest_warning)
        self._run_dunning(day(14))
        # Caught up from the due date: 1,200.00 x 10.15 % x 14/365 = 4.6718
        self.assertEqual(self._charges("interest").amount, 4.67)

    def test_charge_invoices_earn_no_interest(self):
        self.policy.write({"interest_method": "fixed", "interest_rate": 10})
        self.level_friendly.fee_fixed = 15
        self._run_dunning(day(7))
        charge_invoice = self._charges("fee").charge_move_id
        charge_invoice.invoice_date_due = day(0)
        self._run_dunning(day(40))
        charged = self._charges("interest").move_id
        self.assertIn(self.invoice, charged)
        self.assertNotIn(charge_invoice, charged)

    def test_database_refuses_a_second_charge_for_a_period(self):
        self.policy.write({"interest_method": "fixed", "interest_rate": 10})
        interest = self._run_dunning(day(7)).notice_ids.charge_ids
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            interest.sudo().copy()  # sudo: only the run writes charges; this probes the database

    def test_manager_waives_the_charges_with_a_credit_note(self):
        self.level_friendly.fee_fixed = 25
        notice = self._run_dunning(day(7)).notice_ids
        charge_invoice = notice.charge_move_id
        manager = self._create_user(
            "fee_manager", "account_dunning.group_dunning_manager,account.group_account_invoice"
        )
        collector = self._create_user("fee_collector", "account_dunning.group_dunning_user")
        Waive = self.env["account.dunning.waive.charges"]
        with self.assertRaises(AccessError):
            Waive.with_user(collector).create({"notice_id": notice.id, "reason": "Goodwill"})
        with self.assertRaisesRegex(UserError, "reason"):
            Waive.with_user(manager).create({"notice_id": notice.id, "reason": "  "}).action_waive()
        Waive.with_user(manager).create(
            {"notice_id": notice.id, "reason": "Goodwill: first delay in ten years"}
        ).action_waive()
        refund = notice.charge_refund_id
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.amount_total, 25.0)
        self.assertEqual(charge_invoice.payment_state, "reversed")
        self.assertTrue(notice.charges_waived)
        self.assertIn("Goodwill", notice.message_ids[:1].body)
        self.assertIn(manager.name, notice.message_ids[:1].body)
        with self.assertRaisesRegex(UserError, "no charges left"):
            Waive.with_user(manager).create(
                {"notice_id": notice.id, "reason": "Again"}
            ).action_waive()

    def test_fee_in_the_notice_currency(self):
        eur = self.setup_other_currency("EUR")
        in_eur = self._create_dunning_invoice(self.customer, 500.0, DUE, currency_id=eur.id)
        self.level_friendly.fee_fixed = 10  # in the company's currency
        run = self._run_dunning(day(7))
        notice = run.notice_ids.filtered(lambda n: n.currency_id == eur)
        self.assertEqual(notice.line_ids.move_id, in_eur)
        expected = self.company.currency_id._convert(10, eur, self.company, day(7))
        self.assertEqual(notice.charge_ids.amount, eur.round(expected))
        self.assertEqual(notice.charge_move_id.currency_id, eur)

    def test_compensation_for_business_customers_only(self):
        self.policy.write({"interest_method": "fixed", "interest_rate": 10})
        self._run_dunning(day(7))
        self.assertFalse(self._charges("compensation"), "no statutory preset: no compensation")
        self.policy.interest_method = "de_b2b"
        consumer = self.env["res.partner"].create({"name": "Ms Private", "is_company": False})
        private = self._create_dunning_invoice(consumer, 300.0, DUE)
        self._run_dunning(day(14))
        compensated = self._charges("compensation").move_id
        self.assertIn(self.invoice, compensated)
        self.assertFalse(
            self.env["account.dunning.charge"].search(
                [("kind", "=", "compensation"), ("move_id", "=", private.id)]
            )
        )
