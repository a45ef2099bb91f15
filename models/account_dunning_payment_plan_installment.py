from decimal import Decimal

from odoo import api, fields, models
from odoo.tools import format_date

from ..tools.money import currency_quantum
from ..tools.plan import allocate_payments, installment_dates, split_installments
from .mail_mail import DUNNING_EMAIL_LAYOUT

INSTALLMENT_STATES = [
    ("open", "To Pay"),
    ("partial", "Partly Paid"),
    ("paid", "Paid"),
    ("missed", "Missed"),
]

# Written by the server alone: what was paid and told.
INSTALLMENT_SERVER_FIELDS = ("state", "amount_paid", "reminded_on", "missed_notified_on")


class AccountDunningPaymentPlanInstallment(models.Model):
    _name = "account.dunning.payment.plan.installment"
    _inherit = ["account.dunning.mixin"]
    _description = "Payment Plan Installment"
    _order = "plan_id, date, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    plan_id = fields.Many2one(
        comodel_name="account.dunning.payment.plan",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id", store=True)
    sequence = fields.Integer(default=10)
    is_down_payment = fields.Boolean(string="Down Payment")
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(readonly=True)
    amount_due = fields.Monetary(compute="_compute_amount_due")
    state = fields.Selection(
        selection=INSTALLMENT_STATES, default="open", required=True, readonly=True
    )
    reminded_on = fields.Date(
        readonly=True, help="When the customer was reminded of this installment."
    )
    missed_notified_on = fields.Date(readonly=True)

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("amount", "amount_paid")
    def _compute_amount_due(self):
        for installment in self:
            installment.amount_due = installment.amount - installment.amount_paid

    @api.depends("plan_id.name", "date", "amount")
    def _compute_display_name(self):
        for installment in self:
            installment.display_name = self.env._(
                "%(plan)s: %(amount)s on %(date)s",
                plan=installment.plan_id.name,
                amount=installment.currency_id.format(installment.amount),
                date=format_date(self.env, installment.date),
            )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        installments = super().create(vals_list)
        installments.plan_id._check_state("draft")
        return installments

    def write(self, vals):
        # The schedule is the agreement: it changes only while the plan is a draft.
        if {"plan_id", "date", "amount", "sequence", "is_down_payment"}.intersection(vals):
            self.check_access("write")
            self.plan_id._check_state("draft")
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        self.plan_id._check_state("draft")

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _dunning_protected_fields(self):
        return set(INSTALLMENT_SERVER_FIELDS)

    @api.model
    def _dunning_field_group(self, field_name):
        return None

    @api.model
    def _prepare_schedule_values(self, plan):
        """The installments of `plan` from its terms: the down payment (due today),
        then equal installments, the rounding difference on the last one."""
        quantum = currency_quantum(plan.currency_id.decimal_places)
        amounts = split_installments(
            Decimal(str(plan.amount_covered)).quantize(quantum),
            plan.installment_count,
            quantum,
            Decimal(str(plan.down_payment)).quantize(quantum),
        )
        dates = installment_dates(plan.first_date, plan.installment_count, plan.interval_months)
        if plan.currency_id.compare_amounts(plan.down_payment, 0) > 0:
            dates = [fields.Date.context_today(self), *dates]
        return [
            {
                "plan_id": plan.id,
                "sequence": index,
                "is_down_payment": bool(index == 0 and len(dates) > plan.installment_count),
                "date": day,
                "amount": float(amount),
            }
            for index, (day, amount) in enumerate(zip(dates, amounts, strict=True))
        ]

    def _get_next_to_pay(self):
        """The first of these installments not paid yet, by date."""
        return self.filtered(lambda installment: installment.state != "paid").sorted(
            lambda installment: (installment.date, installment.sequence)
        )[:1]

    def _get_schedule_error_message(self, currency, amount_covered):
        """Why these installments (a plan's whole schedule) cannot be proposed for
        `amount_covered`, or False."""
        scheduled = sum(self.mapped("amount"))
        if not self or currency.compare_amounts(scheduled, amount_covered):
            return self.env._(
                "The installments sum to %(scheduled)s and must sum to the covered amount "
                "%(covered)s, to the cent.",
                scheduled=currency.format(scheduled),
                covered=currency.format(amount_covered),
            )
        if any(currency.compare_amounts(amount, 0) <= 0 for amount in self.mapped("amount")):
            return self.env._("Every installment is a positive amount.")
        return False

    def _apply_payments(self, paid, on_date, grace_days):
        """Allocate `paid` to these installments (a plan's schedule), oldest first,
        and set their states; notify the customer of those newly missed. Returns
        the installments missed as of `on_date`."""
        installments = self.sorted(lambda i: (i.date, i.sequence))
        parts = allocate_payments(
            [Decimal(str(amount)) for amount in installments.mapped("amount")],
            Decimal(str(paid)),
        )
        newly_missed = self.browse()
        for installment, allocated in zip(installments, parts, strict=True):
            part = float(allocated)
            state = installment._get_state_after(part, on_date, grace_days)
            if state == "missed" and installment.state != "missed":
                newly_missed |= installment
            if (installment.state, installment.amount_paid) != (state, part):
                # sudo: what was paid is written by the server alone.
                installment.sudo().write({"state": state, "amount_paid": part})
        newly_missed._action_notify_missed()
        return installments.filtered(lambda installment: installment.state == "missed")

    def _get_state_after(self, part, on_date, grace_days):
        """This installment's state once `part` of it is paid, as of `on_date`."""
        self.ensure_one()
        currency = self.currency_id
        if currency.compare_amounts(part, self.amount) >= 0:
            return "paid"
        if (on_date - self.date).days > grace_days:
            return "missed"
        return "partial" if currency.compare_amounts(part, 0) > 0 else "open"

    def _action_remind(self, on_date):
        """Remind customers of the installments coming due, as many days ahead as
        their policy's reminder before the due date."""
        template = self.env.ref("account_dunning.mail_template_payment_plan_reminder")
        due = self.browse()
        # One policy lookup per plan, not per installment.
        days_ahead_of = {}
        for plan in self.plan_id:
            policy = plan.partner_id.with_company(plan.company_id)._get_dunning_policy()
            days_ahead_of[plan] = policy._get_reminder_days_ahead() if policy else None
        for installment in self.filtered(
            lambda installment: (
                installment.state in ("open", "partial") and not installment.reminded_on
            )
        ):
            days_ahead = days_ahead_of[installment.plan_id]
            if days_ahead is not None and 0 <= (installment.date - on_date).days <= days_ahead:
                due |= installment
        for installment in due:
            installment.plan_id.with_context(
                dunning_installment_id=installment.id
            ).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment", email_layout_xmlid=DUNNING_EMAIL_LAYOUT
            )
        # sudo: when the customer was reminded is written by the server alone.
        due.sudo().reminded_on = on_date
        return due

    def _action_notify_missed(self):
        """Tell the customer an installment was missed, and what follows: one email
        per plan, about the latest of these installments."""
        template = self.env.ref("account_dunning.mail_template_payment_plan_missed")
        for plan in self.plan_id:
            installment = self.filtered(lambda i, plan=plan: i.plan_id == plan).sorted("date")[-1]
            plan.with_context(dunning_installment_id=installment.id).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment", email_layout_xmlid=DUNNING_EMAIL_LAYOUT
            )
        self.sudo().missed_notified_on = fields.Date.context_today(self)  # sudo: server-written
