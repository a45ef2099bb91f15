from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

PROMISE_STATES = [
    ("open", "Open"),
    ("kept", "Kept"),
    ("partial", "Partly Kept"),
    ("broken", "Broken"),
    ("cancel", "Cancelled"),
]
# Written by the server alone: what the promise came to.
PROMISE_SERVER_FIELDS = ("state", "amount_paid", "residual_at_promise", "activity_id")


class AccountDunningPromise(models.Model):
    """A customer's promise to pay: its invoices pause on the ladder until the
    promised date plus the policy's grace days; then it is kept, partly kept or
    broken, which the run decides on its own."""

    _name = "account.dunning.promise"
    _inherit = ["mail.thread", "account.dunning.mixin"]
    _description = "Promise to Pay"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        domain=[("is_company", "=", True)],
    )
    move_ids = fields.Many2many(
        comodel_name="account.move",
        relation="account_dunning_promise_move_rel",
        column1="promise_id",
        column2="move_id",
        string="Invoices",
        required=True,
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
    # Not added up when grouped: promises of one invoice (open, then broken) overlap.
    amount = fields.Monetary(
        string="Promised Amount", required=True, tracking=True, aggregator=None
    )
    date = fields.Date(string="Promised Date", required=True, tracking=True)
    note = fields.Text()
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Taken By",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    state = fields.Selection(
        selection=PROMISE_STATES, default="open", required=True, readonly=True, tracking=True
    )
    residual_at_promise = fields.Monetary(
        string="Owed When Promised",
        readonly=True,
        help="Open amount of the invoices when the promise was taken.",
    )
    amount_paid = fields.Monetary(
        readonly=True, help="Paid on the invoices since the promise, when it was last checked."
    )
    activity_id = fields.Many2one(
        comodel_name="mail.activity", string="Follow-up", readonly=True, ondelete="set null"
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("move_ids")
    def _compute_currency_id(self):
        for promise in self:
            promise.currency_id = promise.move_ids[:1].currency_id or promise.company_id.currency_id

    @api.depends("partner_id", "amount", "date", "currency_id")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = self.env._(
                "%(customer)s: %(amount)s by %(date)s",
                customer=promise.partner_id.display_name,
                amount=promise.currency_id.format(promise.amount),
                date=format_date(self.env, promise.date),
            )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("amount", "move_ids", "partner_id", "currency_id")
    def _check_invoices(self):
        for promise in self:
            if promise.currency_id.compare_amounts(promise.amount, 0) <= 0:
                raise ValidationError(self.env._("A promise to pay is for a positive amount."))
            strangers = promise.move_ids._get_dunning_strangers(
                promise.partner_id, promise.currency_id
            )
            if strangers:
                raise ValidationError(
                    self.env._(
                        "A promise covers customer invoices of %(customer)s in one currency:"
                        " %(invoices)s are not.",
                        customer=promise.partner_id.display_name,
                        invoices=", ".join(strangers.mapped("display_name")),
                    )
                )

    @api.constrains("amount", "date", "move_ids")
    def _check_settled_unchanged(self):
        # What a settled promise was is on record: it decided the ladder.
        if any(promise.state != "open" for promise in self):
            raise ValidationError(self.env._("A settled promise to pay cannot be changed."))

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            promise.partner_id = promise.partner_id.commercial_partner_id
            error = promise._open_error_message()
            if error:
                raise UserError(error)
        # sudo: what was owed when the promise was taken is a fact, not an input.
        for promise in promises.sudo():
            promise.residual_at_promise = sum(promise.move_ids.mapped("amount_residual"))
        promises._record_events()
        promises._action_close_follow_ups()
        return promises

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_cancel(self):
        self.check_access("write")
        open_promises = self.filtered(lambda promise: promise.state == "open")
        # sudo: the state is written by the server alone (see PROMISE_SERVER_FIELDS).
        open_promises.sudo().state = "cancel"
        open_promises._record_events()
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _dunning_protected_fields(self):
        return set(PROMISE_SERVER_FIELDS)

    @api.model
    def _dunning_field_group(self, field_name):
        return None

    def _open_error_message(self):
        self.ensure_one()
        closed = self.move_ids.filtered(lambda move: not move.dunning_open)
        if closed:
            return self.env._(
                "A promise to pay is for invoices still to be paid: %(invoices)s are not.",
                invoices=", ".join(closed.mapped("display_name")),
            )
        return False

    @api.model
    def _cron_check_promises(self):
        """Daily: settle the promises due in every company that has open ones."""
        today = fields.Date.context_today(self)
        for company in self.search([("state", "=", "open")]).company_id:
            self.with_company(company)._action_check_due(company, today)

    @api.model
    def _action_check_due(self, company, on_date):
        """Settle the open promises of `company` as of `on_date`: kept as soon as
        paid, partly kept or broken once the date plus the grace days passed. The
        ladder resumes for the invoices of those not kept."""
        promises = self.search([("company_id", "=", company.id), ("state", "=", "open")])
        for promise in promises:
            paid = max(
                promise.residual_at_promise - sum(promise.move_ids.mapped("amount_residual")), 0
            )
            currency = promise.currency_id
            grace = promise.partner_id.with_company(company)._get_dunning_policy()
            due = (on_date - promise.date).days > (grace.promise_grace_days if grace else 0)
            if currency.compare_amounts(paid, promise.amount) >= 0 or not any(
                promise.move_ids.mapped("dunning_open")
            ):
                state = "kept"
            elif not due:
                continue
            else:
                state = "partial" if currency.compare_amounts(paid, 0) > 0 else "broken"
            promise.write({"state": state, "amount_paid": paid})
        settled = promises.filtered(lambda promise: promise.state != "open")
        settled._record_events()
        (settled - settled.filtered(lambda promise: promise.state == "kept"))._action_resume()
        return settled

    def _action_resume(self):
        """The ladder resumes for the invoices of these promises not kept: a
        follow-up activity for the collector, and with the policy's say-so no
        waiting for the level's interval."""
        for promise in self:
            company = promise.company_id
            partner = promise.partner_id.with_company(company)
            policy = partner._get_dunning_policy()
            if policy.promise_broken_escalate:
                promise.move_ids.filtered("dunning_open").last_dunning_date = False
            collector = partner._get_dunning_collector()
            if not collector:
                continue
            promise.activity_id = partner._create_dunning_follow_up(
                self.env._(
                    "Promise %(state)s: %(promise)s",
                    state=promise._get_state_label(),
                    promise=promise.display_name,
                ),
                collector,
            )

    def _action_close_follow_ups(self):
        """A new promise answers the follow-ups of the customer's promises not kept
        (see _action_resume): they are marked done, naming the new promise."""
        for promise in self:
            settled = self.search(
                [
                    ("partner_id", "=", promise.partner_id.id),
                    ("company_id", "=", promise.company_id.id),
                    ("state", "in", ("broken", "partial")),
                    ("activity_id", "!=", False),
                ]
            )
            if not settled.activity_id:
                continue
            # sudo: the follow-up may be another collector's; taking a new promise
            # answers it, and who may take one is checked by the access rights.
            settled.activity_id.sudo().action_feedback(
                feedback=self.env._("New promise to pay: %(promise)s", promise=promise.display_name)
            )

    def _get_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _record_events(self):
        self.env["account.dunning.event"]._record(
            [
                {
                    "company_id": promise.company_id.id,
                    "partner_id": promise.partner_id.id,
                    "kind": "promise",
                    "promise_id": promise.id,
                    "summary": self.env._(
                        "Promise to pay %(promise)s: %(state)s",
                        promise=promise.display_name,
                        state=promise._get_state_label(),
                    ),
                    "note": promise.note,
                }
                for promise in self
            ]
        )
