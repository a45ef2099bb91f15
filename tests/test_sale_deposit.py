from contextlib import contextmanager
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import html2plaintext

from ..models.sale_deposit_rule import DepositFacts
from .common import DunningTestCommon


class DepositTestCommon(DunningTestCommon):
    """Quotations of a company that asks new customers for 30 % up front."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls._create_user("seller", "sales_team.group_sale_salesman")
        cls.sales_manager = cls._create_user("sales_boss", "sales_team.group_sale_manager")
        cls.product = cls.env["product.product"].create(
            {
                "name": "Kitchen fitting",
                "type": "service",
                "list_price": 1000.0,
                "taxes_id": [Command.clear()],
                "invoice_policy": "order",
            }
        )
        cls.Rule = cls.env["sale.deposit.rule"].with_company(cls.company)
        cls.rule_new = cls.Rule.create(
            {"name": "New customers", "sequence": 10, "new_customer": True, "percent": 30.0}
        )

    @classmethod
    def _create_quotation(cls, partner=None, quantity=1, price=1000.0, user=None, **values):
        env = cls.env(user=user) if user else cls.env
        return (
            env["sale.order"]
            .with_company(cls.company)
            .create(
                {
                    "partner_id": (partner or cls.customer).id,
                    "user_id": cls.salesperson.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": quantity,
                                "price_unit": price,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                    **values,
                }
            )
        )

    def _request_deposit(self, order, user=None):
        """Press "Request deposit"; return the down-payment invoice it posted."""
        before = order._get_deposit_invoices()
        action = order.with_user(user or self.salesperson).action_request_deposit()
        invoice = order._get_deposit_invoices() - before
        self.assertIn(
            action["res_model"], ("account.move.send.wizard", "account.move.send.batch.wizard")
        )
        self.assertEqual(
            action["context"]["active_ids"],
            order._get_deposit_invoices().filtered(lambda move: move.amount_residual).ids,
            "the send dialog opens on the unpaid deposit invoices",
        )
        return invoice

    def _waive(self, order, user, reason):
        wizard = (
            self.env(user=user)["sale.order.deposit.waiver"]
            .with_context(**order.action_open_deposit_waiver()["context"])
            .create({"reason": reason})
        )
        return wizard.action_waive()

    def _product_lines(self, order):
        return order.order_line.filtered(lambda line: line.product_id == self.product)

    def _messages(self, order, text):
        return order.message_ids.filtered(lambda message: text in message.body)


@tagged("post_install", "-at_install")
class TestDepositRules(DepositTestCommon):
    def test_new_customer_rule_asks_percent_of_total(self):
        order = self._create_quotation(quantity=2)
        self.assertEqual(order.deposit_rule_id, self.rule_new)
        self.assertEqual(order.deposit_required_amount, 600.0)
        self.assertEqual(order.deposit_state, "missing")
        self.assertEqual(order.deposit_missing_amount, 600.0)

    def test_customer_with_a_paid_invoice_is_no_longer_new(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-01-31")
        self._pay(invoice, 100.0, "2026-01-31")
        order = self._create_quotation()
        self.assertFalse(order.deposit_rule_id)
        self.assertEqual(order.deposit_state, "not_required")
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_first_matching_rule_wins_in_sequence_order(self):
        big = self.Rule.create(
            {"name": "Big orders", "sequence": 5, "min_amount": 5000.0, "percent": 50.0}
        )
        small = self._create_quotation(quantity=1)
        large = self._create_quotation(quantity=6)
        self.assertEqual(small.deposit_rule_id, self.rule_new, "1,000 is below the big-order bar")
        self.assertEqual(large.deposit_rule_id, big)
        self.assertEqual(large.deposit_required_amount, 3000.0)
        # Put "new customers" first: it now wins for the large order too.
        big.sequence = 20
        large.order_line.product_uom_qty = 7
        self.assertEqual(large.deposit_rule_id, self.rule_new)
        self.assertEqual(large.deposit_required_amount, 2100.0)
        # An archived rule no longer applies.
        self.rule_new.active = False
        large.order_line.product_uom_qty = 8
        self.assertEqual(large.deposit_rule_id, big)
        self.assertEqual(large.deposit_required_amount, 4000.0)

    def test_customer_and_tag_conditions(self):
        self.rule_new.active = False
        other = self.env["res.partner"].create({"name": "Harbour Bistro", "is_company": True})
        tag = self.env["res.partner.category"].create({"name": "Risky"})
        self.Rule.create(
            {"name": "This customer", "partner_ids": [Command.set(other.ids)], "percent": 10.0}
        )
        self.Rule.create(
            {"name": "Risky ones", "category_ids": [Command.set(tag.ids)], "percent": 20.0}
        )
        self.assertEqual(self._create_quotation(other).deposit_required_amount, 100.0)
        self.assertEqual(self._create_quotation().deposit_state, "not_required")
        self.customer.category_id = tag
        # Ordering through a contact still applies the company's tags.
        self.assertEqual(
            self._create_quotation(self.customer_contact).deposit_required_amount, 200.0
        )

    def test_late_payer_condition(self):
        self.rule_new.active = False
        rule = self.Rule.create(
            {
                "name": "Slow payers",
                "late_invoice_count": 2,
                "late_min_days": 20,
                "deposit_type": "fixed",
                "amount": 250.0,
            }
        )
        # Oldest paid 60 days late; the latest two on time and 30 days late: average 15.
        for invoice_date, paid_on in (
            ("2025-09-01", "2025-12-01"),
            ("2025-10-01", "2025-10-01"),
            ("2025-11-01", "2025-12-01"),
        ):
            invoice = self._create_dunning_invoice(
                self.customer, 100.0, invoice_date, invoice_date=invoice_date
            )
            self._pay(invoice, 100.0, paid_on)
        with freeze_time("2026-01-15"):
            self.assertFalse(self._create_quotation().deposit_rule_id, "15 days on average")
            # Over the last three invoices: (91 + 0 + 30) / 3 = 40 days.
            rule.late_invoice_count = 3
            order = self._create_quotation()
            self.assertEqual(order.deposit_rule_id, rule)
            self.assertEqual(order.deposit_required_amount, 250.0)
            # An open invoice overdue since 2025-12-01 counts until today: 45 days.
            rule.late_invoice_count = 1
            self._create_dunning_invoice(
                self.customer, 100.0, "2025-12-01", invoice_date="2025-12-01"
            )
            self.assertEqual(self._create_quotation().deposit_rule_id, rule)

    def test_the_rules_read_typed_customer_facts(self):
        rule = self.Rule.create(
            {"name": "Slow payers", "late_invoice_count": 2, "late_min_days": 10, "percent": 20}
        )
        tag = self.env["res.partner.category"].create({"name": "Export"})
        self.customer.category_id = tag
        paid = self._create_dunning_invoice(self.customer, 100.0, "2026-01-01")
        self._pay(paid, 100.0, "2026-01-21")
        late = self._create_dunning_invoice(self.customer, 100.0, "2026-02-01")
        late.dunning_level_id = self.level_call
        with freeze_time("2026-02-11"):
            facts = (self.Rule.search([]) | rule)._get_customer_facts(
                self.customer_contact, self.company
            )
        self.assertEqual(list(facts), [self.customer.id], "per commercial partner")
        fact = facts[self.customer.id]
        self.assertIsInstance(fact, DepositFacts)
        self.assertEqual(fact.category_ids, frozenset(tag.ids))
        self.assertTrue(fact.has_paid_invoice)
        self.assertEqual(fact.average_delay, {2: 15.0}, "(20 + 10) / 2 days late")
        self.assertEqual(fact.level_rank, self.level_call._get_rank())
        self.assertFalse(fact.credit_hold)

    def test_a_deposit_awaiting_its_order_makes_no_customer_late(self):
        rule = self.Rule.create(
            {"name": "Slow payers", "late_invoice_count": 1, "late_min_days": 10, "percent": 20}
        )
        order = self._create_quotation()
        deposit = self._request_deposit(order)
        self.assertTrue(deposit.dunning_awaits_order)
        late = fields.Date.add(deposit.invoice_date_due, days=40)
        with freeze_time(late):
            facts = rule._get_customer_facts(self.customer, self.company)
        self.assertEqual(facts[self.customer.id].average_delay, {1: None}, "not a debt yet")
        # Once its order is confirmed, it is owed like any invoice: 40 days late.
        self._waive(order, self.sales_manager, "Starts anyway")
        order.with_user(self.salesperson).action_confirm()
        self.assertFalse(deposit.dunning_awaits_order)
        with freeze_time(late):
            facts = rule._get_customer_facts(self.customer, self.company)
        self.assertEqual(facts[self.customer.id].average_delay, {1: 40.0})

    def test_dunning_level_or_credit_hold_condition(self):
        self.rule_new.active = False
        rule = self.Rule.create(
            {
                "name": "Reminded customers",
                "min_dunning_level_id": self.level_second.id,
                "percent": 50.0,
            }
        )
        invoice = self._create_dunning_invoice(self.customer, 400.0, "2026-01-31")
        with freeze_time("2026-03-20"):
            invoice.dunning_level_id = self.level_call
            self.assertFalse(self._create_quotation().deposit_rule_id, "below the second notice")
            invoice.dunning_level_id = self.level_final
            self.assertEqual(self._create_quotation().deposit_rule_id, rule, "above it")
            invoice.dunning_level_id = False
            self.customer.dunning_credit_hold = True
            self.assertFalse(self._create_quotation().deposit_rule_id)
            rule.match_credit_hold = True
            self.assertEqual(self._create_quotation().deposit_rule_id, rule)

    def test_partner_override(self):
        self.customer.deposit_policy = "never"
        self.assertEqual(self._create_quotation().deposit_state, "not_required")
        self.customer.write({"deposit_policy": "percent", "deposit_percent": 12.5})
        self.assertEqual(self._create_quotation().deposit_required_amount, 125.0)
        # "Always": the matching rule, else the company's default.
        self.customer.deposit_policy = "always"
        self.assertEqual(self._create_quotation().deposit_required_amount, 300.0)
        self.rule_new.active = False
        self.company.deposit_default_percent = 40.0
        self.assertEqual(self._create_quotation().deposit_required_amount, 400.0)
        with self.assertRaises(ValidationError):
            self.customer.write({"deposit_policy": "percent", "deposit_percent": 0.0})

    def test_invalid_rules_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "percentage"):
            self.Rule.create({"name": "Too much", "percent": 120.0})
        with self.assertRaisesRegex(ValidationError, "fixed amount"):
            self.Rule.create({"name": "Nothing", "deposit_type": "fixed", "amount": 0.0})

    def test_requirement_follows_the_total_in_the_form(self):
        with Form(self.env(user=self.salesperson)["sale.order"]) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.product
                line.tax_id.clear()
            self.assertEqual(form.deposit_required_amount, 300.0)
            with form.order_line.edit(0) as line:
                line.product_uom_qty = 3
            self.assertEqual(form.deposit_required_amount, 900.0)
            self.assertEqual(form.deposit_state, "missing")
        order = form.record
        self.assertEqual(order.deposit_missing_amount, 900.0)
        # The portal asks for the deposit online, whatever the company's prepayment setting.
        self.assertTrue(order._has_to_be_paid())
        self.assertEqual(order._get_prepayment_required_amount(), 900.0)

    def test_foreign_currency_order(self):
        # 1 company-currency unit = 2 units of the other currency.
        other = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": other.id, "company_id": self.company.id}
        )
        self.rule_new.active = False
        self.Rule.create(
            {
                "name": "Large orders: fixed",
                "min_amount": 1000.0,
                "deposit_type": "fixed",
                "amount": 300.0,
            }
        )
        # 1,800 in the other currency is 900 in the company's: below the bar.
        small = self._create_quotation(price=1800.0, pricelist_id=pricelist.id)
        self.assertEqual(small.currency_id, other)
        self.assertEqual(small.deposit_state, "not_required")
        order = self._create_quotation(price=2400.0, pricelist_id=pricelist.id)
        self.assertEqual(order.deposit_required_amount, 600.0, "300 converted at 2.0")
        with self.assertRaisesRegex(UserError, "Required: .*600.00"):
            order.with_user(self.salesperson).action_confirm()
        invoice = self._request_deposit(order)
        self.assertEqual(invoice.currency_id, other)
        self.assertEqual(invoice.amount_total, 600.0)
        self._pay(invoice, 600.0, fields.Date.today())
        self.assertEqual(order.deposit_state, "paid")
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestDepositEnforcement(DepositTestCommon):
    def test_confirm_button_is_refused_with_the_amounts(self):
        order = self._create_quotation(user=self.salesperson)
        with self.assertRaises(UserError) as caught:
            order.with_user(self.salesperson).action_confirm()
        message = str(caught.exception)
        self.assertIn("Required: $\xa0300.00", message)
        self.assertIn("received: $\xa00.00", message)
        self.assertIn("missing: $\xa0300.00", message)
        self.assertEqual(order.state, "draft")

    def test_every_other_path_is_refused(self):
        orders = self._create_quotation() + self._create_quotation()
        as_seller = orders.with_user(self.salesperson)
        with self.assertRaises(UserError, msg="mass action"):
            as_seller.action_confirm()
        with self.assertRaises(UserError, msg="RPC write of the state"):
            as_seller[0].write({"state": "sale"})
        with self.assertRaises(UserError, msg="RPC create of a confirmed order"):
            self._create_quotation(user=self.salesperson, state="sale")
        result = (
            self.env(user=self.salesperson)["sale.order"]
            .with_company(self.company)
            .load(
                ["partner_id/.id", "state", "order_line/product_id/.id"],
                [[str(self.customer.id), "sale", str(self.product.id)]],
            )
        )
        self.assertFalse(result["ids"], "import of a confirmed order")
        self.assertIn("deposit", result["messages"][0]["message"])
        # Sending it by email does not confirm it either.
        as_seller.action_quotation_sent()
        self.assertEqual(set(orders.mapped("state")), {"sent"})
        with self.assertRaises(UserError):
            as_seller[1].action_confirm()

    def test_partial_deposit_is_refused_with_the_exact_shortfall(self):
        order = self._create_quotation(quantity=2, user=self.salesperson)
        invoice = self._request_deposit(order)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 600.0)
        self.assertTrue(invoice.line_ids.sale_line_ids.is_downpayment)
        self._pay(invoice, 450.0, fields.Date.today())
        self.assertEqual(order.deposit_state, "partial")
        self.assertEqual(order.deposit_received_amount, 450.0)
        self.assertEqual(order.deposit_missing_amount, 150.0)
        with self.assertRaisesRegex(UserError, r"received: \$\xa0450.00, missing: \$\xa0150.00"):
            order.with_user(self.salesperson).action_confirm()
        # The rest arrives: the deposit is paid, with no one touching the order.
        self._pay(invoice, 150.0, fields.Date.today())
        self.assertEqual(order.deposit_state, "paid")
        self.assertEqual(order.deposit_missing_amount, 0.0)
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")
        # The requirement is kept as a fact of the confirmed order.
        self._product_lines(order).product_uom_qty = 5
        self.assertEqual(order.deposit_required_amount, 600.0)

    def test_a_credit_note_is_not_a_received_deposit(self):
        order = self._create_quotation(quantity=2, user=self.salesperson)
        invoice = self._request_deposit(order)
        self._pay(invoice, 200.0, fields.Date.today())
        # The rest of the deposit invoice is settled by a credit note, not by money.
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Deposit reduced"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        line = credit_note.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        line.price_unit = line.price_unit * 2 / 3  # 400 of the 600
        credit_note.action_post()  # reconciled with the invoice it reverses
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(order.deposit_received_amount, 200.0)
        self.assertEqual(order.deposit_required_amount, 600.0)
        self.assertEqual(order.deposit_state, "partial")
        with self.assertRaisesRegex(UserError, r"missing: \$\xa0400.00"):
            order.with_user(self.salesperson).action_confirm()

    def test_the_orders_own_deposit_does_not_make_the_customer_known(self):
        order = self._create_quotation(quantity=2, user=self.salesperson)
        self._pay(self._request_deposit(order), 600.0, fields.Date.today())
        self.assertEqual(order.deposit_state, "paid")
        # Still a new customer for this order: the requirement follows its total.
        self._product_lines(order).product_uom_qty = 4
        self.assertEqual(order.deposit_required_amount, 1200.0)
        self.assertEqual(order.deposit_state, "partial")
        self.assertEqual(order.deposit_missing_amount, 600.0)

    def test_deposit_status_is_tracked_in_the_chatter(self):
        # These tests run with mail tracking off (AccountTestInvoicingCommon): turn it on.
        env = self.env(context={"lang": "en_US"})
        order = self._create_quotation().with_env(env)
        invoice = self._request_deposit(order).with_env(env)
        # Ends "the transaction that created the order", which is never tracked.
        env.flush_all()
        env.cr.precommit.run()
        for amount in (100.0, 200.0):
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"amount": amount})._create_payments()
            # Tracking messages are written when each transaction commits.
            env.flush_all()
            env.cr.precommit.run()
        tracked = order.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "deposit_state"
        )
        self.assertEqual(
            tracked.sorted("id").mapped("new_value_char"), ["Partial", "Paid"], "each step logged"
        )

    def test_request_deposit_twice_does_not_invoice_twice(self):
        order = self._create_quotation()
        first = self._request_deposit(order)
        again = self._request_deposit(order)
        self.assertFalse(again, "no second invoice: the unpaid one is sent again")
        self.assertEqual(order._get_deposit_invoices(), first)
        # After a partial payment and a larger order, only the difference is invoiced.
        self._pay(first, 100.0, fields.Date.today())
        self._product_lines(order).product_uom_qty = 2
        self.assertEqual(order.deposit_missing_amount, 500.0)
        extra = self._request_deposit(order)
        self.assertEqual(extra.amount_total, 300.0, "500 missing, 200 already invoiced")
        self.assertEqual(order.deposit_missing_amount, 500.0)

    def test_request_deposit_refused_when_nothing_is_due(self):
        self.rule_new.active = False
        order = self._create_quotation()
        with self.assertRaisesRegex(UserError, "no deposit outstanding"):
            order.with_user(self.salesperson).action_request_deposit()

    def test_credit_hold_blocks_confirmation_without_override(self):
        self.rule_new.active = False
        self.customer.dunning_credit_hold = True
        order = self._create_quotation()
        self.assertEqual(order.deposit_state, "not_required")
        with self.assertRaisesRegex(UserError, "is on credit hold"):
            order.with_user(self.salesperson).action_confirm()
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesperson).dunning_credit_hold = False
        with self.assertRaises(AccessError):
            order.with_user(self.salesperson).deposit_hold_released = True
        self._waive(order, self.sales_manager, "Paid cash on the counter")
        self.assertTrue(order.deposit_hold_released)
        self.assertTrue(self._messages(order, "Credit hold of Lakeside Joinery overridden"))
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")
        # The override is for that order only.
        with self.assertRaisesRegex(UserError, "is on credit hold"):
            self._create_quotation().with_user(self.salesperson).action_confirm()

    def test_credit_hold_from_a_dunning_escalation(self):
        self.rule_new.active = False
        self.level_friendly.escalation = "credit_hold"
        self._create_dunning_invoice(self.customer, 500.0, "2026-01-31")
        with freeze_time("2026-02-20"):
            self._run_dunning(fields.Date.today())
            self.assertTrue(self.customer.dunning_credit_hold)
            order = self._create_quotation()
            with self.assertRaisesRegex(UserError, "is on credit hold"):
                order.with_user(self.salesperson).action_confirm()


@tagged("post_install", "-at_install")
class TestDepositGateHolds(DepositTestCommon):
    """Each way a salesperson found around the gate, over RPC-style calls: refused,
    and nothing changed after the refusal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls._create_user("gate_billing", "account.group_account_invoice")
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Harbour Bakery", "is_company": True}
        )

    @contextmanager
    def _refused(self, exception, pattern):
        """Odoo's assertRaises rolls back what the refused call did, as a refused RPC
        is rolled back; then the message is checked."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def _down_payment_line(self, order):
        return order.order_line.filtered(lambda line: line.is_downpayment and not line.display_type)

    def _assert_unchanged(self, order, **values):
        # The refused call's transaction is rolled back, as an RPC's would be: read
        # what the database holds.
        self.env.invalidate_all()
        for name, value in values.items():
            self.assertEqual(order[name], value, name)

    def _paid_down_payment(self, partner, amount=300.0):
        """Another order's down payment, invoiced and fully paid."""
        order = self._create_quotation(partner=partner)
        invoice = self._request_deposit(order, user=self.sales_manager)
        self._pay(invoice, invoice.amount_total, fields.Date.today())
        return invoice

    def test_a_cancelled_quotation_cannot_be_written_to_sale(self):
        order = self._create_quotation(user=self.salesperson)
        order.with_user(self.salesperson)._action_cancel()
        self.assertEqual(order.state, "cancel")
        # Neither a salesperson nor a sales manager (a deposit manager) gets round it.
        for user in (self.salesperson, self.sales_manager):
            with self._refused(UserError, "Only quotations can be confirmed"):
                order.with_user(user).write({"state": "sale"})
            self._assert_unchanged(order, state="cancel")
        # A copy is a new quotation: copied as confirmed, it passes the same gate.
        with self._refused(UserError, "deposit is paid in full"):
            order.with_user(self.salesperson).copy({"state": "sale"})
        # Created cancelled, then written or imported as confirmed: refused alike.
        cancelled = self._create_quotation(user=self.salesperson, state="cancel")
        with self._refused(UserError, "Only quotations can be confirmed"):
            cancelled.with_user(self.salesperson).write({"state": "sale"})
        result = (
            self.env(user=self.salesperson)["sale.order"]
            .with_company(self.company)
            .load([".id", "state"], [[str(cancelled.id), "sale"]])
        )
        self.assertFalse(result["ids"])
        self.assertIn("Only quotations", result["messages"][0]["message"])
        self._assert_unchanged(cancelled, state="cancel")

    def test_a_cancelled_quotation_of_a_customer_on_hold_stays_cancelled(self):
        self.rule_new.active = False
        self.customer.dunning_credit_hold = True
        order = self._create_quotation(user=self.salesperson, state="cancel")
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).write({"state": "sale"})
        self._assert_unchanged(order, state="cancel")

    def test_the_gate_checks_the_order_as_the_write_leaves_it(self):
        known = self.env["res.partner"].create({"name": "Known Ltd", "is_company": True})
        invoice = self._create_dunning_invoice(known, 100.0, "2026-01-31")
        self._pay(invoice, 100.0, "2026-01-31")
        order = self._create_quotation(partner=known, user=self.salesperson)
        self.assertEqual(order.deposit_state, "not_required")
        as_seller = order.with_user(self.salesperson)
        with self._refused(UserError, "deposit is paid in full"):
            as_seller.write({"partner_id": self.customer.id, "state": "sale"})
        self._assert_unchanged(order, state="draft", partner_id=known)
        # More lines in the same call make a big order that needs a deposit.
        self.Rule.create({"name": "Big orders", "min_amount": 5000.0, "percent": 50.0})
        line = Command.create(
            {"product_id": self.product.id, "product_uom_qty": 9, "tax_id": [Command.clear()]}
        )
        with self._refused(UserError, r"Required: \$\xa05,000.00"):
            as_seller.write({"order_line": [line], "state": "sale"})
        self._assert_unchanged(order, state="draft", amount_total=1000.0)
        # A switch of currency in the same call: 6,000 EUR is 3,000 in the company's
        # currency, under the bar; back to the company's currency it is above it.
        currency = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": currency.id, "company_id": self.company.id}
        )
        in_eur = self._create_quotation(
            partner=known, user=self.salesperson, price=6000.0, pricelist_id=pricelist.id
        )
        self.assertEqual((in_eur.currency_id, in_eur.deposit_state), (currency, "not_required"))
        with self._refused(UserError, "deposit is paid in full"):
            in_eur.with_user(self.salesperson).write({"pricelist_id": False, "state": "sale"})
        self._assert_unchanged(in_eur, state="draft", pricelist_id=pricelist)

    def test_money_links_cannot_be_written_by_hand(self):
        order = self._create_quotation(user=self.salesperson)
        down_payment = self._paid_down_payment(self.other_customer)
        others_line = down_payment.invoice_line_ids.filtered("is_downpayment")
        self._request_deposit(order)
        own_line = self._down_payment_line(order)
        product_line = self._product_lines(order)
        with self.assertRaises(AccessError, msg="turn a line into a down payment"):
            product_line.with_user(self.salesperson).is_downpayment = True
        with self.assertRaises(AccessError, msg="link another invoice to the order line"):
            own_line.with_user(self.salesperson).write(
                {"invoice_lines": [Command.link(others_line.id)]}
            )
        with self.assertRaises(AccessError, msg="or from the invoice side"):
            others_line.with_user(self.billing).write(
                {"sale_line_ids": [Command.link(own_line.id)]}
            )
        with self.assertRaises(AccessError, msg="link transactions"):
            order.with_user(self.salesperson).write({"transaction_ids": [Command.set([])]})
        with self.assertRaises(AccessError, msg="create an order with transactions"):
            self._create_quotation(user=self.salesperson, transaction_ids=[Command.set([])])
        self.assertEqual(order.deposit_state, "missing")
        self.assertNotIn(others_line, own_line.invoice_lines)

    def test_another_customers_money_never_counts(self):
        order = self._create_quotation(user=self.salesperson)
        self._request_deposit(order)
        own_line = self._down_payment_line(order)
        others_line = self._paid_down_payment(self.other_customer).invoice_line_ids.filtered(
            "is_downpayment"
        )
        # Even linked behind the rules' back, it is not this customer's money.
        own_line.sudo().invoice_lines = [Command.link(others_line.id)]
        self.assertEqual(order.deposit_received_amount, 0.0)
        with self._refused(UserError, "deposit is paid in full"):
            order.with_user(self.salesperson).action_confirm()
        self._assert_unchanged(order, state="draft")

    def test_a_write_off_is_not_money_received(self):
        order = self._create_quotation(quantity=2, user=self.salesperson)
        invoice = self._request_deposit(order)
        writeoff = self.company_data["default_account_expense"]
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create(
            {
                "amount": 1.0,
                "payment_difference_handling": "reconcile",
                "writeoff_account_id": writeoff.id,
                "writeoff_label": "Rest written off",
            }
        )._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(order.deposit_received_amount, 1.0)
        self.assertEqual(order.deposit_missing_amount, 599.0)
        with self._refused(UserError, r"missing: \$\xa0599.00"):
            order.with_user(self.salesperson).action_confirm()

    def test_a_stale_requirement_is_recomputed_at_confirmation(self):
        known = self.env["res.partner"].create({"name": "Known Ltd", "is_company": True})
        invoice = self._create_dunning_invoice(known, 100.0, "2026-01-31")
        payment = self._pay(invoice, 100.0, "2026-01-31")
        order = self._create_quotation(partner=known, user=self.salesperson)
        self.assertEqual(order.deposit_state, "not_required")
        # The customer's history changes: its only payment is taken back.
        payment.action_draft()
        payment.action_cancel()
        self.assertEqual(invoice.payment_state, "not_paid")
        with self._refused(UserError, "deposit is paid in full"):
            order.with_user(self.salesperson).action_confirm()
        with self._refused(UserError, "deposit is paid in full"):
            order.with_user(self.salesperson).write({"state": "sale"})
        self._assert_unchanged(order, state="draft")

    def test_a_new_rule_or_customer_setting_applies_to_open_quotations(self):
        self.rule_new.active = False
        order = self._create_quotation(user=self.salesperson)
        self.assertEqual(order.deposit_state, "not_required")
        self.customer.deposit_policy = "always"
        self.assertEqual(order.deposit_required_amount, 300.0, "company default of 30 %")
        self.customer.deposit_policy = "rules"
        self.assertEqual(order.deposit_state, "not_required")
        self.Rule.create({"name": "Everyone", "percent": 10.0})
        self.assertEqual(order.deposit_required_amount, 100.0)
        with self._refused(UserError, r"missing: \$\xa0100.00"):
            order.with_user(self.salesperson).action_confirm()

    def test_credit_hold_of_the_invoice_address_blocks(self):
        self.rule_new.active = False
        self.other_customer.dunning_credit_hold = True
        payer = self.env["res.partner"].create(
            {"name": "Accounts", "parent_id": self.other_customer.id, "type": "invoice"}
        )
        order = self._create_quotation(user=self.salesperson, partner_invoice_id=payer.id)
        self.assertTrue(order.deposit_credit_hold)
        with self._refused(UserError, "is on credit hold"):
            order.with_user(self.salesperson).action_confirm()
        with self._refused(UserError, "is on credit hold"):
            order.with_user(self.salesperson).write({"state": "sale"})
        self._assert_unchanged(order, state="draft")


