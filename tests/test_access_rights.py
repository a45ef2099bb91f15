from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
class TestDunningAccessRights(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Internal users edit contacts through "Contact Creation", as in a default database.
        cls.salesman = cls._create_user(
            "dun_salesman", "sales_team.group_sale_salesman,base.group_partner_manager"
        )
        cls.billing = cls._create_user("dun_billing", "account.group_account_invoice")
        cls.collector = cls._create_user(
            "dun_collector", "account_dunning.group_dunning_user,base.group_partner_manager"
        )
        cls.dunning_manager = cls._create_user(
            "dun_manager", "account_dunning.group_dunning_manager"
        )
        cls.accounting_manager = cls._create_user(
            "dun_acc_manager", "account.group_account_manager"
        )
        cls.invoice = cls._create_dunning_invoice(cls.customer, 300.0, "2020-05-01")

    def test_group_hierarchy(self):
        self.assertTrue(self.dunning_manager.has_group("account_dunning.group_dunning_user"))
        self.assertTrue(self.accounting_manager.has_group("account_dunning.group_dunning_manager"))
        self.assertTrue(self.collector.has_group("account.group_account_invoice"))
        self.assertFalse(self.billing.has_group("account_dunning.group_dunning_user"))
        self.assertFalse(self.salesman.has_group("account_dunning.group_dunning_user"))

    def test_salesman_cannot_read_the_configuration(self):
        with self.assertRaises(AccessError):
            self.policy.with_user(self.salesman).read(["name"])

    def test_salesman_cannot_change_collection_fields_of_a_customer(self):
        customer = self.customer.with_user(self.salesman)
        with self.assertRaisesRegex(AccessError, "Exclude from Dunning"):
            customer.write({"dunning_excluded": True, "dunning_exclusion_reason": "Friend"})
        with self.assertRaisesRegex(AccessError, "Collector"):
            customer.dunning_responsible_id = self.salesman
        with self.assertRaisesRegex(AccessError, "Collection Stage"):
            self.env["res.partner"].with_user(self.salesman).create(
                {"name": "Sneaky Ltd", "dunning_credit_hold": False, "dunning_stage": "legal"}
            )

    def test_salesman_still_edits_customers_and_contacts(self):
        self.customer.write({"dunning_credit_hold": True, "dunning_stage": "payment_plan"})
        customer = self.customer.with_user(self.salesman)
        customer.write({"phone": "+44 20 7946 0000", "dunning_stage": "payment_plan"})
        contact = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .create({"name": "Mr Vale", "parent_id": self.customer.id})
        )
        with Form(customer) as form:
            form.website = "https://lakeside.example.com"
        self.assertEqual(contact.commercial_partner_id, self.customer)
        self.assertTrue(self.customer.dunning_credit_hold)

    def test_billing_user_reads_but_cannot_edit_the_configuration(self):
        policy = self.policy.with_user(self.billing)
        self.assertEqual(policy.level_ids.mapped("name")[0], "Pre-due reminder")
        with self.assertRaises(AccessError):
            policy.name = "Lenient"
        with self.assertRaises(AccessError):
            self.level_call.with_user(self.billing).delay = 20
        with self.assertRaises(AccessError):
            policy.copy()
        with self.assertRaises(AccessError):
            self.level_agency.with_user(self.billing).unlink()

    def test_billing_user_cannot_block_or_level_invoices(self):
        invoice = self.invoice.with_user(self.billing)
        invoice.ref = "PO 7781"  # ordinary invoice edits still work
        with self.assertRaisesRegex(AccessError, "Dunning Blocked"):
            invoice.write({"dunning_blocked": True, "dunning_block_reason": "Disputed"})
        with self.assertRaisesRegex(AccessError, "Dunning Level"):
            invoice.dunning_level_id = self.level_friendly
        self.assertFalse(invoice.dunning_user_can_edit)

    def test_collector_blocks_invoices_and_manages_customers(self):
        invoice = self.invoice.with_user(self.collector)
        self.assertTrue(invoice.dunning_user_can_edit)
        invoice.write({"dunning_blocked": True, "dunning_block_reason": "Disputed"})
        with Form(self.customer.with_user(self.collector)) as form:
            form.dunning_responsible_id = self.collector
            form.dunning_requires_po = True
        self.assertEqual(self.customer.dunning_responsible_id, self.collector)
        self.assertTrue(self.customer.dunning_requires_po)
        with self.assertRaises(AccessError):
            self.level_call.with_user(self.collector).delay = 20

    def test_dunning_manager_edits_the_configuration(self):
        policy = self.policy.with_user(self.dunning_manager)
        policy.level_ids.filtered(lambda lvl: lvl.delay == 14).delay = 20
        self.assertEqual(self.level_call.delay, 20)
        strict = policy.copy({"name": "Strict ladder"})
        self.assertEqual(len(strict.level_ids), 6)

    def test_collections_tab_hidden_from_salesmen(self):
        def arch_for(user):
            views = self.env["res.partner"].with_user(user).get_views([(False, "form")])
            return views["views"]["form"]["arch"]

        self.assertNotIn('name="dunning"', arch_for(self.salesman))
        self.assertIn('name="dunning"', arch_for(self.collector))

    def test_multi_company_isolation(self):
        other_company = self.setup_other_company()["company"]
        foreign_policy = other_company.dunning_policy_id
        outsider = self._create_user(
            "dun_outsider", "account_dunning.group_dunning_manager", company=other_company
        )
        Policy = self.env["account.dunning.policy"].with_user(outsider)
        self.assertEqual(Policy.search([]), foreign_policy)
        with self.assertRaises(AccessError):
            self.policy.with_user(outsider).read(["name"])
        with self.assertRaises(AccessError):
            self.level_call.with_user(outsider).read(["delay"])
        self.assertEqual(
            self.env["account.dunning.level"].with_user(outsider).search([]).company_id,
            other_company,
        )


