from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningConfig(DunningTestCommon):
    # ------------------------------------------------------------
    # Default data
    # ------------------------------------------------------------

    def test_standard_ladder_created_for_company(self):
        self.assertEqual(self.policy.name, "Standard collection ladder")
        self.assertEqual(self.policy.company_id, self.company)
        self.assertEqual(self.levels.mapped("delay"), [-7, 7, 14, 30, 45, 90])
        self.assertEqual(
            [(lvl.send_email, lvl.send_letter, lvl.create_activity) for lvl in self.levels],
            [
                (True, False, False),
                (True, False, False),
                (False, False, True),
                (True, True, False),
                (True, True, False),
                (False, False, False),
            ],
        )
        self.assertEqual(
            self.level_final.mail_template_id,
            self.env.ref("account_dunning.mail_template_dunning_final"),
            "the final demand's own email, next to its letter",
        )
        self.assertEqual(self.level_pre_due.mail_template_id.model, "account.dunning.notice")
        self.assertTrue(self.level_call.create_activity)
        self.assertEqual(self.level_second.letter_kind, "second")
        self.assertEqual(self.level_final.letter_kind, "final")
        self.assertEqual(self.level_final.payment_deadline_days, 10)
        self.assertEqual(self.level_agency.escalation, "agency")
        self.assertFalse(
            self.level_agency.auto_execute, "handing over to an agency needs a human check"
        )

    def test_main_company_got_ladder_at_install(self):
        main_company = self.env.ref("base.main_company").sudo()  # not the test user's company
        self.assertEqual(main_company.dunning_policy_id.company_id, main_company)
        self.assertEqual(len(main_company.dunning_policy_id.level_ids), 6)

    def test_new_company_gets_its_own_ladder(self):
        company = self.env["res.company"].create({"name": "Dunning Branch"})
        policy = company.dunning_policy_id
        self.assertEqual(policy.company_id, company)
        self.assertNotEqual(policy, self.policy)
        self.assertEqual(policy.level_ids.company_id, company)
        # Installing again changes nothing: every company already has its policy.
        before = self.env["account.dunning.policy"].search_count([])
        self.env["res.company"]._dunning_install_default_policies()
        self.assertEqual(self.env["account.dunning.policy"].search_count([]), before)

    # ------------------------------------------------------------
    # Ladder order
    # ------------------------------------------------------------

    def test_delay_not_above_previous_level_is_rejected(self):
        with self.assertRaisesRegex(ValidationError, r"Phone call.*strictly increase"):
            self.level_call.delay = 7

    def test_new_level_below_last_delay_is_rejected(self):
        with self.assertRaisesRegex(ValidationError, r"Late call.*Collection agency"):
            self.env["account.dunning.level"].create(
                {
                    "policy_id": self.policy.id,
                    "sequence": 70,
                    "name": "Late call",
                    "delay": 60,
                    "create_activity": True,
                }
            )

    def test_policy_write_checks_the_ladder_once_at_the_end(self):
        # Moving two levels at once passes through an invalid state (14 -> 40 > 30)
        # but ends valid: saving the policy form must succeed.
        self.policy.write(
            {
                "level_ids": [
                    Command.update(self.level_call.id, {"delay": 40}),
                    Command.update(self.level_second.id, {"delay": 44}),
                ]
            }
        )
        self.assertEqual(self.levels.mapped("delay"), [-7, 7, 40, 44, 45, 90])

    def test_policy_write_rejects_a_disordered_ladder(self):
        with self.assertRaisesRegex(ValidationError, r"Final demand.*Second notice"):
            self.policy.write({"level_ids": [Command.update(self.level_final.id, {"delay": 30})]})

    def test_resequencing_is_checked(self):
        with self.assertRaisesRegex(ValidationError, "strictly increase"):
            self.level_agency.sequence = 1

    # ------------------------------------------------------------
    # Level rules
    # ------------------------------------------------------------

    def test_negative_interval_is_rejected(self):
        with self.assertRaisesRegex(
            ValidationError, r"Friendly reminder.*Interval.*between 0 and 3650 days, not -1"
        ):
            self.level_friendly.min_interval = -1

    def test_negative_deadline_is_rejected(self):
        with self.assertRaisesRegex(
            ValidationError, r"Second notice.*Deadline.*between 0 and 3650 days, not -3"
        ):
            self.level_second.payment_deadline_days = -3

    def test_email_needs_a_template(self):
        with self.assertRaisesRegex(ValidationError, r"Phone call.*email template"):
            self.level_call.send_email = True

    def test_email_template_must_be_on_notices(self):
        invoice_template = self.env.ref("account.email_template_edi_invoice")
        with self.assertRaisesRegex(ValidationError, r"Friendly reminder.*on dunning notices"):
            self.level_friendly.mail_template_id = invoice_template

    def test_letter_needs_a_kind(self):
        with self.assertRaisesRegex(ValidationError, r"Friendly reminder.*letter kind"):
            self.level_friendly.send_letter = True

    def test_final_demand_needs_a_deadline(self):
        with self.assertRaisesRegex(ValidationError, r"Final demand.*payment deadline"):
            self.level_final.payment_deadline_days = 0

    def test_activity_for_a_fixed_user_needs_that_user(self):
        with self.assertRaisesRegex(ValidationError, r"Phone call.*fixed user"):
            self.level_call.activity_user_mode = "fixed"
        self.level_call.write({"activity_user_mode": "fixed", "activity_user_id": self.env.user.id})
        self.assertEqual(self.level_call.activity_user_id, self.env.user)

    def test_level_must_do_something(self):
        with self.assertRaisesRegex(ValidationError, r"Collection agency.*does nothing"):
            self.level_agency.escalation = "none"

    def test_negative_minimum_residual_is_rejected(self):
        with self.assertRaisesRegex(ValidationError, "minimum residual"):
            self.policy.min_residual = -5

    def test_fees_must_be_coherent(self):
        with (
            self.assertRaisesRegex(ValidationError, r"Second notice.*negative"),
            self.env.cr.savepoint(),
        ):
            self.level_second.fee_fixed = -5
        with (
            self.assertRaisesRegex(ValidationError, r"Second notice.*more than the amount"),
            self.env.cr.savepoint(),
        ):
            self.level_second.fee_percent = 120
        with (
            self.assertRaisesRegex(ValidationError, r"Second notice.*minimum fee is above"),
            self.env.cr.savepoint(),
        ):
            self.level_second.write({"fee_percent": 2, "fee_min": 50, "fee_max": 20})
        self.level_second.write({"fee_fixed": 5, "fee_percent": 2, "fee_min": 20, "fee_max": 150})
        self.assertEqual(self.level_second.fee_max, 150)

    def test_fixed_interest_needs_its_rate(self):
        with (
            self.assertRaisesRegex(ValidationError, "fixed interest method needs"),
            self.env.cr.savepoint(),
        ):
            self.policy.interest_method = "fixed"
        with self.assertRaisesRegex(ValidationError, "not possible"), self.env.cr.savepoint():
            self.policy.write({"interest_method": "fixed", "interest_rate": 150})
        self.policy.write({"interest_method": "fixed", "interest_rate": 9.5})
        self.policy.interest_method = "eu"  # statutory presets need no rate of their own
        self.assertEqual(self.policy.interest_day_count, "365")

    # ------------------------------------------------------------
    # Forms and settings
    # ------------------------------------------------------------

    def test_level_form_requires_the_deadline_of_a_final_demand(self):
        form = Form(
            self.env["account.dunning.level"].with_context(default_policy_id=self.policy.id)
        )
        form.name = "Pre-legal notice"
        form.delay = 120
        form.send_letter = True
        form.letter_kind = "final"
        self.assertFalse(form._get_modifier("payment_deadline_days", "invisible"))
        self.assertTrue(form._get_modifier("payment_deadline_days", "required"))
        form.payment_deadline_days = 14
        level = form.save()
        self.assertEqual(level.policy_id, self.policy)
        self.assertEqual(self.policy._get_ordered_levels()[-1], level)

    def test_settings_set_the_company_default_policy(self):
        other = self.policy.copy({"name": "Strict ladder"})
        with Form(self.env["res.config.settings"]) as settings:
            settings.dunning_policy_id = other
        self.assertEqual(self.company.dunning_policy_id, other)

    def test_partner_policy_overrides_per_company(self):
        strict = self.policy.copy({"name": "Strict ladder"})
        self.customer.dunning_policy_id = strict
        self.assertEqual(self.customer._get_dunning_policy(), strict)
        self.assertEqual(self.customer_contact._get_dunning_policy(), strict)
        other_company = self.setup_other_company()["company"]
        customer_elsewhere = self.customer.with_company(other_company)
        self.assertFalse(customer_elsewhere.dunning_policy_id)
        self.assertEqual(customer_elsewhere._get_dunning_policy(), other_company.dunning_policy_id)

    def test_each_escalation_says_what_it_sets_on_the_customer(self):
        level = self.level_friendly
        expected = {
            "none": {},
            "credit_hold": {"dunning_credit_hold": True},
            "agency": {"dunning_stage": "agency", "dunning_credit_hold": True},
            "legal": {"dunning_stage": "legal", "dunning_credit_hold": True},
        }
        for escalation, vals in expected.items():
            with self.subTest(escalation=escalation):
                level.escalation = escalation
                self.assertEqual(level._prepare_escalation_partner_values(), vals)