@tagged("post_install", "-at_install")
class TestDepositWaiver(DepositTestCommon):
    def test_manager_waives_with_a_reason_and_it_is_logged(self):
        order = self._create_quotation(quantity=2)
        self._pay(self._request_deposit(order), 100.0, fields.Date.today())
        self._waive(order, self.sales_manager, "Long-standing partner")
        self.assertEqual(order.deposit_state, "waived")
        self.assertEqual(order.deposit_missing_amount, 0.0)
        self.assertEqual(order.deposit_waived_by_id, self.sales_manager)
        self.assertEqual(order.deposit_waiver_reason, "Long-standing partner")
        message = self._messages(order, "Deposit waived by")
        self.assertEqual(len(message), 1)
        text = html2plaintext(message.body)
        self.assertIn(f"Deposit waived by {self.sales_manager.name}", text)
        self.assertIn("$\xa0500.00 missing of $\xa0600.00 required", text)
        self.assertIn("Long-standing partner", message.body)
        self.assertEqual(message.author_id, self.sales_manager.partner_id)
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_a_quotations_deposit_invoice_is_not_dunned_until_the_order_is_confirmed(self):
        order = self._create_quotation(quantity=2)
        invoice = self._request_deposit(order)
        self._pay(invoice, 100.0, fields.Date.today())
        self.assertEqual(invoice.payment_state, "partial")
        late = fields.Date.add(invoice.invoice_date_due, days=40)
        run = self._run_dunning(late)
        self.assertFalse(invoice.dunning_open, "a deposit asked is not a debt yet")
        self.assertTrue(invoice.dunning_awaits_order)
        with self.assertRaises(AccessError):
            invoice.write({"dunning_awaits_order": False})  # the server's fact, not a switch
        self.assertNotIn(invoice, run.notice_ids.line_ids.move_id)
        self.assertFalse(invoice.dunning_level_id)
        # Waived and confirmed, what is left of it is owed like any invoice.
        self._waive(order, self.sales_manager, "Starts anyway")
        order.with_user(self.salesperson).action_confirm()
        invoice.invalidate_recordset(["dunning_open"])
        self.assertTrue(invoice.dunning_open)
        run = self._run_dunning(fields.Date.add(late, days=1))
        self.assertIn(invoice, run.notice_ids.line_ids.filtered("dunned").move_id)

    def test_waiver_covers_only_the_requirement_it_saw(self):
        order = self._create_quotation()
        self._waive(order, self.sales_manager, "Trusted")
        self.assertEqual(order.deposit_state, "waived")
        order.order_line.product_uom_qty = 10
        self.assertEqual(order.deposit_state, "missing", "3,000 is more than the 300 waived")
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).action_confirm()

    def test_a_reason_is_required(self):
        order = self._create_quotation()
        with self.assertRaisesRegex(UserError, "reason"):
            self._waive(order, self.sales_manager, "   ")
        self.assertEqual(order.deposit_state, "missing")

    def test_salesperson_cannot_waive_on_any_path(self):
        order = self._create_quotation(user=self.salesperson)
        as_seller = order.with_user(self.salesperson)
        with self.assertRaises(AccessError, msg="the wizard"):
            self._waive(order, self.salesperson, "Please")
        with self.assertRaises(AccessError, msg="RPC write"):
            as_seller.write({"deposit_waived": True, "deposit_waived_amount": 300.0})
        with self.assertRaises(AccessError, msg="computed fields"):
            as_seller.write({"deposit_required_amount": 0.0})
        with self.assertRaises(AccessError, msg="create"):
            self._create_quotation(user=self.salesperson, deposit_waived=True)
        result = (
            self.env(user=self.salesperson)["sale.order"]
            .with_company(self.company)
            .load(
                ["partner_id/.id", "deposit_waived", "deposit_waived_amount"],
                [[str(self.customer.id), "1", "300"]],
            )
        )
        self.assertFalse(result["ids"], "import")
        self.assertIn("may change", result["messages"][0]["message"])
        with self.assertRaises(AccessError, msg="the customer's deposit setting"):
            self.customer.with_user(self.salesperson).deposit_policy = "never"
        self.assertEqual(order.deposit_state, "missing")
        # Even a manager cannot write the computed figures by hand.
        with self.assertRaises(AccessError):
            order.with_user(self.sales_manager).write({"deposit_received_amount": 300.0})
        # The manager may set the customer's own deposit.
        self.customer.with_user(self.sales_manager).deposit_policy = "never"

    def test_sales_manager_is_a_deposit_manager(self):
        self.assertTrue(self.sales_manager.has_group("account_dunning.group_deposit_manager"))
        self.assertFalse(self.salesperson.has_group("account_dunning.group_deposit_manager"))


