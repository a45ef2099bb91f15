from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


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
