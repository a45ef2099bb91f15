from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-31")
class TestAccountMoveDunning(DunningTestCommon):
    def test_days_overdue(self):
        late = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        not_due = self._create_dunning_invoice(self.customer, 100.0, "2026-04-10")
        draft = self._create_dunning_invoice(self.customer, 100.0, "2026-01-01", post=False)
        paid = self._create_dunning_invoice(self.customer, 100.0, "2026-01-01")
        self._pay(paid, 100.0, "2026-03-30")
        self.assertEqual(late.dunning_days_overdue, 30)
        self.assertEqual(not_due.dunning_days_overdue, 0)
        self.assertEqual(draft.dunning_days_overdue, 0)
        self.assertEqual(paid.dunning_days_overdue, 0)
        with freeze_time("2026-04-30"):
            late.invalidate_recordset(["dunning_days_overdue"])
            self.assertEqual(late.dunning_days_overdue, 60)

    def test_open_for_dunning_is_searchable_as_the_in_dunning_filter_uses_it(self):
        late = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        draft = self._create_dunning_invoice(self.customer, 100.0, "2026-01-01", post=False)
        paid = self._create_dunning_invoice(self.customer, 100.0, "2026-01-01")
        self._pay(paid, 100.0, "2026-03-30")
        partly = self._create_dunning_invoice(self.customer, 100.0, "2026-01-01")
        self._pay(partly, 40.0, "2026-03-30")
        moves = late | draft | paid | partly
        self.assertEqual(moves.filtered("dunning_open"), late | partly)
        Move = self.env["account.move"]
        mine = [("id", "in", moves.ids)]
        self.assertEqual(Move.search([*mine, ("dunning_open", "=", True)]), late | partly)
        self.assertEqual(Move.search([*mine, ("dunning_open", "=", False)]), draft | paid)
        self.assertEqual(Move.search([*mine, ("dunning_open", "!=", True)]), draft | paid)

    def test_blocking_needs_a_reason(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        with self.assertRaisesRegex(ValidationError, "reason"):
            invoice.dunning_blocked = True
        invoice.write({"dunning_blocked": True, "dunning_block_reason": "Disputed delivery"})
        self.assertTrue(invoice.dunning_blocked)

    def test_block_from_the_invoice_form(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        form = Form(invoice)
        form.dunning_blocked = True
        with self.assertRaisesRegex(ValidationError, "reason"):
            form.save()  # a block without a reason is refused
        form.dunning_block_reason = "Customer disputes the hours billed"
        form.save()
        self.assertEqual(invoice.dunning_block_reason, "Customer disputes the hours billed")

    def test_only_customer_invoices_have_a_level(self):
        bill = self.init_invoice("in_invoice", partner=self.customer, amounts=[100.0], post=True)
        with self.assertRaisesRegex(ValidationError, "only customer invoices"):
            bill.dunning_level_id = self.level_friendly

    def test_level_of_another_company_is_rejected(self):
        other_company = self.setup_other_company()["company"]
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        both = invoice.with_context(allowed_company_ids=(self.company | other_company).ids)
        foreign_level = other_company.with_env(both.env).dunning_policy_id.level_ids[:1]
        with self.assertRaisesRegex(ValidationError, "another company"):
            both.dunning_level_id = foreign_level

    def test_copy_starts_a_fresh_ladder(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        invoice.write(
            {
                "dunning_level_id": self.level_call.id,
                "last_dunning_date": "2026-03-15",
                "dunning_blocked": True,
                "dunning_block_reason": "Disputed",
            }
        )
        copy = invoice.copy()
        self.assertFalse(copy.dunning_level_id)
        self.assertFalse(copy.last_dunning_date)
        self.assertFalse(copy.dunning_blocked)

    def test_search_filters_and_grouping(self):
        in_dunning = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        in_dunning.dunning_level_id = self.level_friendly
        blocked = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        blocked.write({"dunning_blocked": True, "dunning_block_reason": "Disputed"})
        arch = self.env["account.move"].get_views([(False, "search")])["views"]["search"]["arch"]
        for name in ("late", "in_dunning", "dunning_blocked", "group_by_dunning_level"):
            self.assertIn(f'name="{name}"', arch)
        Move = self.env["account.move"]
        in_dunning_domain = [
            ("dunning_level_id", "!=", False),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        self.assertEqual(Move.search(in_dunning_domain), in_dunning)
        self.assertEqual(Move.search([("dunning_blocked", "=", True)]), blocked)
        groups = Move._read_group(
            [("partner_id", "=", self.customer.id)], ["dunning_level_id"], ["__count"]
        )
        self.assertIn((self.level_friendly, 1), groups)

    def test_level_changes_are_tracked_in_the_chatter(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        # Close the creation's tracking (disabled in tests) as a commit would.
        self.env.flush_all()
        self.env.cr.precommit.run()
        invoice.with_context(
            tracking_disable=False, mail_notrack=False
        ).dunning_level_id = self.level_friendly
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written just before commit
        invoice.invalidate_recordset(["message_ids"])
        tracked = invoice.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "dunning_level_id"
        )
        self.assertTrue(tracked, "the level change must be kept on record")
