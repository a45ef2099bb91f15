from datetime import date

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
class TestMoneyLaw(DunningTestCommon):
    """The statutory rules as the law applies them, each with its arithmetic."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls.gbp = cls.setup_other_currency("GBP", rates=[("2016-01-01", 0.8)])
        cls.policy.jump_to_highest_level = True

    def _customer(self, name, is_company=True):
        return self.env["res.partner"].create(
            {
                "name": name,
                "is_company": is_company,
                "email": f"{name.split()[0].lower()}@example.com",
            }
        )

    def _charges(self, partner, kind):
        return self.env["account.dunning.charge"].search(
            [("kind", "=", kind), ("notice_id.partner_id", "=", partner.id)], order="id"
        )

    def test_the_flat_compensation_once_never_on_charge_invoices(self):
        # Dunned every week to day 140, with a fee on the friendly level: its charge
        # invoice is dunned in turn, yet only the commercial debt owes the 40 EUR.
        self.policy.write({"interest_method": "eu", "jump_to_highest_level": False})
        self.level_friendly.write({"fee_fixed": 5.0, "fee_percent": 1.0})
        customer = self._customer("Tidewater Ltd")
        invoice = self._create_dunning_invoice(customer, 1000.0, DUE, currency_id=self.eur.id)
        for offset in range(7, 141, 7):
            self._run_dunning(day(offset))
        compensation = self._charges(customer, "compensation")
        self.assertEqual(compensation.mapped("amount"), [40.0])
        self.assertEqual(compensation.move_id, invoice)
        # The fee's percentage is on the 1,000.00 of the invoice alone: 5 + 1 % = 15.00,
        # less the 40.00 charged with it: nothing.
        self.assertFalse(self._charges(customer, "fee"))

    def test_uk_rate_is_fixed_per_debt(self):
        self.policy.interest_method = "uk"
        cases = [
            # £50,000 overdue from 1 April 2022: Bank Rate on 31 December 2021, 0.25 %,
            # + 8 = 8.25 % for 365 days: 50,000 x 8.25 % = 4,125.00 (the half-yearly
            # rates, up to 3.50 %, would give 4,777.74).
            ("Albion Ltd", 50000.0, date(2022, 3, 31), date(2023, 3, 31), 8.25, 4125.00),
            # £100,000 overdue from 30 June 2023: the rate of 31 December 2022, 3.50 %:
            # 11.5 % x 551 days / 365 = 17,360.27.
            ("Bristow Ltd", 100000.0, date(2023, 6, 29), date(2024, 12, 31), 11.5, 17360.27),
            # £20,000 overdue from 16 December 2024: the rate of 30 June 2024, 5.25 %,
            # though it is 3.75 % from 31 December 2025: 13.25 % x 562 / 365 = 4,080.27.
            ("Carrick Ltd", 20000.0, date(2024, 12, 15), date(2026, 6, 30), 13.25, 4080.27),
        ]
        for name, amount, due, until, rate, expected in cases:
            customer = self._customer(name)
            self._create_dunning_invoice(customer, amount, due, currency_id=self.gbp.id)
            self._run_dunning(until)
            interest = self._charges(customer, "interest")
            self.assertEqual(interest.amount, expected, name)
            self.assertEqual(interest.rate, rate, name)
            self.assertEqual(interest.period_to, until)
        self.assertEqual(round(100000 * 0.115 * 551 / 365, 2), 17360.27)
        self.assertEqual(round(20000 * 0.1325 * 562 / 365, 2), 4080.27)

    def test_a_consumer_pays_the_consumer_rate_and_no_compensation(self):
        self.policy.interest_method = "de_b2b"
        consumer = self._customer("Jana Becker", is_company=False)
        business = self._customer("Becker GmbH")
        for partner in (consumer, business):
            self._create_dunning_invoice(partner, 1000.0, DUE, currency_id=self.eur.id)
        self._run_dunning(day(30))
        base = self.env.ref("account_dunning.reference_rate_de_base_2026_01_01").rate
        # Consumer: base rate + 5 points (§288(1) BGB), 30 days on 1,000.00.
        self.assertEqual(
            self._charges(consumer, "interest").amount, round(1000 * (base + 5) / 100 * 30 / 365, 2)
        )
        self.assertFalse(self._charges(consumer, "compensation"))
        # Business: base + 9 (§288(2) BGB) and the 40 EUR (§288(5) BGB).
        self.assertEqual(
            self._charges(business, "interest").amount, round(1000 * (base + 9) / 100 * 30 / 365, 2)
        )
        self.assertEqual(self._charges(business, "compensation").amount, 40.0)
        # Under the EU and French regimes, for business debts only, a consumer owes none.
        self.policy.interest_method = "eu"
        other = self._customer("Luc Martin", is_company=False)
        self._create_dunning_invoice(other, 1000.0, DUE, currency_id=self.eur.id)
        self._run_dunning(day(30))
        self.assertFalse(self._charges(other, "interest") | self._charges(other, "compensation"))

    def test_a_fee_beside_the_compensation_is_reduced_by_it(self):
        self.policy.interest_method = "eu"
        self.level_friendly.fee_fixed = 55.0
        customer = self._customer("Fjord AS")
        self._create_dunning_invoice(customer, 1000.0, DUE, currency_id=self.eur.id)
        self.policy.jump_to_highest_level = False
        notice = self._run_dunning(day(7)).notice_ids
        # 55.00 - 40.00 = 15.00 beside the 40.00.
        self.assertEqual(self._charges(customer, "fee").amount, 15.0)
        self.assertEqual(self._charges(customer, "compensation").amount, 40.0)
        self.assertIn("less the fixed compensation", self._charges(customer, "fee").detail)
        interest = self._charges(customer, "interest").amount
        self.assertEqual(notice.charge_move_id.amount_total, round(55.0 + interest, 2))
        # Switched off, the fee is charged in full.
        self.policy.fee_less_compensation = False
        other = self._customer("Skagen AS")
        self._create_dunning_invoice(other, 1000.0, DUE, currency_id=self.eur.id)
        self._run_dunning(day(7))
        self.assertEqual(self._charges(other, "fee").amount, 55.0)

    def test_no_interest_on_interest_under_a_statutory_preset(self):
        for method in ("de_b2b", "de_b2c", "fr", "eu", "uk"):
            with self.assertRaisesRegex(ValidationError, "289 BGB"):
                self.policy.write({"interest_method": method, "interest_on_charges": True})
        self.policy.write(
            {"interest_method": "fixed", "interest_rate": 8.0, "interest_on_charges": True}
        )
        self.assertTrue(self.policy.interest_on_charges)

    def test_the_eu_preset_is_for_euro_debts(self):
        self.policy.interest_method = "eu"
        customer = self._customer("Dollar Corp")
        self._create_dunning_invoice(customer, 1000.0, DUE)  # in the company's USD
        run = self._run_dunning(day(30))
        self.assertFalse(self._charges(customer, "interest"))
        warning = run.log_ids.filtered(lambda log: log.kind == "warning")
        self.assertIn("euro reference rate", warning.message)
        self.assertEqual(self._charges(customer, "compensation").amount, 40.0)

    def test_no_exchange_rate_no_uk_compensation_at_one_to_one(self):
        self.policy.interest_method = "uk"
        rand = self.env.ref("base.ZAR")
        rand.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", rand.id)]).unlink()
        customer = self._customer("Karoo Pty")
        self._create_dunning_invoice(customer, 2000.0, DUE, currency_id=rand.id)
        run = self._run_dunning(day(30))
        self.assertFalse(self._charges(customer, "compensation"))
        self.assertEqual(run.notice_ids.partner_id, customer, "the reminder still goes out")
        self.assertFalse(run.log_ids.filtered(lambda log: log.kind == "error"))
        warning = run.log_ids.filtered(lambda log: log.kind == "warning")
        self.assertIn("no exchange rate is recorded for ZAR", warning.message)

    def _unrate(self, currency):
        self.env["res.currency.rate"].search([("currency_id", "=", currency.id)]).unlink()

    def _rate(self, currency, rate):
        self.env["res.currency.rate"].create(
            {"currency_id": currency.id, "name": "2026-01-01", "rate": rate}
        )

    def test_a_missing_exchange_rate_leaves_the_compensation_for_a_later_notice(self):
        # A USD company on the EU preset, EUR active without a rate: the reminder goes
        # out, the 40 EUR wait for the rate, then are charged once, at that rate.
        self.policy.write({"interest_method": "eu", "jump_to_highest_level": False})
        self._unrate(self.eur)
        customer = self._customer("Prairie Mills Inc")
        invoice = self._create_dunning_invoice(customer, 1000.0, DUE)
        run = self._run_dunning(day(7))
        notice = run.notice_ids
        self.assertEqual(notice.partner_id, customer)
        self.assertEqual(notice.state, "sending", "sent without the compensation")
        self.assertFalse(self._charges(customer, "compensation"))
        self.assertFalse(run.log_ids.filtered(lambda log: log.kind == "error"))
        warning = run.log_ids.filtered(lambda log: log.kind == "warning" and "EUR" in log.message)
        self.assertEqual(warning.notice_id, notice)
        self.assertIn(f"fixed compensation for {invoice.name}", warning.message)
        self.assertIn("dated 2026-02-07 or earlier", warning.message)
        self.assertTrue(
            any("no exchange rate is recorded for EUR" in msg.body for msg in notice.message_ids)
        )

        self._rate(self.eur, 0.8)  # 1 USD = 0.80 EUR: 40 EUR = 50.00 USD
        later = self._run_dunning(day(14)).notice_ids
        self.assertEqual(self._charges(customer, "compensation").notice_id, later)
        self.assertEqual(self._charges(customer, "compensation").amount, 50.0)
        self._run_dunning(day(30))
        self.assertEqual(self._charges(customer, "compensation").mapped("amount"), [50.0])

    def test_a_missing_exchange_rate_leaves_the_fee_for_a_later_notice(self):
        # A 5 USD fee on a reminder in EUR, which has no rate: the fee waits for it.
        self.policy.write({"interest_method": "none", "jump_to_highest_level": False})
        self.level_friendly.fee_fixed = 5.0
        self._unrate(self.eur)
        customer = self._customer("Rhein Werkzeug GmbH")
        self._create_dunning_invoice(customer, 1000.0, DUE, currency_id=self.eur.id)
        run = self._run_dunning(day(7))
        friendly = run.notice_ids
        self.assertEqual(friendly.state, "sending")
        self.assertFalse(friendly.charge_ids, "never 5 EUR at 1:1")
        self.assertTrue(friendly.fee_left_out)
        warning = run.log_ids.filtered(lambda log: log.kind == "warning")
        self.assertIn("The fee of Friendly reminder is left out", warning.message)
        self.assertIn("no exchange rate is recorded for EUR", warning.message)

        # Still no rate at the next notice: the fee waits on.
        self.assertFalse(self._run_dunning(day(14)).notice_ids.charge_ids)
        self._rate(self.eur, 0.9)  # 5 USD = 4.50 EUR
        second = self._run_dunning(day(30)).notice_ids
        fee = self._charges(customer, "fee")
        self.assertEqual(fee.notice_id, second)
        self.assertEqual(fee.origin_notice_id, friendly)
        self.assertEqual((fee.level_id, fee.amount), (self.level_friendly, 4.5))
        self.assertEqual(second.charge_move_id.amount_total, 4.5)
        self.assertEqual(friendly.carried_fee_ids, fee, "charged: no longer awaiting")
        self._run_dunning(day(45))
        self._run_dunning(day(90))
        self.assertEqual(self._charges(customer, "fee"), fee, "charged once")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            fee.sudo().copy({"notice_id": second.id})

    def test_the_letter_total_is_what_is_invoiced(self):
        tax = self.company_data["default_tax_sale"]  # 15 %
        self.level_friendly.write({"fee_fixed": 100.0, "fee_tax_id": tax.id})
        customer = self._customer("Harrow Ltd")
        self._create_dunning_invoice(customer, 1000.0, DUE)
        self.policy.jump_to_highest_level = False
        notice = self._run_dunning(day(7)).notice_ids
        letter = self.env["report.account_dunning.report_dunning_notice"]._get_letter_values(
            notice
        )[notice.id]
        self.assertEqual(notice.charge_move_id.amount_total, 115.0)
        self.assertEqual(letter["total"], 1000.0 + 115.0)
        self.assertEqual(letter["charge_amounts"][notice.charge_ids.id], 115.0)

    def test_no_charged_day_or_fee_is_charged_again(self):
        self.policy.write({"interest_method": "fixed", "interest_rate": 10.0})
        self.policy.jump_to_highest_level = False
        self.level_friendly.fee_fixed = 25.0
        customer = self._customer("Quayside Ltd")
        invoice = self._create_dunning_invoice(customer, 1200.0, DUE)
        notice = self._run_dunning(day(7)).notice_ids
        interest = self._charges(customer, "interest")
        self.assertEqual((interest.period_from, interest.period_to), (day(1), day(7)))
        # The database refuses an overlapping period, not just the same first day.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            # sudo: only the run writes charges; this probes the database.
            interest.sudo().copy({"period_from": day(5), "period_to": day(9)})
        # An invoiced charge cannot be deleted, not even by the server.
        with self.assertRaisesRegex(UserError, "stays on record"):
            interest.sudo().unlink()
        # Waived, then the notice cancelled: the invoice is back at no level, yet the
        # next notice charges neither the fee again nor days already charged.
        manager = self._create_user(
            "law_manager", "account_dunning.group_dunning_manager,account.group_account_invoice"
        )
        self.env["account.dunning.waive.charges"].with_user(manager).create(
            {"notice_id": notice.id, "reason": "Goodwill"}
        ).action_waive()
        notice.with_user(manager).action_cancel()
        self.assertFalse(invoice.dunning_level_id)
        again = self._run_dunning(day(10)).notice_ids
        self.assertEqual(again.level_id, self.level_friendly)
        self.assertFalse(again.charge_ids.filtered(lambda charge: charge.kind == "fee"))
        self.assertEqual(
            again.charge_ids.filtered(lambda charge: charge.kind == "interest").period_from, day(8)
        )

    def test_each_instalment_is_overdue_and_earns_interest_from_its_own_date(self):
        self.policy.write({"interest_method": "eu", "jump_to_highest_level": False})
        term = self.env["account.payment.term"].create(
            {
                "name": "Half at 30 days, half at 60",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 60}),
                ],
            }
        )
        customer = self._customer("Instalment SA")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "currency_id": self.eur.id,
                "invoice_date": date(2026, 1, 1),
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Fit-out", "quantity": 1, "price_unit": 10000.0, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        # Instalments of 5,000.00 due 31 January and 2 March; the invoice's due date is
        # the last one.
        self.assertEqual(invoice.invoice_date_due, date(2026, 3, 2))
        self.assertEqual(invoice.dunning_date_due, date(2026, 1, 31))
        rate = self.env.ref("account_dunning.reference_rate_ecb_2026_01_01").rate + 8
        # 20 February: the first instalment is 20 days late, so the invoice is dunned,
        # with interest on 5,000.00 for 1-20 February.
        notice = self._run_dunning(date(2026, 2, 20)).notice_ids
        self.assertEqual(notice.level_id, self.level_friendly)
        interest = self._charges(customer, "interest")
        self.assertEqual(interest.amount, round(5000 * rate / 100 * 20 / 365, 2))
        # 1 April: the first 5,000.00 for 21 February to 1 April (40 days), the second
        # from 3 March (30 days).
        self._run_dunning(date(2026, 4, 1))
        second = self._charges(customer, "interest")[1:]
        self.assertEqual(
            second.amount, round((5000 * 40 + 5000 * 30) * rate / 100 / 365, 2), second.detail
        )
        # The first instalment paid: what is overdue is the second, from its own date.
        self._pay(invoice, 5000.0, date(2026, 4, 2))
        self.assertEqual(invoice.dunning_date_due, date(2026, 3, 2))

    def test_a_payment_entered_late_is_credited_on_the_next_notice(self):
        self.policy.write({"interest_method": "fixed", "interest_rate": 10.0})
        customer = self._customer("Latebook Ltd")
        invoice = self._create_dunning_invoice(customer, 100000.0, DUE)
        self._run_dunning(day(30))
        # Days 1-30 on 100,000.00 at 10 %: 821.92.
        self.assertEqual(self._charges(customer, "interest").amount, 821.92)
        # Entered after that notice, a payment of 70,000.00 made on day 5.
        self._pay(invoice, 70000.0, day(5))
        notice = self._run_dunning(day(60)).notice_ids
        # Owed for days 1-30: 4 days on 100,000.00 + 26 days on 30,000.00 =
        # 109.589 + 213.699 = 323.29; charged 821.92: 498.63 is credited.
        correction = self._charges(customer, "correction")
        self.assertEqual(correction.amount, -498.63)
        self.assertEqual(correction.move_id, invoice)
        self.assertEqual(round(100000 * 0.10 * 4 / 365 + 30000 * 0.10 * 26 / 365, 2), 323.29)
        # Days 31-60 on 30,000.00: 246.58. Together less than the correction: a
        # credit note of 252.05 when the (final demand's) notice is sent.
        notice.action_send()
        self.assertEqual(self._charges(customer, "interest")[1:].amount, 246.58)
        self.assertEqual(notice.charge_move_id.move_type, "out_refund")
        self.assertEqual(notice.charge_move_id.amount_total, 252.05)
        # Credited once: the next notice corrects nothing more.
        self._run_dunning(day(90))
        self.assertEqual(len(self._charges(customer, "correction")), 1)
