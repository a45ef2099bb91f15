from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import DUE, DunningTestCommon, day


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
            # An import refuses the rows too, by their own access rights.
            imported = Row.with_user(user).load(
                ["id", "move_id/.id", "level_id/.id"],
                [["__import__.row", str(invoice.id), str(self.level_final.id)]],
            )
            self.assertFalse(imported["ids"], f"{role}: import a row")
        self.assertEqual(row.level_id, self.level_friendly, "nothing changed")
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

    def test_a_leveled_invoice_switched_to_a_credit_note_is_refused(self):
        draft = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01", post=False)
        draft.dunning_level_id = self.level_friendly
        with self.assertRaisesRegex(ValidationError, "only customer invoices"):
            draft.action_switch_move_type()

    def test_no_role_writes_the_rows_through_the_invoice(self):
        invoice = self._create_dunning_invoice(self.customer, 100.0, "2026-03-01")
        invoice.dunning_level_id = self.level_friendly
        row = self._row(invoice)
        for group in (
            "account_dunning.group_dunning_manager",
            "account_dunning.group_dunning_user",
            "account.group_account_manager",
            "sales_team.group_sale_salesman",
        ):
            user = self._create_user(f"rows_{group.split('.')[1]}", group)
            for commands in (
                [Command.update(row.id, {"level_id": self.level_final.id})],
                [Command.create({"level_id": self.level_final.id})],
                [Command.delete(row.id)],
                [Command.clear()],
            ):
                with self.assertRaises(AccessError, msg=f"{group}: {commands}"):
                    invoice.with_user(user).write({"dunning_level_row_ids": commands})
        self.assertEqual(self._row(invoice), row)
        self.assertEqual(row.level_id, self.level_friendly)

    def test_an_invoice_being_paid_is_left_to_the_next_run(self):
        """A payment holds the invoice's row while it is recorded: the run does not
        wait for it, and does not move an invoice that may be paid in a moment."""
        # Only committed data is seen by another cursor: the demo invoices.
        main_company = self.env.ref("base.main_company")
        run_date = fields.Date.add(fields.Date.today(), days=400)
        with self.registry.cursor() as cr_pay, self.registry.cursor() as cr_run:
            env_run = api.Environment(cr_run, SUPERUSER_ID, {})
            try:
                run = env_run["account.dunning.run"].create(
                    {"company_id": main_company.id, "date": run_date}
                )
                plan = run._prepare_dunning_plan(main_company.with_env(env_run), run_date)
                if not plan["dunnings"]:
                    self.skipTest("needs the demo invoices of the main company")
                paid_id = plan["dunnings"][0]["move_id"]
                # The payment: it updates the invoice's amounts, holding its row.
                cr_pay.execute(
                    "SELECT id FROM account_move WHERE id = %s FOR NO KEY UPDATE", [paid_id]
                )
                cr_run.execute("SET LOCAL lock_timeout = '2s'")
                run._run_dunning()
                locked = run.log_ids.filtered(lambda log: log.reason == "locked")
                self.assertEqual(locked.move_id.ids, [paid_id])
                paid = env_run["account.move"].browse(paid_id)
                self.assertNotIn(paid, run.notice_ids.line_ids.filtered("dunned").move_id)
                self.assertTrue(run.notice_ids, "the others were dunned")
            finally:
                cr_pay.rollback()
                cr_run.rollback()
