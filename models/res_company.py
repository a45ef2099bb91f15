from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_policy_id = fields.Many2one(
        comodel_name="account.dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
    )
    dunning_collector_id = fields.Many2one(
        comodel_name="res.users",
        string="Default Collector",
        domain=[("share", "=", False)],
        help="Gets the dunning calls of customers who have no collector, when their "
        "policy names none either.",
    )
    dunning_post_letters = fields.Boolean(
        string="Post Dunning Letters",
        help="Letters of levels set to post them go through Odoo's snailmail service"
        " (IAP credits) instead of being printed by hand.",
    )
    # On the company: the policy file is full (see tests/unit/test_code_shape.py).
    dunning_new_customer_delay = fields.Integer(
        string="Expected Delay of New Customers",
        default=0,
        help="Days after the due date the cash-in forecast expects a customer without "
        "payment history to pay.",
    )
    deposit_default_percent = fields.Float(
        string="Default Deposit Percentage",
        default=30.0,
        digits=(5, 2),
        help="Deposit asked from customers set to “Always” when no deposit rule matches.",
    )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("deposit_default_percent")
    def _check_deposit_default_percent(self):
        for company in self:
            if not 0 < company.deposit_default_percent <= 100:
                raise ValidationError(
                    _(
                        "%(company)s: the default deposit percentage must be above 0 and at"
                        " most 100.",
                        company=company.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._dunning_create_default_policy()
        return companies

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _dunning_create_default_policy(self):
        """Give each company without a default policy the standard collection ladder."""
        companies = self.filtered(lambda company: not company.dunning_policy_id)
        if not companies:
            return self.env["account.dunning.policy"]
        # sudo: runs at install and company creation, whoever triggers them.
        policies = (
            self.env["account.dunning.policy"]
            .sudo()
            .create([company._prepare_dunning_default_policy_values() for company in companies])
        )
        for company, policy in zip(companies, policies, strict=True):
            company.sudo().dunning_policy_id = policy
        return policies

    @api.model
    def _dunning_install_default_policies(self):
        self.sudo().search([])._dunning_create_default_policy()

    def _prepare_dunning_default_policy_values(self):
        self.ensure_one()
        return {
            "name": _("Standard collection ladder"),
            "company_id": self.id,
            "level_ids": [
                fields.Command.create(level)
                for level in (
                    self._prepare_dunning_reminder_level_values()
                    + self._prepare_dunning_demand_level_values()
                )
            ],
        }

    def _prepare_dunning_reminder_level_values(self):
        """The friendly steps of the standard ladder: a reminder before the due date,
        one after it, then a call."""
        ref = self.env.ref
        return [
            {
                "sequence": 10,
                "name": _("Pre-due reminder"),
                "delay": -7,
                "min_interval": 0,
                "send_email": True,
                "mail_template_id": ref("account_dunning.mail_template_dunning_pre_due").id,
            },
            {
                "sequence": 20,
                "name": _("Friendly reminder"),
                "delay": 7,
                "send_email": True,
                "mail_template_id": ref("account_dunning.mail_template_dunning_friendly").id,
                # A customer without an email address gets a text message, not a letter.
                "send_sms": True,
                "sms_when": "no_email",
                "sms_template_id": ref("account_dunning.sms_template_dunning_friendly").id,
            },
            {
                "sequence": 30,
                "name": _("Phone call"),
                "delay": 14,
                "create_activity": True,
            },
        ]

    def _prepare_dunning_demand_level_values(self):
        """The formal steps of the standard ladder: a second notice and a final
        demand, by email and letter, then the collection agency."""
        ref = self.env.ref
        return [
            {
                "sequence": 40,
                "name": _("Second notice"),
                "delay": 30,
                "send_email": True,
                "mail_template_id": ref("account_dunning.mail_template_dunning_second").id,
                "send_letter": True,
                "letter_kind": "second",
            },
            {
                "sequence": 50,
                "name": _("Final demand"),
                "delay": 45,
                "min_interval": 10,
                "send_email": True,
                "mail_template_id": ref("account_dunning.mail_template_dunning_final").id,
                "send_letter": True,
                "letter_kind": "final",
                "payment_deadline_days": 10,
                "auto_execute": False,
            },
            {
                "sequence": 60,
                "name": _("Collection agency"),
                "delay": 90,
                "min_interval": 14,
                "escalation": "agency",
                "auto_execute": False,
            },
        ]
