from datetime import date
from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestReferenceRate(DunningTestCommon):
    def test_history_ships_from_2013(self):
        Rate = self.env["account.dunning.reference.rate"]
        for rate_type in ("ecb", "de_base", "boe"):
            rates = Rate.search([("rate_type", "=", rate_type)])
            self.assertGreaterEqual(len(rates), 26, rate_type)
            self.assertLessEqual(min(rates.mapped("date_from")), date(2013, 1, 1))

    def test_statutory_steps_per_half_year(self):
        Rate = self.env["account.dunning.reference.rate"]
        first, last = date(2024, 6, 1), date(2024, 7, 30)
        self.assertEqual(
            Rate._get_statutory_rate_steps("eu", first, last),
            [(date(2024, 1, 1), Decimal("12.50")), (date(2024, 7, 1), Decimal("12.25"))],
        )
        self.assertEqual(
            Rate._get_statutory_rate_steps("de_b2b", first, last),
            [(date(2024, 1, 1), Decimal("12.62")), (date(2024, 7, 1), Decimal("12.37"))],
        )
        self.assertEqual(
            Rate._get_statutory_rate_steps("fr", first, last)[1],
            (date(2024, 7, 1), Decimal("14.25")),
        )
        # UK: the rate of 31 December / 30 June applies to the following half-year.
        self.assertEqual(
            Rate._get_statutory_rate_steps("uk", first, last),
            [(date(2024, 1, 1), Decimal("13.25")), (date(2024, 7, 1), Decimal("13.25"))],
        )

    def test_missing_rate_is_said_not_guessed(self):
        Rate = self.env["account.dunning.reference.rate"]
        with self.assertRaisesRegex(UserError, "ECB.*2040-01-01"):
            Rate._get_statutory_rate_steps("eu", date(2040, 2, 1), date(2040, 3, 1))

    def test_managers_edit_rates_billing_users_read_them(self):
        billing = self._create_user("rate_billing", "account.group_account_invoice")
        manager = self._create_user("rate_manager", "account_dunning.group_dunning_manager")
        Rate = self.env["account.dunning.reference.rate"]
        self.assertTrue(Rate.with_user(billing).search_count([]))
        with self.assertRaises(AccessError):
            Rate.with_user(billing).create(
                {"rate_type": "ecb", "date_from": "2026-01-01", "rate": 2}
            )
        Rate.with_user(manager).create({"rate_type": "ecb", "date_from": "2026-01-01", "rate": 2})
        steps = Rate._get_statutory_rate_steps("eu", date(2026, 2, 1), date(2026, 3, 1))
        self.assertEqual(steps, [(date(2026, 1, 1), Decimal("10.0"))])
