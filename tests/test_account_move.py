from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import DUE, DunningTestCommon, day


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


@tagged("post_install", "-at_install")
@freeze_time("2026-03-31")
class TestInvoiceLevelRows(DunningTestCommon):
    """An invoice's place on the ladder is a row of account.dunning.move.level: the
    run moves thousands of them without writing a single invoice."""

    def _row(self, invoice):
        return self.env["account.dunning.move.level"].search([("move_id", "=", invoice.id)])

    def test_posting_gives_the_invoice_its_row_and_its_next_level_date(self):
        draft = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01", post=False)
        self.assertFalse(self._row(draft), "a draft is on no ladder")
        self.assertFalse(draft.dunning_next_level_date)
        draft.action_post()
        row = self._row(draft)
        self.assertEqual(len(row), 1)
        self.assertFalse(row.level_id)
        # Overdue since 1 March: due for its first level already.
        self.assertLessEqual(row.next_level_date, fields.Date.to_date("2026-03-31"))
        self.assertEqual(draft.dunning_next_level_date, row.next_level_date)
        self._pay(draft, 100.0, "2026-03-31")
        self.assertFalse(draft.dunning_next_level_date, "paid: it moves no more")

    def test_the_run_moves_the_rows_and_leaves_the_invoices_unwritten(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, DUE)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET write_date = '2026-01-01' WHERE id = %s", [invoice.id]
        )
        invoice.invalidate_recordset()
        run = self._run_dunning(day(7))
        self.assertTrue(run.notice_ids)
        level = run.notice_ids.level_id
        self.assertEqual(invoice.dunning_level_id, level)
        self.assertEqual(invoice.last_dunning_date, day(7))
        self.assertEqual(self._row(invoice).level_id, level)
        self.assertEqual(
            invoice.write_date.date(),
            fields.Date.to_date("2026-01-01"),
            "the run writes the level row, not the invoice",
        )

    def test_an_invoice_without_a_row_stands_at_no_level(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        leveled = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        leveled.dunning_level_id = self.level_friendly
        self._row(invoice).sudo().unlink()
        Move = self.env["account.move"]
        mine = [("id", "in", (invoice | leveled).ids)]
        self.assertEqual(Move.search([*mine, ("dunning_level_id", "=", False)]), invoice)
        self.assertEqual(Move.search([*mine, ("dunning_level_id", "!=", False)]), leveled)
        self.assertEqual(
            Move.search([*mine, ("dunning_level_id", "!=", self.level_call.id)]),
            invoice | leveled,
        )
        self.assertEqual(Move.search([*mine, ("last_dunning_date", "=", False)]), invoice | leveled)
        # Sorted and grouped in SQL through the row, as by a column of the invoice.
        self.assertEqual(
            Move.search(mine, order="dunning_level_id, id").ids, [leveled.id, invoice.id]
        )
        groups = dict(Move._read_group(mine, ["dunning_level_id"], ["__count"]))
        self.assertEqual(groups, {self.level_friendly: 1, self.env["account.dunning.level"]: 1})
        # Installing on a database of posted invoices gives them their rows.
        created = self.env["account.dunning.move.level"].sudo()._create_for_posted_invoices()
        self.assertIn(invoice, created.move_id)
        self.assertTrue(self._row(invoice).next_level_date)

    def test_no_role_writes_a_row_by_hand(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        invoice.dunning_level_id = self.level_friendly
        row = self._row(invoice)
        users = {
            "manager": self._create_user("row_manager", "account_dunning.group_dunning_manager"),
            "collector": self._create_user("row_collector", "account_dunning.group_dunning_user"),
            "salesperson": self._create_user("row_sales", "sales_team.group_sale_salesman"),
            "billing": self._create_user("row_billing", "account.group_account_invoice"),
        }
        Row = self.env["account.dunning.move.level"]
        for role, user in users.items():
            with self.assertRaises(AccessError, msg=f"{role}: write a row"):
                row.with_user(user).write({"level_id": self.level_final.id})
            with self.assertRaises(AccessError, msg=f"{role}: create a row"):
                Row.with_user(user).create({"move_id": invoice.id})
            with self.assertRaises(AccessError, msg=f"{role}: copy a row"):
                row.with_user(user).copy({"move_id": invoice.id})
            with self.assertRaises(AccessError, msg=f"{role}: delete a row"):
                row.with_user(user).unlink()
        # Who may not change an invoice's level cannot through the invoice either.
        for role in ("salesperson", "billing"):
            with self.assertRaises(AccessError, msg=f"{role}: level an invoice"):
                invoice.with_user(users[role]).dunning_level_id = self.level_final
        # The collector may, through the invoice's field, and it lands on the row.
        invoice.with_user(users["collector"]).dunning_level_id = self.level_call
        self.assertEqual(row.level_id, self.level_call)
        # Whoever reads invoices finds them by their level.
        found = (
            self.env["account.move"]
            .with_user(users["billing"])
            .search([("id", "=", invoice.id), ("dunning_level_id", "=", self.level_call.id)])
        )
        self.assertEqual(found.id, invoice.id)