@tagged("post_install", "-at_install")
class TestChargesAreServerFacts(DunningTestCommon):
    """Every fee is invoiced exactly once, and only a manager waives: for each role,
    over RPC-style calls, refused and nothing changed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls._create_user("fact_billing", "account.group_account_invoice")
        cls.collector = cls._create_user("fact_collector", "account_dunning.group_dunning_user")
        cls.manager = cls._create_user("fact_manager", "account_dunning.group_dunning_manager")
        cls.level_friendly.fee_fixed = 25
        cls._create_dunning_invoice(cls.customer, 1000.0, DUE)
        cls.notice = cls._run_dunning(day(7)).notice_ids
        cls.charge = cls.notice.charge_ids
        cls.charge_invoice = cls.notice.charge_move_id

    def _assert_unchanged(self):
        self.assertEqual(self.charge.amount, 25.0)
        self.assertEqual(self.charge.charge_move_id, self.charge_invoice)
        self.assertEqual(self.notice.charge_move_id, self.charge_invoice)
        self.assertEqual(self.notice.state, "sending", "its email waits in the mail queue")
        self.assertFalse(self.notice.charges_waived)
        self.assertEqual(
            self.env["account.move"].search_count(
                [("dunning_charge_notice_id", "=", self.notice.id)]
            ),
            1,
        )

    def test_collector_and_manager_cannot_touch_charges(self):
        self.assertEqual(self.charge_invoice.amount_total, 25.0)
        for user in (self.collector, self.manager):
            charge = self.charge.with_user(user)
            self.assertEqual(charge.amount, 25.0, "they read charges")
            with self.assertRaises(AccessError, msg=f"{user.login}: zero a charge"):
                charge.amount = 0.0
            with self.assertRaises(AccessError, msg=f"{user.login}: delete an invoiced charge"):
                charge.unlink()
            with self.assertRaises(AccessError, msg=f"{user.login}: create a charge"):
                self.env["account.dunning.charge"].with_user(user).create(
                    {"notice_id": self.notice.id, "kind": "compensation", "amount": 1e6}
                )
            with self.assertRaises(AccessError, msg=f"{user.login}: copy a charge"):
                charge.copy({"amount": 1e6})
        self._assert_unchanged()

    def test_notice_money_and_state_are_written_by_the_server_alone(self):
        for user in (self.collector, self.manager):
            notice = self.notice.with_user(user)
            for vals in (
                {"charges_waived": True},
                {"state": "draft", "charge_move_id": False},
                {"amount_residual": 0.0},
                {"date": day(30)},
                {"payment_deadline": day(60)},
                {"amount_credits": 1000.0},
                {"paid_online": True},
                {"fee_left_out": True},
                # What the channels did: text messages and letters by post.
                {"sms_state": "sent"},
                {"sms_failure_reason": "By hand"},
                {"letter_state": "posted"},
                {"post_failure_reason": "By hand"},
            ):
                with self.assertRaises(AccessError, msg=f"{user.login}: {vals}"):
                    notice.write(vals)
            with self.assertRaises(AccessError, msg=f"{user.login}: create a notice"):
                self.env["account.dunning.notice"].with_user(user).create(
                    {
                        "partner_id": self.customer.id,
                        "company_id": self.company.id,
                        "currency_id": self.notice.currency_id.id,
                        "level_id": self.level_friendly.id,
                        "date": day(7),
                    }
                )
            with self.assertRaises(AccessError, msg=f"{user.login}: copy a notice"):
                notice.copy()
            with self.assertRaises(AccessError, msg=f"{user.login}: create a notice line"):
                self.env["account.dunning.notice.line"].with_user(user).create(
                    {"notice_id": self.notice.id, "move_id": self.charge_invoice.id}
                )
            # What a collector does edit: who to write to, who follows up.
            notice.user_id = user
        self._assert_unchanged()

    def test_no_role_links_a_payment_to_a_notice_by_hand(self):
        # Billing users may create and write transactions: not tie one to a reminder.
        provider, method = self._setup_demo_provider()
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": method.id,
                    "amount": 1025.0,
                    "currency_id": self.notice.currency_id.id,
                    "partner_id": self.customer.id,
                }
            )
        )
        for user in (self.billing, self.collector, self.manager):
            with self.assertRaises(AccessError, msg=f"{user.login}: write the link"):
                tx.with_user(user).write({"dunning_notice_id": self.notice.id})
            with self.assertRaises(AccessError, msg=f"{user.login}: create with the link"):
                self.env["payment.transaction"].with_user(user).create(
                    {
                        "provider_id": provider.id,
                        "payment_method_id": method.id,
                        "amount": 1.0,
                        "currency_id": self.notice.currency_id.id,
                        "partner_id": self.customer.id,
                        "dunning_notice_id": self.notice.id,
                    }
                )
            with self.assertRaises(AccessError, msg=f"{user.login}: copy with the link"):
                tx.with_user(user).copy({"dunning_notice_id": self.notice.id})
            result = (
                self.env["payment.transaction"]
                .with_user(user)
                .load(
                    [
                        "provider_id/.id",
                        "payment_method_id/.id",
                        "amount",
                        "currency_id/.id",
                        "partner_id/.id",
                        "dunning_notice_id/.id",
                    ],
                    [
                        [
                            str(provider.id),
                            str(method.id),
                            "1.0",
                            str(self.notice.currency_id.id),
                            str(self.customer.id),
                            str(self.notice.id),
                        ]
                    ],
                )
            )
            self.assertFalse(result["ids"], f"{user.login}: import with the link")
            self.assertIn("linked to reminders by their page", str(result["messages"]))
        self.assertFalse(self.notice.transaction_ids)
        self.assertFalse(self.notice.paid_online)
        self._assert_unchanged()

    def test_billing_user_cannot_link_an_invoice_to_a_notice(self):
        invoice = self._create_dunning_invoice(self.customer, 10.0, DUE)
        with self.assertRaisesRegex(AccessError, "Charges of Notice"):
            invoice.with_user(self.billing).dunning_charge_notice_id = self.notice
        with self.assertRaisesRegex(AccessError, "Charges of Notice"):
            self.charge_invoice.with_user(self.billing).dunning_charge_notice_id = False
        self._assert_unchanged()

    def test_the_quotation_deposit_flag_is_the_servers_for_every_role(self):
        invoice = self._create_dunning_invoice(self.customer, 10.0, DUE)
        for user in (self.billing, self.collector, self.manager):
            with self.assertRaisesRegex(AccessError, "Deposit of a Quotation", msg=user.login):
                invoice.with_user(user).write({"dunning_awaits_order": True})
            with self.assertRaises(AccessError, msg=f"{user.login}: copy"):
                invoice.with_user(user).copy({"dunning_awaits_order": True})
        self.assertFalse(invoice.dunning_awaits_order)
        self.assertTrue(invoice.dunning_open, "still dunned")
        self._assert_unchanged()

    def test_only_who_may_write_a_notice_sends_it(self):
        held = (
            self.env["account.dunning.notice"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "currency_id": self.company.currency_id.id,
                    "level_id": self.level_second.id,
                    "date": day(30),
                }
            )
        )
        salesman = self._create_user("fact_salesman", "sales_team.group_sale_salesman")
        for user in (self.billing, salesman):
            with self.assertRaises(AccessError, msg=user.login):
                held.with_user(user).action_send()
        self.assertEqual(held.state, "draft", "nothing sent")
        self.assertFalse(held.charge_move_id)
        self._assert_unchanged()

    def test_a_notice_is_charged_by_one_invoice_ever(self):
        # Even the server, handed a notice that lost its link, does not invoice twice.
        notice = self.notice.sudo()
        notice.charge_move_id = False
        invoiced = self.env["account.dunning.charge"].sudo()._action_invoice(notice)
        self.assertEqual(len(invoiced[notice]), 1, "the invoice made before, found again")
        notice.charge_move_id = invoiced[notice]
        self._assert_unchanged()
        # And the database refuses a second invoice for the same notice.
        second = self._create_dunning_invoice(self.customer, 25.0, DUE, post=False)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            # sudo: only the run links invoices to notices; this probes the database.
            second.sudo().dunning_charge_notice_id = self.notice
            second.flush_recordset()

    def test_only_a_manager_waives(self):
        with self.assertRaises(AccessError):
            self.env["account.dunning.waive.charges"].with_user(self.collector).create(
                {"notice_id": self.notice.id, "reason": "Goodwill"}
            )
        self._assert_unchanged()
        manager = self._create_user(
            "fact_waiver", "account_dunning.group_dunning_manager,account.group_account_invoice"
        )
        self.env["account.dunning.waive.charges"].with_user(manager).create(
            {"notice_id": self.notice.id, "reason": "Goodwill"}
        ).action_waive()
        self.assertTrue(self.notice.charges_waived)
        self.assertEqual(self.charge_invoice.payment_state, "reversed")


@tagged("post_install", "-at_install")
class TestCompaniesStayApart(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company()["company"]
        cls.outsider = cls._create_user(
            "apart_outsider",
            "account_dunning.group_dunning_manager,base.group_partner_manager,"
            "account_dunning.group_deposit_manager",
            company=cls.other_company,
        )
        cls._create_dunning_invoice(cls.customer, 400.0, DUE)
        cls.notice = cls._run_dunning(day(7)).notice_ids

    def test_notice_lines_follow_their_notice(self):
        line = self.notice.line_ids
        self.assertEqual(line.company_id, self.company)
        with self.assertRaises(AccessError):
            self.env["account.dunning.notice.line"].with_user(self.outsider).create(
                {"notice_id": self.notice.id, "move_id": line.move_id.id}
            )
        with self.assertRaises(AccessError):
            line.with_user(self.outsider).read(["amount_residual"])
        self.assertEqual(self.notice.line_ids, line)

    def test_collection_settings_are_per_company(self):
        self.customer.write(
            {
                "dunning_credit_hold": True,
                "dunning_stage": "legal",
                "dunning_excluded": True,
                "dunning_exclusion_reason": "Lawyer's instruction",
                "deposit_policy": "never",
            }
        )
        elsewhere = self.customer.with_company(self.other_company)
        self.assertFalse(elsewhere.dunning_credit_hold)
        self.assertEqual(elsewhere.dunning_stage, "normal")
        self.assertFalse(elsewhere.dunning_excluded)
        self.assertEqual(elsewhere.deposit_policy, "rules")
        # The other company's users change their own company's settings only.
        as_outsider = self.customer.with_user(self.outsider).with_company(self.other_company)
        as_outsider.write({"dunning_credit_hold": True, "deposit_policy": "always"})
        as_outsider.dunning_credit_hold = False
        self.assertTrue(self.customer.dunning_credit_hold)
        self.assertEqual(self.customer.deposit_policy, "never")
        self.assertEqual(elsewhere.deposit_policy, "always")

    def test_an_escalation_holds_the_customer_in_its_company_only(self):
        self.level_second.escalation = "credit_hold"
        self.level_second.auto_execute = True
        self.policy.jump_to_highest_level = True
        self._run_dunning(day(40))
        self.assertTrue(self.customer.dunning_credit_hold)
        self.assertFalse(self.customer.with_company(self.other_company).dunning_credit_hold)
