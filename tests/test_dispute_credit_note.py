from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command
from odoo.tests import tagged

from .common import DUE, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDisputeCreditNote(DunningTestCommon):
    """An accepted dispute is credited by exactly its amount, whatever the invoice's
    quantities, taxes, discounts and currency, and settles that much of it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tax = cls.env["account.tax"]
        cls.tax_15 = cls.tax_sale_a  # 15 %, excluded from the price
        cls.tax_5 = Tax.create({"name": "5 %", "amount": 5.0, "type_tax_use": "sale"})
        cls.tax_10_included = Tax.create(
            {
                "name": "10 % included",
                "amount": 10.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 0.9)])
        cls.jpy = cls.setup_other_currency("JPY", rounding=1.0, rates=[("2016-01-01", 150.0)])
        cls.kwd = cls.setup_other_currency("KWD", rounding=0.001, rates=[("2016-01-01", 0.3)])

    def _invoice(self, lines, currency=None, post=True):
        """An invoice of `lines`, (quantity, unit price, taxes, discount), posted."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": DUE,
                "invoice_date_due": DUE,
                "currency_id": (currency or self.company.currency_id).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": f"Item {index}",
                            "quantity": quantity,
                            "price_unit": price,
                            "discount": discount,
                            "tax_ids": [Command.set(taxes.ids)],
                        }
                    )
                    for index, (quantity, price, taxes, discount) in enumerate(lines)
                ],
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def _accept(self, invoice, amount):
        """Accept a dispute of `amount`: the credit note, checked against the invoice."""
        residual = invoice.amount_residual
        dispute = self._dispute(invoice, amount, reason="price")
        dispute.action_accept()
        credit_note = dispute.credit_note_id
        currency = invoice.currency_id
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(
            currency.compare_amounts(credit_note.amount_total, amount),
            0,
            f"credit note {credit_note.amount_total} for a dispute of {amount}",
        )
        self.assertEqual(currency.compare_amounts(invoice.amount_residual, residual - amount), 0)
        self.assertTrue(currency.is_zero(credit_note.amount_residual), "reconciled with it")
        return credit_note

    def test_three_units_of_ten_dispute_ten(self):
        invoice = self._invoice([(3, 10.0, self.env["account.tax"], 0)])
        self._accept(invoice, 10.0)
        self.assertEqual(invoice.amount_residual, 20.0)

    def test_three_units_of_ten_with_tax_dispute_ten(self):
        self._accept(self._invoice([(3, 10.0, self.tax_15, 0)]), 10.0)

    def test_three_taxed_lines_of_three_units(self):
        lines = [(3, 10.01, self.tax_15, 0)] * 3
        self._accept(self._invoice(lines), 50.0)

    def test_mixed_lines_quantities_taxes_and_discounts(self):
        lines = [
            (3, 19.99, self.tax_15, 0),
            (7, 4.35, self.tax_15 | self.tax_5, 10.0),
            (2.5, 12.4, self.tax_10_included, 0),
            (1, 8.0, self.env["account.tax"], 25.0),
        ]
        credit_note = self._accept(self._invoice(lines), 55.55)
        self.assertFalse(credit_note.invoice_line_ids.product_id, "a price reduction")
        self.assertIn("of 3.00 x Item 0", credit_note.invoice_line_ids[0].name)

    def test_an_invoice_that_starts_with_a_section(self):
        invoice = self._invoice([(3, 10.0, self.tax_15, 0)], post=False)
        invoice.invoice_line_ids = [
            Command.create({"display_type": "line_section", "name": "Works", "sequence": -1})
        ]
        invoice.action_post()
        credit_note = self._accept(invoice, 10.0)  # 8.70 + 1.31 of tax: a cent to put right
        rounding = credit_note.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and not line.tax_ids
        )
        self.assertEqual(rounding.price_subtotal, -0.01)
        products = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        self.assertEqual(rounding.account_id, products.account_id)

    def test_a_currency_without_decimals(self):
        self._accept(self._invoice([(3, 1001.0, self.tax_15, 0)], self.jpy), 1234.0)

    def test_a_currency_with_three_decimals(self):
        lines = [(3, 10.01, self.tax_15, 0), (7, 0.35, self.env["account.tax"], 0)]
        self._accept(self._invoice(lines, self.kwd), 12.345)

    def test_a_foreign_currency(self):
        self._accept(self._invoice([(3, 333.33, self.tax_15, 5.0)], self.eur), 100.01)

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data())
    def test_any_invoice_any_amount(self, data):
        taxes = [
            self.env["account.tax"],
            self.tax_15,
            self.tax_5,
            self.tax_10_included,
            self.tax_15 | self.tax_5,
        ]
        line = st.tuples(
            # quantity and unit price from 1: an invoice of at least one yen
            st.integers(100, 2000).map(lambda hundredths: hundredths / 100),  # quantity
            st.integers(100, 500000).map(lambda cents: cents / 100),  # unit price
            st.sampled_from(taxes),
            st.sampled_from([0, 0, 5.0, 12.5]),  # discount
        )
        currency = data.draw(
            st.sampled_from([self.company.currency_id, self.eur, self.jpy, self.kwd])
        )
        invoice = self._invoice(data.draw(st.lists(line, min_size=1, max_size=4)), currency)
        quantum = currency.rounding
        units = round(invoice.amount_total / quantum)
        amount = data.draw(st.integers(1, units)) * quantum
        self._accept(invoice, currency.round(amount))
