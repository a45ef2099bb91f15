from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

PLAN_STATES = [
    ("draft", "Draft"),
    ("proposed", "Proposed"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancel", "Cancelled"),
]
PLAN_INTEREST_MODES = [
    ("none", "No interest while the plan holds"),
    ("policy", "Policy interest on the remaining balance, charged if the plan breaks"),
]
# Written by the server alone: the plan's course and the customer's signature.
PLAN_SERVER_FIELDS = (
    "state",
    "amount_paid",
    "signature",
    "signed_by",
    "signed_on",
    "accepted_by_id",
    "date_proposed",
    "date_active",
    "date_closed",
    "agreement_id",
    "activity_id",
)
# What the customer agreed to: fixed once the plan is proposed.
PLAN_TERMS_FIELDS = (
    "partner_id",
    "move_ids",
    "amount_covered",
    "down_payment",
    "installment_count",
    "first_date",
    "interval_months",
    "interest_mode",
    "break_after_missed",
    "grace_days",
)


class AccountDunningPaymentPlan(models.Model):
    """A payment plan: the customer pays the covered invoices in installments
    agreed in writing. While it holds, its invoices leave the ladder; missed
    installments break it, and the ladder resumes for what is left."""

    _name = "account.dunning.payment.plan"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "account.dunning.mixin"]
    _description = "Payment Plan"
    _order = "id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index="trigram"
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain=[("is_company", "=", True)],
    )
    move_ids = fields.Many2many(
        comodel_name="account.move",
        relation="account_dunning_payment_plan_move_rel",
        column1="plan_id",
        column2="move_id",
        string="Invoices",
        required=True,
        copy=False,
        check_company=True,
        domain="[('dunning_open', '=', True), ('commercial_partner_id', '=', partner_id)]",
    )
    currency_id = fields.Many2one(
        comodel_name="res.currency",
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    amount_covered = fields.Monetary(
        string="Covered Amount",
        compute="_compute_amount_covered",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        help="The open amount of the invoices when the plan was drawn up: the installments "
        "sum to it exactly.",
    )
    down_payment = fields.Monetary(tracking=True)
    installment_count = fields.Integer(string="Installments", default=3, required=True)
    first_date = fields.Date(
        string="First Installment",
        required=True,
        default=lambda self: fields.Date.add(fields.Date.context_today(self), months=1),
    )
    interval_months = fields.Integer(string="Every (months)", default=1, required=True)
    installment_ids = fields.One2many(
        comodel_name="account.dunning.payment.plan.installment",
        inverse_name="plan_id",
        string="Schedule",
        copy=False,
    )
    interest_mode = fields.Selection(
        selection=PLAN_INTEREST_MODES,
        string="Interest",
        compute="_compute_policy_terms",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    break_after_missed = fields.Integer(
        string="Breaks After (missed)",
        compute="_compute_policy_terms",
        store=True,
        readonly=False,
        precompute=True,
        help="Number of missed installments that breaks the plan.",
    )
    grace_days = fields.Integer(
        string="Grace (days)",
        compute="_compute_policy_terms",
        store=True,
        readonly=False,
        precompute=True,
        help="An installment is missed once unpaid this many days after its date.",
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Collector",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
    )
    note = fields.Text()
    state = fields.Selection(
        selection=PLAN_STATES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    amount_paid = fields.Monetary(
        readonly=True, copy=False, help="Paid on the covered invoices since the plan was drawn up."
    )
    amount_remaining = fields.Monetary(compute="_compute_amount_remaining")
    next_installment_id = fields.Many2one(
        comodel_name="account.dunning.payment.plan.installment",
        compute="_compute_next_installment_id",
    )
    next_date = fields.Date(string="Next Installment Date", compute="_compute_next_installment_id")
    next_amount_due = fields.Monetary(
        string="Next Installment Due", compute="_compute_next_installment_id"
    )
    missed_count = fields.Integer(string="Missed", compute="_compute_missed_count", store=True)
    signature = fields.Image(max_width=1024, max_height=1024, copy=False, attachment=True)
    signed_by = fields.Char(copy=False)
    signed_on = fields.Datetime(copy=False)
    accepted_by_id = fields.Many2one(comodel_name="res.users", readonly=True, copy=False)
    date_proposed = fields.Date(string="Proposed On", readonly=True, copy=False)
    date_active = fields.Date(string="Active Since", readonly=True, copy=False)
    date_closed = fields.Date(string="Closed On", readonly=True, copy=False)
    close_reason = fields.Text(
        copy=False, help="Why the plan was broken or cancelled; required to do either by hand."
    )
    agreement_id = fields.Many2one(comodel_name="ir.attachment", readonly=True, copy=False)
    activity_id = fields.Many2one(
        comodel_name="mail.activity", string="Follow-up", readonly=True, ondelete="set null"
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("move_ids")
    def _compute_currency_id(self):
        for plan in self:
            plan.currency_id = plan.move_ids[:1].currency_id or plan.company_id.currency_id

    @api.depends("move_ids")
    def _compute_amount_covered(self):
        # The invoices change only on a draft (see write): a proposed plan keeps its amount.
        for plan in self:
            plan.amount_covered = sum(plan.move_ids.mapped("amount_residual"))

    @api.depends("partner_id", "company_id")
    def _compute_policy_terms(self):
        for plan in self:
            policy = plan.partner_id.with_company(plan.company_id)._get_dunning_policy()
            plan.interest_mode = policy.plan_interest_mode if policy else "none"
            plan.break_after_missed = policy.plan_break_after_missed if policy else 1
            plan.grace_days = policy.plan_grace_days if policy else 0

    @api.depends("amount_covered", "amount_paid")
    def _compute_amount_remaining(self):
        for plan in self:
            plan.amount_remaining = plan.amount_covered - plan.amount_paid

    @api.depends(
        "installment_ids.state",
        "installment_ids.date",
        "installment_ids.amount",
        "installment_ids.amount_paid",
    )
    def _compute_next_installment_id(self):
        for plan in self:
            installment = plan.installment_ids._get_next_to_pay()
            plan.next_installment_id = installment
            plan.next_date = installment.date
            plan.next_amount_due = installment.amount_due

    @api.depends("installment_ids.state")
    def _compute_missed_count(self):
        for plan in self:
            plan.missed_count = len(
                plan.installment_ids.filtered(lambda installment: installment.state == "missed")
            )

    def _compute_access_url(self):
        for plan in self:
            plan.access_url = f"/my/payment_plans/{plan.id}"

    @api.depends("name", "partner_id")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = f"{plan.name} - {plan.partner_id.display_name}"

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("move_ids", "partner_id", "currency_id")
    def _check_invoices(self):
        for plan in self:
            strangers = plan.move_ids._get_dunning_strangers(plan.partner_id, plan.currency_id)
            if strangers:
                raise ValidationError(
                    self.env._(
                        "A payment plan covers customer invoices of %(customer)s in one"
                        " currency: %(invoices)s are not.",
                        customer=plan.partner_id.display_name,
                        invoices=", ".join(strangers.mapped("display_name")),
                    )
                )

    @api.constrains("installment_count", "interval_months", "break_after_missed", "grace_days")
    def _check_terms(self):
        for plan in self:
            if not 1 <= plan.installment_count <= 120 or not 1 <= plan.interval_months <= 12:
                raise ValidationError(
                    self.env._("A payment plan has 1 to 120 installments, 1 to 12 months apart.")
                )
            if plan.break_after_missed < 1 or plan.grace_days < 0:
                raise ValidationError(
                    self.env._(
                        "A plan breaks after at least one missed installment, and its grace "
                        "days are not negative."
                    )
                )

    @api.constrains("down_payment", "amount_covered")
    def _check_down_payment(self):
        for plan in self:
            currency = plan.currency_id
            if currency.compare_amounts(plan.down_payment, 0) < 0 or (
                currency.compare_amounts(plan.down_payment, 0) > 0
                and currency.compare_amounts(plan.down_payment, plan.amount_covered) >= 0
            ):
                raise ValidationError(
                    self.env._(
                        "The down payment is a part of the covered amount %(amount)s.",
                        amount=currency.format(plan.amount_covered),
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("account.dunning.payment.plan")
        plans = super().create(vals_list)
        for plan in plans:
            if plan.partner_id != plan.partner_id.commercial_partner_id:
                plan.partner_id = plan.partner_id.commercial_partner_id
            error = plan._open_error_message()
            if error:
                raise UserError(error)
        # A plan starts with the schedule its terms give; edited later by hand, if need be.
        plans.filtered(lambda plan: not plan.installment_ids).action_compute_schedule()
        plans._record_events(self.env._("drawn up"))
        return plans

    def write(self, vals):
        # What was proposed is what the customer signs: terms and schedule stay.
        if set(PLAN_TERMS_FIELDS).intersection(vals) and any(
            plan.state != "draft" for plan in self
        ):
            raise UserError(
                self.env._("Only a draft payment plan can change its invoices and terms.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(plan.state != "draft" for plan in self):
            raise UserError(
                self.env._("A payment plan once proposed stays on record: cancel it instead.")
            )

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_compute_schedule(self):
        """The schedule from the terms: the down payment, then equal installments,
        the rounding difference on the last one."""
        self.check_access("write")
        for plan in self:
            plan._check_state("draft")
            plan.amount_covered = sum(plan.move_ids.mapped("amount_residual"))
            plan.installment_ids.unlink()
            Installment = self.env["account.dunning.payment.plan.installment"]
            Installment.create(Installment._prepare_schedule_values(plan))
        return True

    def action_propose(self):
        """Send the agreement letter: the customer accepts it by signing on the
        portal, or the collector records the acceptance."""
        self.check_access("write")
        for plan in self:
            plan._check_state("draft")
            error = plan._propose_error_message()
            if error:
                raise UserError(error)
        # sudo: the state is written by the server alone (see PLAN_SERVER_FIELDS).
        self.sudo().write({"state": "proposed", "date_proposed": fields.Date.context_today(self)})
        self.env["report.account_dunning.report_payment_plan"]._send_agreements(self)
        self._record_events(self.env._("proposed"))
        return True

    def action_accept(self):
        """The customer agreed (by phone, in writing): the plan starts."""
        self.check_access("write")
        for plan in self:
            plan._check_state("proposed")
        self._action_activate()
        self.sudo().accepted_by_id = self.env.user  # sudo: see PLAN_SERVER_FIELDS
        return True

    def action_cancel(self):
        self._action_close("cancel", ("draft", "proposed", "active"))
        return True

    def action_break(self):
        self._action_close("broken", ("active",))
        return True

    def action_print_agreement(self):
        return self.env.ref("account_dunning.action_report_payment_plan").report_action(self)

    def action_preview(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "target": "self",
            "url": self.get_portal_url(),
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _dunning_protected_fields(self):
        return set(PLAN_SERVER_FIELDS)

    @api.model
    def _dunning_field_group(self, field_name):
        return None

    def _check_state(self, *states):
        for plan in self:
            if plan.state not in states:
                raise UserError(
                    self.env._(
                        "Payment plan %(plan)s is %(state)s: this is not possible now.",
                        plan=plan.name,
                        state=plan._get_state_label(),
                    )
                )

    def _get_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _open_error_message(self):
        self.ensure_one()
        closed = self.move_ids.filtered(lambda move: not move.dunning_open)
        if closed:
            return self.env._(
                "A payment plan is for invoices still to be paid: %(invoices)s are not.",
                invoices=", ".join(closed.mapped("display_name")),
            )
        planned = self.move_ids.dunning_plan_ids.filtered(
            lambda plan: plan != self and plan.state in ("draft", "proposed", "active")
        )
        if planned:
            return self.env._(
                "These invoices are already in payment plan %(plans)s.",
                plans=", ".join(planned.mapped("name")),
            )
        return False

    def _propose_error_message(self):
        self.ensure_one()
        error = self._open_error_message()
        if error:
            return error
        currency = self.currency_id
        owed = sum(self.move_ids.mapped("amount_residual"))
        if currency.compare_amounts(owed, self.amount_covered):
            return self.env._(
                "The invoices' open amount is now %(owed)s, not %(covered)s: compute the "
                "schedule again.",
                owed=currency.format(owed),
                covered=currency.format(self.amount_covered),
            )
        error = self.installment_ids._get_schedule_error_message(currency, self.amount_covered)
        if error:
            return error
        if not self.partner_id.email:
            return self.env._(
                "%(customer)s has no email address to send the agreement to.",
                customer=self.partner_id.display_name,
            )
        return False

    def _action_activate(self, signed_by=None, signature=None):
        """The plan starts: accepted by the collector, or signed on the portal."""
        values = {"state": "active", "date_active": fields.Date.context_today(self)}
        if signature:
            values.update(
                {"signature": signature, "signed_by": signed_by, "signed_on": fields.Datetime.now()}
            )
        # sudo: the plan's course is written by the server alone.
        self.sudo().write(values)
        self._record_events(self.env._("accepted"))

    def _action_close(self, state, from_states):
        self._check_state(*from_states)
        self.check_access("write")
        missing = self.filtered(lambda plan: not (plan.close_reason or "").strip())
        if missing:
            raise UserError(self.env._("Write why the plan ends before breaking or cancelling it."))
        self._set_closed(state)

    def _set_closed(self, state, reason=None):
        """Close the plans; `reason` defaults to each plan's own close reason."""
        # sudo: the plan's course is written by the server alone.
        values = {"state": state, "date_closed": fields.Date.context_today(self)}
        if reason:
            values["close_reason"] = reason
        self.sudo().write(values)
        for plan in self:
            plan.message_post(
                body=self.env._(
                    "Payment plan %(state)s: %(reason)s",
                    state=plan._get_state_label(),
                    reason=plan.close_reason,
                )
            )
            plan._record_events(plan.close_reason)
        broken = self.filtered(lambda plan: plan.state == "broken")
        broken._action_resume()

    @api.model
    def _cron_check_plans(self):
        """Daily: follow the active plans of every company that has some."""
        today = fields.Date.context_today(self)
        for company in self.search([("state", "=", "active")]).company_id:
            self.with_company(company)._action_check_due(company, today)

    @api.model
    def _action_check_due(self, company, on_date):
        """Allocate what was paid on the covered invoices to the installments,
        oldest first; complete the plans paid in full, break those with too many
        missed installments; remind the customers of installments coming due."""
        plans = self.search(
            [("company_id", "=", company.id), ("state", "=", "active")]
        ).with_company(company)
        completed, broken = self.browse(), self.browse()
        for plan in plans:
            missed = plan._allocate_payments(on_date)
            if plan.currency_id.compare_amounts(
                plan.amount_paid, plan.amount_covered
            ) >= 0 or not any(plan.move_ids.mapped("dunning_open")):
                completed |= plan
            elif len(missed) >= plan.break_after_missed:
                broken |= plan
        if completed:
            completed._set_closed("completed", self.env._("every installment paid"))
        for plan in broken:
            plan._set_closed(
                "broken",
                self.env._(
                    "%(count)s installment(s) missed, the plan breaks after %(limit)s",
                    count=plan.missed_count,
                    limit=plan.break_after_missed,
                ),
            )
        (plans - completed - broken).installment_ids._action_remind(on_date)
        return completed | broken

    def _allocate_payments(self, on_date):
        """Update the installments from the invoices' open amounts; returns the
        installments missed as of `on_date`."""
        self.ensure_one()
        paid = max(self.amount_covered - sum(self.move_ids.mapped("amount_residual")), 0)
        self.sudo().amount_paid = paid  # sudo: see PLAN_SERVER_FIELDS
        return self.installment_ids._apply_payments(paid, on_date, self.grace_days)

    def _action_resume(self):
        """The ladder resumes for what is left: at the policy's level after a
        broken plan, without waiting for the level's interval; the collector gets
        a follow-up."""
        for plan in self:
            company = plan.company_id
            partner = plan.partner_id.with_company(company)
            policy = partner._get_dunning_policy()
            self.env["account.dunning.move.level"]._resume_below(
                plan.move_ids.filtered("dunning_open"),
                policy.plan_broken_level_id if policy else False,
                policy._get_ordered_levels() if policy else [],
            )
            collector = plan.user_id or partner._get_dunning_collector()
            if not collector:
                continue
            # sudo: the follow-up is the server's (see PLAN_SERVER_FIELDS).
            plan.sudo().activity_id = partner._create_dunning_follow_up(
                self.env._("Payment plan broken: %(plan)s", plan=plan.name), collector
            )

    def _get_mail_installment(self):
        """The installment an email of the plan is about (see the mail templates)."""
        self.ensure_one()
        installment_id = self.env.context.get("dunning_installment_id")
        return self.installment_ids.filtered(lambda installment: installment.id == installment_id)

    def _get_portal_payable_amount(self):
        """What the customer pays online now: the rest of the next installment, or,
        once the plan is broken, the whole balance it left due."""
        self.ensure_one()
        if self.state == "broken":
            open_moves = self.move_ids.filtered("dunning_open")
            return self.currency_id.round(sum(open_moves.mapped("amount_residual")))
        if self.state != "active" or not self.next_installment_id:
            return 0.0
        return self.next_installment_id.amount_due

    def _record_events(self, what):
        self.env["account.dunning.event"]._record(
            [
                {
                    "company_id": plan.company_id.id,
                    "partner_id": plan.partner_id.id,
                    "kind": "plan",
                    "plan_id": plan.id,
                    "summary": self.env._(
                        "Payment plan %(plan)s (%(amount)s in %(count)s): %(what)s",
                        plan=plan.name,
                        amount=plan.currency_id.format(plan.amount_covered),
                        count=len(plan.installment_ids) or plan.installment_count,
                        what=what,
                    ),
                    "note": plan.close_reason if plan.state in ("broken", "cancel") else plan.note,
                }
                for plan in self
            ]
        )
