from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-31")
class TestResPartnerDunning(DunningTestCommon):
    def test_overdue_figures_of_a_customer(self):
        first = self._create_dunning_invoice(self.customer, 1000.0, "2026-02-19")  # 40 days late
        second = self._create_dunning_invoice(self.customer_contact, 250.0, "2026-03-21")  # 10 days
        self._create_dunning_invoice(self.customer, 999.0, "2026-04-15")  # not due yet
        self._create_dunning_invoice(self.customer, 777.0, "2026-01-05", post=False)  # draft
        paid = self._create_dunning_invoice(self.customer, 300.0, "2026-01-10")
        self._pay(paid, 300.0, "2026-03-01")
        first.dunning_level_id = self.level_second
        second.dunning_level_id = self.level_friendly

        for partner in self.customer | self.customer_contact:
            self.assertEqual(partner.dunning_overdue_amount, 1250.0)
            self.assertEqual(partner.dunning_oldest_overdue_days, 40)
            self.assertEqual(partner.dunning_max_level_id, self.level_second)

    def test_partial_payment_lowers_the_overdue_amount(self):
        invoice = self._create_dunning_invoice(self.customer, 1000.0, "2026-02-19")
        self._pay(invoice, 400.0, "2026-03-20")
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(self.customer.dunning_overdue_amount, 600.0)

    def test_customer_without_overdue_invoices(self):
        self._create_dunning_invoice(self.customer, 500.0, "2026-04-30")
        self.assertEqual(self.customer.dunning_overdue_amount, 0.0)
        self.assertEqual(self.customer.dunning_oldest_overdue_days, 0)
        self.assertFalse(self.customer.dunning_max_level_id)

    def test_figures_stay_in_the_current_company(self):
        other_company = self.setup_other_company()["company"]
        self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        self._create_dunning_invoice(self.customer, 5000.0, "2026-01-01", company=other_company)
        self.assertEqual(self.customer.dunning_overdue_amount, 100.0)
        self.assertEqual(self.customer.dunning_oldest_overdue_days, 30)
        elsewhere = self.customer.with_company(other_company)
        self.assertEqual(elsewhere.dunning_overdue_amount, 5000.0)
        self.assertEqual(elsewhere.dunning_oldest_overdue_days, 89)

    def test_figures_are_computed_with_one_query_per_batch(self):
        customers = self.env["res.partner"].create(
            [{"name": f"Batch customer {index}", "is_company": True} for index in range(20)]
        )
        for index, customer in enumerate(customers):
            self._create_dunning_invoice(customer, 100.0 + index, "2026-03-01")
        self.env.flush_all()

        def queries_to_compute(partners):
            self.env.invalidate_all()
            partners = partners.browse(partners.ids)
            # Reading the partners, the user and the currency is not the compute.
            partners.mapped("commercial_partner_id")
            self.env.user.mapped("tz")
            self.env.company.currency_id.mapped("rounding")
            before = self.env.cr.sql_log_count
            partners.mapped("dunning_overdue_amount")
            return self.env.cr.sql_log_count - before

        queries_to_compute(customers[:1])  # warm the caches of the access rules
        one = queries_to_compute(customers[1:2])
        twenty = queries_to_compute(customers)
        self.assertEqual(one, 1, "one grouped query on the invoices")
        self.assertEqual(twenty, 1, "the figures must not cost a query per customer")
        self.assertEqual(
            sum(customers.mapped("dunning_overdue_amount")), sum(100.0 + i for i in range(20))
        )

    def test_payment_day_must_be_a_day_of_the_month(self):
        with self.assertRaisesRegex(ValidationError, "Lakeside Joinery.*payment day"):
            self.customer.dunning_payment_day = 32
        self.customer.dunning_payment_day = 25
        self.assertEqual(self.customer.dunning_payment_day, 25)

    def test_exclusion_needs_a_reason(self):
        with self.assertRaisesRegex(ValidationError, "Lakeside Joinery.*reason"):
            self.customer.dunning_excluded = True
        self.customer.write({"dunning_excluded": True, "dunning_exclusion_reason": "Key account"})
        self.assertTrue(self.customer.dunning_excluded)
