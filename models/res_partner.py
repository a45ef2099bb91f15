from types import SimpleNamespace
from urllib.parse import urlencode

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import consteq
from odoo.tools.misc import hmac

from ..tools.ladder import days_overdue
from .mail_activity import DUNNING_CALL_TYPE
from .mail_mail import DUNNING_EMAIL_LAYOUT

COLLECTION_STAGES = [
    ("normal", "Normal"),
    ("payment_plan", "Payment plan"),
    ("agency", "Collection agency"),
    ("legal", "Legal"),
]

DUNNING_PARTNER_FIELDS = (
    "dunning_policy_id",
    "dunning_responsible_id",
    "dunning_excluded",
    "dunning_exclusion_reason",
    "dunning_stage",
    "dunning_credit_hold",
    "dunning_payment_approver",
    "dunning_requires_original_invoice",
    "dunning_requires_po",
    "dunning_payment_day",
)
DEPOSIT_PARTNER_FIELDS = ("deposit_policy", "deposit_percent")
STATEMENT_TEMPLATE = "account_dunning.mail_template_dunning_statement"


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "account.dunning.mixin", "account.dunning.partner.risk"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    dunning_policy_id = fields.Many2one(
        comodel_name="account.dunning.policy",
        company_dependent=True,
        domain="[('company_id', 'in', (False, current_company_id))]",
        help="Overrides the company's default dunning policy for this customer.",
    )
    dunning_responsible_id = fields.Many2one(
        comodel_name="res.users",
        string="Collector",
        company_dependent=True,
        domain=[("share", "=", False)],
        help="Collector in charge of this customer: calls and activities are assigned to them.",
    )
    # What decides how a customer is dunned is set per company: a customer shared
    # by two companies may be on credit hold in one and not in the other.
    dunning_excluded = fields.Boolean(
        string="Exclude from Dunning", company_dependent=True, tracking=True
    )
    dunning_exclusion_reason = fields.Char(
        string="Exclusion Reason", company_dependent=True, tracking=True
    )
    dunning_stage = fields.Selection(
        selection=COLLECTION_STAGES,
        string="Collection Stage",
        company_dependent=True,
        tracking=True,
        help="Normal unless set otherwise for the current company.",
    )
    dunning_credit_hold = fields.Boolean(
        string="Credit Hold",
        company_dependent=True,
        tracking=True,
        help="No new sales order of this customer may be confirmed without a manager's override.",
    )
    dunning_escalated = fields.Boolean(
        string="Escalated by Dunning",
        company_dependent=True,
        readonly=True,
        help="The credit hold and collection stage were set by a dunning level: they are lifted "
        "once the customer's overdue balance is paid. A hold set by hand stays.",
    )
    # The collection fields live on the commercial partner; contacts defer to it.
    # Settlement procedure: how this customer actually pays.
    dunning_payment_approver = fields.Char(
        string="Payment Approver",
        help="Who approves payments at the customer, e.g. “Accounts payable, Ms Dupont”.",
    )
    dunning_requires_original_invoice = fields.Boolean(string="Original Invoice Required")
    dunning_requires_po = fields.Boolean(string="PO Number Required")
    dunning_payment_day = fields.Integer(
        string="Customary Payment Day",
        help="Day of the month on which the customer usually pays (0: none).",
    )
    # Collection figures for the current company, computed for the whole recordset.
    dunning_overdue_amount = fields.Monetary(
        string="Overdue Amount",
        compute="_compute_dunning_overdue",
        currency_field="currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_oldest_overdue_days = fields.Integer(
        string="Oldest Overdue (days)",
        compute="_compute_dunning_overdue",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_max_level_id = fields.Many2one(
        comodel_name="account.dunning.level",
        string="Highest Dunning Level",
        compute="_compute_dunning_overdue",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    # Deposits before work starts: an override of the company's deposit rules.
    deposit_policy = fields.Selection(
        selection=[
            ("rules", "Per deposit rules"),
            ("always", "Always"),
            ("never", "Never"),
            ("percent", "Fixed percentage"),
        ],
        string="Deposit",
        company_dependent=True,
        tracking=True,
        help="Always: the first matching deposit rule, else the company's default percentage.",
    )
    deposit_percent = fields.Float(
        string="Deposit Percentage", digits=(5, 2), company_dependent=True, tracking=True
    )

    dunning_event_ids = fields.One2many(
        comodel_name="account.dunning.event",
        inverse_name="partner_id",
        string="Collection History",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_promise_ids = fields.One2many(
        comodel_name="account.dunning.promise",
        inverse_name="partner_id",
        string="Promises to Pay",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_dispute_ids = fields.One2many(
        comodel_name="account.dunning.dispute",
        inverse_name="partner_id",
        string="Disputes",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_plan_ids = fields.One2many(
        comodel_name="account.dunning.payment.plan",
        inverse_name="partner_id",
        string="Payment Plans",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_statement_date = fields.Date(
        string="Last Statement",
        company_dependent=True,
        readonly=True,
        help="When the last statement of account was sent: the next lists the payments since.",
    )
    dunning_notice_count = fields.Integer(
        string="Dunning Notices",
        compute="_compute_dunning_notice_count",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends_context("company")
    def _compute_dunning_overdue(self):
        today = fields.Date.context_today(self)
        commercial_partners = self.commercial_partner_id
        amounts = dict.fromkeys(commercial_partners.ids, 0.0)
        oldest_due = {}
        max_level = {}
        # One grouped query for the whole recordset.
        groups = self.env["account.move"]._read_group(
            domain=self._get_dunning_overdue_domain(commercial_partners, today),
            groupby=["commercial_partner_id", "dunning_level_id"],
            aggregates=["amount_residual_signed:sum", "dunning_date_due:min"],
        )
        for partner, level, residual, due_date in groups:
            amounts[partner.id] += residual
            if partner.id not in oldest_due or due_date < oldest_due[partner.id]:
                oldest_due[partner.id] = due_date
            current = max_level.get(partner.id)
            if level and (not current or level._get_rank() > current._get_rank()):
                max_level[partner.id] = level
        empty_level = self.env["account.dunning.level"]
        for partner in self:
            commercial_id = partner.commercial_partner_id.id
            partner.dunning_overdue_amount = amounts.get(commercial_id, 0.0)
            due_date = oldest_due.get(commercial_id)
            partner.dunning_oldest_overdue_days = days_overdue(due_date, today)
            partner.dunning_max_level_id = max_level.get(commercial_id, empty_level)

    def _compute_dunning_notice_count(self):
        counts = dict(
            self.env["account.dunning.notice"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_notice_count = counts.get(partner.commercial_partner_id, 0)

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("dunning_payment_day")
    def _check_dunning_payment_day(self):
        for partner in self:
            if not 0 <= partner.dunning_payment_day <= 31:
                raise ValidationError(
                    _(
                        "%(partner)s: the customary payment day must be a day of the month "
                        "(1 to 31), or 0 for none.",
                        partner=partner.display_name,
                    )
                )

    @api.constrains("dunning_excluded", "dunning_exclusion_reason")
    def _check_dunning_exclusion_reason(self):
        for partner in self:
            if partner.dunning_excluded and not partner.dunning_exclusion_reason:
                raise ValidationError(
                    _(
                        "%(partner)s: give a reason for excluding this customer from dunning.",
                        partner=partner.display_name,
                    )
                )

    @api.constrains("deposit_policy", "deposit_percent")
    def _check_deposit_percent(self):
        for partner in self:
            if partner.deposit_policy == "percent" and not 0 < partner.deposit_percent <= 100:
                raise ValidationError(
                    _(
                        "%(partner)s: the deposit percentage must be above 0 and at most 100.",
                        partner=partner.display_name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if set(DEPOSIT_PARTNER_FIELDS).intersection(vals):
            self.env["sale.order"]._mark_deposits_to_recompute(
                [("partner_id.commercial_partner_id", "in", self.commercial_partner_id.ids)]
            )
        return result

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_dunning_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_account_dunning_notice"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    def action_dunning_log_call(self):
        """Log a call to this customer, closing its oldest due collection call."""
        self.ensure_one()
        partner = self.commercial_partner_id
        call = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.env.ref(DUNNING_CALL_TYPE).id),
            ],
            order="date_deadline, id",
            limit=1,
        )
        return self.env["account.dunning.call.outcome"]._get_dialog_action(
            partner, self.env.company, call
        )

    def action_dunning_propose_plan(self):
        """A new payment plan for this customer's overdue invoices."""
        self.ensure_one()
        partner = self.commercial_partner_id
        moves = self.env["account.move"].search(
            [
                *self._get_dunning_overdue_domain(partner, fields.Date.context_today(self)),
                ("dunning_plan_active", "=", False),
            ]
        )
        return partner._get_dunning_plan_action(moves)

    def action_dunning_send_statement(self):
        """The statement email in Odoo's composer, its PDF attached, to read and send."""
        customer = self.commercial_partner_id
        customer._check_dunning_statement_recipients()
        return {
            "type": "ir.actions.act_window",
            "name": _("Send Statement of Account"),
            "res_model": "mail.compose.message",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": customer.ids,
                "default_template_id": self.env.ref(STATEMENT_TEMPLATE).id,
                "default_email_layout_xmlid": DUNNING_EMAIL_LAYOUT,
                "dunning_statement_sent": True,
            },
        }

    def action_dunning_print_dossier(self):
        """The collection dossier for an agency or a lawyer."""
        return self.env.ref("account_dunning.action_report_dunning_dossier").report_action(
            self.commercial_partner_id
        )

    def action_dunning_open_items(self):
        """The customer's invoices still to be paid, in the current company."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Open items of %(customer)s", customer=self.commercial_partner_id.name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": self._get_dunning_open_items_domain(self.commercial_partner_id),
            "context": {"create": False},
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _dunning_protected_fields(self):
        return set(DUNNING_PARTNER_FIELDS + DEPOSIT_PARTNER_FIELDS + ("dunning_escalated",))

    @api.model
    def _dunning_field_group(self, field_name):
        if field_name in DEPOSIT_PARTNER_FIELDS:
            return "account_dunning.group_deposit_manager"
        if field_name == "dunning_escalated":
            return None  # written by the ladder alone
        return super()._dunning_field_group(field_name)

    @api.model
    def _get_dunning_open_items_domain(self, commercial_partners):
        """The invoices these customers still have to pay in the current company."""
        return [
            *self.env["account.move"]._get_dunning_open_invoice_domain(),
            ("commercial_partner_id", "in", commercial_partners.ids),
            ("company_id", "=", self.env.company.id),
        ]

    def _get_dunning_statement_token(self, company, currency):
        """The token of this customer's statement page in `company` and `currency`:
        Odoo's keyed hash of the three, so that a link opens that page only."""
        self.ensure_one()
        # su: the hash key is a system parameter.
        return hmac(
            self.env(su=True), "account_dunning-statement", (self.id, company.id, currency.id)
        )

    def _check_dunning_statement_token(self, company, currency, token):
        self.ensure_one()
        return bool(token) and consteq(self._get_dunning_statement_token(company, currency), token)

    def _get_dunning_statement_path(self, company, currency):
        """The statement page's path with its token: what its QR code and email open."""
        self.ensure_one()
        query = urlencode({"access_token": self._get_dunning_statement_token(company, currency)})
        return f"/my/statement/{self.id}/{company.id}/{currency.id}?{query}"

    def _get_dunning_statement_payable(self, company, currency):
        """What the statement page pays now: (the customer's open invoices in
        `company` and `currency`, the page's sum: see
        account.move._get_dunning_payable_breakdown)."""
        self.ensure_one()
        customer = self.commercial_partner_id
        moves = (
            self.env["account.move"]
            .with_company(company)
            .search(
                [
                    *customer.with_company(company)._get_dunning_open_items_domain(customer),
                    ("currency_id", "=", currency.id),
                ]
            )
        )
        return moves, moves._get_dunning_payable_breakdown(company, customer, currency)

    def _get_dunning_statement_payee(self, company, currency):
        """The statement page as the payment form and transactions read a document:
        its customer, company, currency and name."""
        self.ensure_one()
        customer = self.commercial_partner_id
        return SimpleNamespace(
            partner_id=customer,
            company_id=company,
            currency_id=currency,
            name=f"STMT-{customer.id}",
        )

    def _get_dunning_plan_action(self, moves):
        """The form of a new payment plan for `moves` of this customer (from the
        customer, a selection of invoices or a call's outcome)."""
        self.ensure_one()
        Plan = self.env["account.dunning.payment.plan"]
        if not Plan._dunning_user_can_edit():
            raise AccessError(_("Only dunning users propose payment plans."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Propose Payment Plan"),
            "res_model": Plan._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_partner_id": self.id,
                "default_move_ids": [Command.set(moves.ids)],
            },
        }

    @api.model
    def _create_dunning_follow_up(self, summary, user, note=None):
        """A to-do for `user` on this customer, due today: the ladder resumes after a
        broken promise or plan, credits wait to be reconciled."""
        self.ensure_one()
        return self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=summary,
            note=note,
            user_id=user.id,
        )

    @api.model
    def _action_dunning_credits_to_reconcile(self, company, covered, credits):
        """A to-do for the collector of each customer whose credits cover what it owes
        (`covered`: (partner id, currency id) pairs; `credits`: see
        account.move.line._get_dunning_credits): reconcile them. One open to-do per
        customer, so that a rerun adds none."""
        partners = self.with_company(company).browse({partner_id for partner_id, _c in covered})
        summary = self.env._("Reconcile the customer's credits with its invoices")
        waiting = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("summary", "=", summary),
            ]
        )
        currencies = self.env["res.currency"].browse({currency_id for _p, currency_id in covered})
        for partner in partners.filtered(
            lambda partner: partner.id not in waiting.mapped("res_id")
        ):
            policy = partner.dunning_policy_id or company.dunning_policy_id
            user = policy._get_collector(company, partner.dunning_responsible_id)
            if not user:
                continue
            held = ", ".join(
                currency.format(credits[partner.id, currency.id][0])
                for currency in currencies
                if (partner.id, currency.id) in covered
            )
            partner._create_dunning_follow_up(
                summary,
                user,
                note=self.env._(
                    "Open credit notes or payments of %(amount)s cover what is overdue: no"
                    " reminder was sent. Reconcile them with the invoices.",
                    amount=held,
                ),
            )

    @api.model
    def _action_dunning_recover(self, company, on_date):
        """Customers of `company` put on hold by escalation whose overdue balance is
        paid (or under their policy's minimum): the hold is lifted and the stage
        back to normal, said in the chatter and the history."""
        partners = self.with_company(company).search(
            [("dunning_escalated", "=", True), ("is_company", "=", True)]
        )
        if not partners:
            return partners
        overdue = dict(
            self.env["account.move"]._read_group(
                [
                    *self._get_dunning_overdue_domain(partners, on_date),
                    ("company_id", "=", company.id),
                ],
                ["commercial_partner_id"],
                ["amount_residual_signed:sum"],
            )
        )
        recovered = partners.filtered(
            lambda partner: (
                overdue.get(partner, 0.0)
                <= (
                    (partner._get_dunning_policy() or company.dunning_policy_id).min_residual or 0.0
                )
            )
        )
        for partner in recovered:
            message = self.env._(
                "Overdue balance paid: the credit hold set by dunning is lifted and the "
                "collection stage is back to normal."
            )
            partner.write(
                {
                    "dunning_credit_hold": False,
                    "dunning_stage": "normal",
                    "dunning_escalated": False,
                }
            )
            partner.message_post(body=message)
            self.env["account.dunning.event"]._record(
                [
                    {
                        "company_id": company.id,
                        "partner_id": partner.id,
                        "kind": "escalation",
                        "summary": message,
                    }
                ]
            )
        return recovered

    def _get_dunning_overdue_domain(self, commercial_partners, today):
        return [
            *self._get_dunning_open_items_domain(commercial_partners),
            ("dunning_date_due", "<", today),
        ]

    def _action_send_dunning_statement(self):
        """Queue the statement of account of these customers in Odoo's mail queue and
        record it in their history."""
        customers = self.commercial_partner_id
        customers._check_dunning_statement_recipients()
        template = self.env.ref(STATEMENT_TEMPLATE)
        for customer in customers:
            template.send_mail(customer.id, email_layout_xmlid=DUNNING_EMAIL_LAYOUT)
        customers._record_dunning_statement()
        return customers

    def _check_dunning_statement_recipients(self):
        """Refuse any user but a dunning user, and customers without an email."""
        if not self._dunning_user_can_edit():
            raise AccessError(_("Only dunning users send statements of account."))
        no_email = self.filtered(lambda partner: not partner.email)
        if no_email:
            raise UserError(
                _(
                    "No email address for %(customers)s: print the statement instead.",
                    customers=", ".join(no_email.mapped("display_name")),
                )
            )

    def _record_dunning_statement(self):
        """The statement sent to these customers, on their record and history."""
        # sudo: the statement date is a fact of what was sent, not a user input.
        self.sudo().dunning_statement_date = fields.Date.context_today(self)
        self.env["account.dunning.event"]._record_statements(self)

    def _get_dunning_collector(self):
        """Who works this customer in the current company (see the policy's
        _get_collector)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return partner._get_dunning_policy()._get_collector(
            self.env.company, partner.dunning_responsible_id
        )

    def _get_dunning_policy(self):
        """The policy that applies to this customer in the current company."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return partner.dunning_policy_id or self.env.company.dunning_policy_id

    def _get_dunning_recipients(self):
        """{customer id: its latest invoice contact with an email, else itself}."""
        contacts = self.search(
            [("parent_id", "in", self.ids), ("type", "=", "invoice"), ("email", "!=", False)],
            order="id desc",
        )
        recipients = {partner.id: partner for partner in self}
        recipients.update({contact.parent_id.id: contact for contact in contacts})
        return recipients
