from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.account_dunning_dispute import DISPUTE_REASONS
from ..models.account_dunning_event import CALL_OUTCOMES
from ..models.mail_activity import DUNNING_CALL_TYPE

# Days until the next try when nobody answered.
RECALL_DAYS = 2


class AccountDunningCallOutcome(models.TransientModel):
    """Log a call to a customer with its outcome: what was said goes on the
    collection history, a promise or a dispute becomes a record, the call
    activity is done and the next action is set."""

    _name = "account.dunning.call.outcome"
    _description = "Dunning Call Outcome"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer", required=True)
    # Whom to call and what to ask, in the dialog itself.
    phone = fields.Char(related="partner_id.phone")
    mobile = fields.Char(related="partner_id.mobile")
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )
    activity_id = fields.Many2one(comodel_name="mail.activity", string="Call")
    outcome = fields.Selection(selection=CALL_OUTCOMES, required=True)
    note = fields.Text(string="What Was Said")
    next_call_date = fields.Date(
        default=lambda self: fields.Date.add(fields.Date.context_today(self), days=RECALL_DAYS)
    )
    move_ids = fields.Many2many(
        comodel_name="account.move",
        string="Invoices",
        domain="[('dunning_open', '=', True), ('commercial_partner_id', '=', partner_id)]",
    )
    currency_id = fields.Many2one(comodel_name="res.currency", compute="_compute_currency_id")
    amount_overdue = fields.Monetary(
        string="Overdue",
        compute="_compute_amount_overdue",
        help="What the customer's overdue invoices in this currency still owe.",
    )
    promise_amount = fields.Monetary(string="Promised Amount")
    promise_date = fields.Date(string="Promised Date")
    dispute_amount = fields.Monetary(string="Disputed Amount")
    dispute_reason = fields.Selection(selection=DISPUTE_REASONS)

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        partner = self.env["res.partner"].browse(values.get("partner_id"))
        if "move_ids" in fields_list and partner and not values.get("move_ids"):
            # What the call is about: the customer's overdue invoices, in one currency.
            company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
            overdue = self.env["account.move"].search(
                partner.with_company(company)._get_dunning_overdue_domain(
                    partner.commercial_partner_id, fields.Date.context_today(self)
                ),
                order="invoice_date_due, id",
            )
            overdue = overdue.filtered(lambda move: move.currency_id == overdue[:1].currency_id)
            residual = sum(overdue.mapped("amount_residual"))
            values.update(
                move_ids=[fields.Command.set(overdue.ids)],
                promise_amount=residual,
                dispute_amount=residual,
            )
        return values

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("move_ids", "company_id")
    def _compute_currency_id(self):
        for wizard in self:
            wizard.currency_id = wizard.move_ids[:1].currency_id or wizard.company_id.currency_id

    @api.depends("partner_id", "company_id", "currency_id")
    def _compute_amount_overdue(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            partner = wizard.partner_id.commercial_partner_id.with_company(wizard.company_id)
            overdue = self.env["account.move"].search(
                [
                    *partner._get_dunning_overdue_domain(partner, today),
                    ("currency_id", "=", wizard.currency_id.id),
                ]
            )
            wizard.amount_overdue = sum(overdue.mapped("amount_residual"))

    # ------------------------------------------------------------
    # ONCHANGE METHODS
    # ------------------------------------------------------------

    @api.onchange("move_ids")
    def _onchange_move_ids(self):
        residual = sum(self.move_ids.mapped("amount_residual"))
        self.promise_amount = residual
        self.dispute_amount = residual

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_done(self):
        self.ensure_one()
        error = self._outcome_error_message()
        if error:
            raise UserError(error)
        self._action_log_outcome()
        if self.outcome == "plan_requested":
            # The customer asked for a plan: draw it up now, on the invoices spoken of.
            partner = self.partner_id.commercial_partner_id.with_company(self.company_id)
            return (
                partner._get_dunning_plan_action(self.move_ids)
                if self.move_ids
                else partner.action_dunning_propose_plan()
            )
        return {"type": "ir.actions.act_window_close"}

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_dialog_action(self, partner, company, call):
        """The Log Call dialog for `partner` in `company`, closing `call` if given."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call: %(customer)s", customer=partner.name),
            "res_model": self._name,
            "view_mode": "form",
            # Also opened through the web client's ORM service: no server-side cleaning.
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_company_id": company.id,
                "default_activity_id": call.id,
            },
        }

    def _outcome_error_message(self):
        if not self.env.user.has_group("account_dunning.group_dunning_user"):
            return self.env._("Only dunning users log calls.")
        if self.outcome in ("promise", "dispute") and not self.move_ids:
            return self.env._("Choose the invoices the customer spoke about.")
        if self.outcome == "promise" and not self.promise_date:
            return self.env._("Give the date the customer promised to pay by.")
        if self.outcome == "dispute" and (not self.dispute_reason or len(self.move_ids) != 1):
            return self.env._("A dispute is about one invoice, with a reason.")
        if self.outcome == "no_answer" and not self.next_call_date:
            return self.env._("Give the date of the next try.")
        return False

    def _prepare_promise_values(self):
        return {
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "move_ids": [fields.Command.set(self.move_ids.ids)],
            "amount": self.promise_amount,
            "date": self.promise_date,
            "note": self.note,
        }

    def _prepare_dispute_values(self):
        return {
            "move_id": self.move_ids.id,
            "amount": self.dispute_amount,
            "reason": self.dispute_reason,
            "note": self.note,
        }

    def _action_log_outcome(self):
        """The history entry, the promise or dispute, the call done and the next
        action: a new try, a contact to find, a plan to propose."""
        partner = self.partner_id.commercial_partner_id.with_company(self.company_id)
        promise = dispute = None
        if self.outcome == "promise":
            promise = self.env["account.dunning.promise"].create(self._prepare_promise_values())
        elif self.outcome == "dispute":
            dispute = self.env["account.dunning.dispute"].create(self._prepare_dispute_values())
        label = dict(self._fields["outcome"]._description_selection(self.env))[self.outcome]
        summary = self.env._("Call: %(outcome)s", outcome=label)
        self.env["account.dunning.event"]._record(
            [
                {
                    "company_id": self.company_id.id,
                    "partner_id": partner.id,
                    "kind": "call",
                    "call_outcome": self.outcome,
                    "summary": summary,
                    "note": self.note,
                    "promise_id": promise and promise.id,
                    "dispute_id": dispute and dispute.id,
                }
            ]
        )
        if self.activity_id:
            self.activity_id.with_context(dunning_call_outcome=True).action_feedback(
                feedback=f"{summary}: {self.note}" if self.note else summary
            )
        self._action_schedule_next(partner)

    def _action_schedule_next(self, partner):
        next_actions = {
            "no_answer": (
                self.env._("Dunning call: try again"),
                DUNNING_CALL_TYPE,
                self.next_call_date,
            ),
            "wrong_contact": (
                self.env._("Find the right contact for collections"),
                "mail.mail_activity_data_todo",
                fields.Date.context_today(self),
            ),
        }
        if self.outcome not in next_actions:
            return self.env["mail.activity"]
        summary, activity_type, deadline = next_actions[self.outcome]
        user = partner._get_dunning_collector() or self.env.user
        return partner.activity_schedule(
            activity_type, date_deadline=deadline, summary=summary, note=self.note, user_id=user.id
        )