@tagged("post_install", "-at_install")
class TestDepositOnlinePayment(DepositTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["payment.provider"].create(
            {
                "name": "Deposit test provider",
                "code": "none",
                "state": "test",
                "is_published": True,
                "company_id": cls.company.id,
                "payment_method_ids": [
                    Command.set(cls.env.ref("payment.payment_method_unknown").ids)
                ],
            }
        )
        cls.env.ref("payment.payment_method_unknown").active = True
        # As Odoo's own AccountPaymentCommon does: let the test provider's code ('none')
        # have an accounting payment method, so its payments are really posted.
        method_model = cls.env.registry["account.payment.method"]
        information = method_model._get_payment_method_information

        def with_test_provider(self):
            return dict(information(self), none={"mode": "electronic", "type": ("bank",)})

        with patch.object(method_model, "_get_payment_method_information", with_test_provider):
            cls.env["account.payment.method"].sudo().create(
                {"name": "Test provider", "code": "none", "payment_type": "inbound"}
            )
            cls.provider.journal_id = cls.company_data["default_journal_bank"]
        cls.provider.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == cls.provider
        ).payment_account_id = cls.inbound_payment_method_line.payment_account_id

    def _pay_online(self, order, amount, reference):
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
                    "amount": amount,
                    "currency_id": order.currency_id.id,
                    "partner_id": order.partner_id.id,
                    "reference": reference,
                    "operation": "online_redirect",
                    "sale_order_ids": [Command.set(order.ids)],
                }
            )
        )
        tx._set_done()
        tx._post_process()
        return tx

    def test_too_small_online_payment_does_not_confirm(self):
        self.company.portal_confirmation_pay = False
        order = self._create_quotation(quantity=2)
        order.action_quotation_sent()
        self.assertTrue(order._has_to_be_paid(), "the portal asks for the deposit")
        self.assertEqual(order._get_prepayment_required_amount(), 600.0)
        self._pay_online(order, 200.0, "DEP-1")
        self.assertEqual(order.state, "sent", "not confirmed by a 200 payment")
        self.assertEqual(order.deposit_state, "partial")
        self.assertEqual(order.deposit_missing_amount, 400.0)
        self.assertTrue(order._has_to_be_paid())
        self._pay_online(order, 400.0, "DEP-2")
        self.assertEqual(order.deposit_received_amount, 600.0)
        self.assertEqual(order.state, "sale", "the customer's payment confirmed it")
        self.assertEqual(order.deposit_state, "paid")
        payments = order.transaction_ids.payment_id
        self.assertEqual(sorted(payments.mapped("amount")), [200.0, 400.0])
        self.assertLessEqual(set(payments.mapped("state")), {"in_process", "paid"}, "posted")

    def test_the_deposit_rule_decides_whatever_the_prepayment_percentage(self):
        # The company asks 100 % online; the 30 % deposit is what confirms the order.
        self.company.write({"portal_confirmation_pay": True, "prepayment_percent": 1.0})
        order = self._create_quotation(quantity=2)
        order.action_quotation_sent()
        self.assertEqual(order._get_prepayment_required_amount(), 600.0)
        self._pay_online(order, 600.0, "DEP-3")
        self.assertEqual(order.deposit_state, "paid")
        self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestDepositUi(HttpCase):
    """A salesperson in a real browser: Confirm is refused, the order stays a quotation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.env["sale.deposit.rule"].search([]).active = False  # the demo's rules
        cls.env["sale.deposit.rule"].create(
            {"name": "Everyone", "company_id": cls.company.id, "percent": 25.0}
        )
        cls.salesperson = cls.env["res.users"].create(
            {
                "name": "Tour Seller",
                "login": "tour_seller",
                "password": "tour_seller",
                "email": "seller@tour.example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [Command.set(cls.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        customer = cls.env["res.partner"].create({"name": "Tour Customer", "is_company": True})
        cls.product = cls.env["product.product"].create(
            {"name": "Survey", "type": "service", "list_price": 800.0, "taxes_id": False}
        )
        cls.order = cls._create_order(customer)

    @classmethod
    def _create_order(cls, customer):
        return (
            cls.env["sale.order"]
            .with_user(cls.salesperson)
            .create(
                {
                    "partner_id": customer.id,
                    "order_line": [Command.create({"product_id": cls.product.id, "tax_id": False})],
                }
            )
        )

    def _sent_quotation(self):
        """A quotation of 800.00 sent to a customer who follows it: 200.00 deposit."""
        customer = self.env["res.partner"].create(
            {"name": "Tour Client", "is_company": True, "email": "client@tour.example.com"}
        )
        order = self._create_order(customer)
        order.action_quotation_sent()
        order.message_subscribe(partner_ids=customer.ids)
        return order

    def test_salesperson_sees_confirmation_refused(self):
        self.assertEqual(self.order.deposit_required_amount, 200.0)
        self.start_tour(
            f"/odoo/sales/{self.order.id}",
            "account_dunning_deposit_blocks_confirm",
            login="tour_seller",
        )
        self.assertEqual(self.order.state, "draft")

    def test_salesperson_requests_the_deposit_instead_of_confirming(self):
        order = self._sent_quotation()
        self.assertTrue(order.deposit_blocks_confirmation)
        self.start_tour(
            f"/odoo/sales/{order.id}",
            "account_dunning_deposit_request",
            login="tour_seller",
        )
        self.assertEqual(order.state, "sent", "refused, still a quotation")
        invoice = order._get_deposit_invoices()
        self.assertEqual(invoice.amount_total, 200.0)
        self.assertEqual(order.deposit_invoiced_amount, 200.0, "invoiced, awaiting payment")
        sent = invoice.message_ids.filtered(lambda message: message.message_type == "comment")
        self.assertEqual(len(sent), 1, "the deposit email")
        self.assertIn("deposit", sent.subject)
        body = html2plaintext(sent.body)
        for words in (
            "we ask for a deposit of",
            "200.00",
            order.name,
            invoice.name,
            "Pay the deposit",
        ):
            self.assertIn(words, body)
        self.assertNotIn("Here is your", body)
        self.assertIn(f"/my/invoices/{invoice.id}?access_token={invoice.access_token}", sent.body)
        self.assertIn(invoice.partner_id, sent.partner_ids)
        self.assertTrue(sent.attachment_ids, "the deposit invoice is attached")

    def test_portal_customer_sees_the_deposit_due_on_my(self):
        order = self._sent_quotation()
        client = order.partner_id
        portal = self.env["res.users"].create(
            {
                "name": "Tour Client Office",
                "login": "tour_client",
                "password": "tour_client",
                "parent_id": client.id,
                "groups_id": [Command.set(self.env.ref("base.group_portal").ids)],
            }
        )
        self.assertEqual(portal.partner_id.commercial_partner_id, client)
        self.start_tour("/my", "account_dunning_portal_deposit_due", login="tour_client")
        # Another customer's deposit is not said.
        self.env["res.users"].create(
            {
                "name": "Stranger",
                "login": "tour_stranger",
                "password": "tour_stranger",
                "groups_id": [Command.set(self.env.ref("base.group_portal").ids)],
            }
        )
        self.authenticate("tour_stranger", "tour_stranger")
        self.assertNotIn("o_portal_deposit_due", self.url_open("/my").text)

    def test_portal_shows_the_deposit(self):
        self.order.action_quotation_sent()
        response = self.url_open(self.order.get_portal_url())
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn('id="deposit_info"', page)
        self.assertIn("A deposit is required before we start.", page)
        self.assertIn("200.00", page)


@tagged("post_install", "-at_install")
class TestDepositPaidOnPortal(DepositTestCommon, HttpCase):
    """A customer pays the deposit online, on the quotation's page or on the deposit
    invoice's, with Odoo's Demo provider: the deposit invoice is settled, the order
    confirms itself once, and nothing is asked twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider, cls.method = cls._setup_demo_provider()
        # The company asks for the whole amount online: the deposit rule decides.
        cls.company.write({"portal_confirmation_pay": True, "prepayment_percent": 1.0})

    def _quotation(self):
        order = self._create_quotation(quantity=2)  # 2,000.00: a 600.00 deposit
        order.action_quotation_sent()
        self.assertEqual(order.deposit_missing_amount, 600.0)
        return order

    def _pay(self, route, access_token, amount):
        """What the portal's payment form posts for `amount`, not logged in; then
        the Demo provider's success, notified twice."""
        processing = self.make_jsonrpc_request(
            route,
            dict(
                self._payment_form_values(self.provider, self.method, access_token),
                amount=amount,
            ),
        )
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", processing["reference"])])
        )
        for _twice in range(2):
            self.make_jsonrpc_request(
                "/payment/demo/simulate_payment",
                {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"},
            )
        tx._post_process()
        return tx

    def test_the_quotation_page_states_and_charges_the_deposit(self):
        order = self._quotation()
        page = self.url_open(order.get_portal_url()).text
        self.assertIn("Paying online now charges", page)
        self.assertIn("o_deposit_charge", page, "the sign-and-pay dialog says what it charges")
        self.assertIn("600.00", page)
        self.assertEqual(order._get_prepayment_required_amount(), 600.0)

    def test_paid_on_the_quotation_page_before_any_deposit_invoice(self):
        order = self._quotation()
        tx = self._pay(order.get_portal_url(suffix="/transaction"), order.access_token, 600.0)
        self.assertEqual(order.state, "sale", "the deposit confirmed it, not the 100 %")
        self.assertEqual(order.deposit_received_amount, 600.0)
        self.assertEqual(len(tx.payment_id), 1)
        self.assertFalse(tx.invoice_ids, "no deposit invoice to settle")

    def test_paid_on_the_quotation_page_after_the_deposit_invoice(self):
        order = self._quotation()
        invoice = self._request_deposit(order)
        tx = self._pay(order.get_portal_url(suffix="/transaction"), order.access_token, 600.0)
        self.assertEqual(tx.invoice_ids, invoice, "the payment settles the deposit invoice")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.deposit_received_amount, 600.0, "counted once")
        self.assertEqual(
            self.env["account.payment"].search_count([("partner_id", "=", self.customer.id)]), 1
        )

    def test_paid_on_the_deposit_invoices_page(self):
        order = self._quotation()
        invoice = self._request_deposit(order)
        invoice._portal_ensure_token()
        tx = self._pay(f"/invoice/transaction/{invoice.id}", invoice.access_token, 600.0)
        self.assertEqual(tx.invoice_ids, invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(order.state, "sale", "the order confirms itself")
        self.assertFalse(order._has_to_be_paid() and order.deposit_outstanding)
