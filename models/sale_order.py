from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from ..tools.money import deposit_shortfall
from .account_dunning_behaviour import RISK_CLASSES

# Deposit states that keep a quotation from being confirmed.
DEPOSIT_OUTSTANDING_STATES = ("missing", "partial")
DEPOSIT_STATES = [
    ("not_required", "Not required"),
    ("missing", "Missing"),
    ("partial", "Partial"),
    ("paid", "Paid"),
    ("waived", "Waived"),
]
# Written by managers through the waiver, never by salespeople.
DEPOSIT_WAIVER_FIELDS = (
    "deposit_waived",
    "deposit_waived_amount",
    "deposit_waiver_reason",
    "deposit_waived_by_id",
    "deposit_waived_date",
    "deposit_hold_released",
)
# Computed by the server alone.
DEPOSIT_COMPUTED_FIELDS = (
    "deposit_rule_id",
    "deposit_required_amount",
    "deposit_received_amount",
    "deposit_missing_amount",
    "deposit_state",
    "deposit_outstanding",
)
# Links that carry money into the deposit: written by Odoo's own flows only.
DEPOSIT_MONEY_LINKS = ("transaction_ids",)
# Orders that may still be confirmed.
QUOTATION_STATES = ("draft", "sent")


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "account.dunning.mixin"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    deposit_rule_id = fields.Many2one(
        comodel_name="sale.deposit.rule",
        compute="_compute_deposit_required_amount",
        store=True,
        readonly=True,
    )
    deposit_required_amount = fields.Monetary(
        string="Deposit Required",
        compute="_compute_deposit_required_amount",
        store=True,
        readonly=True,
        tracking=True,
    )
    deposit_received_amount = fields.Monetary(
        string="Deposit Received",
        compute="_compute_deposit_received_amount",
        store=True,
        readonly=True,
        help="Paid down-payment invoices of this order and its confirmed online payments.",
    )
    deposit_missing_amount = fields.Monetary(
        string="Deposit Missing",
        compute="_compute_deposit_state",
        store=True,
        readonly=True,
    )
    deposit_state = fields.Selection(
        selection=DEPOSIT_STATES,
        string="Deposit Status",
        compute="_compute_deposit_state",
        store=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    deposit_is_quotation = fields.Boolean(
        string="Quotation",
        compute="_compute_deposit_is_quotation",
        help="Draft or sent: the deposit gate still applies.",
    )
    deposit_outstanding = fields.Boolean(
        compute="_compute_deposit_outstanding",
        store=True,
        readonly=True,
        index=True,
        help="A quotation that cannot be confirmed before its deposit is paid in full.",
    )
    deposit_waived = fields.Boolean(readonly=True, copy=False)
    deposit_waived_amount = fields.Monetary(
        string="Waived Up To",
        readonly=True,
        copy=False,
        help="The requirement the waiver covered; a larger one needs a new waiver.",
    )
    deposit_waiver_reason = fields.Text(string="Waiver Reason", readonly=True, copy=False)
    deposit_waived_by_id = fields.Many2one(
        comodel_name="res.users", string="Waived By", readonly=True, copy=False
    )
    deposit_waived_date = fields.Datetime(string="Waived On", readonly=True, copy=False)
    deposit_credit_hold = fields.Boolean(
        string="Customer on Credit Hold",
        compute="_compute_deposit_credit_hold",
        help="The customer, or the commercial entity of the invoice address, is on credit hold.",
    )
    deposit_hold_released = fields.Boolean(
        string="Credit Hold Overridden",
        readonly=True,
        copy=False,
        help="A manager allowed this order although the customer is on credit hold.",
    )
    deposit_blocks_confirmation = fields.Boolean(
        compute="_compute_deposit_blocks_confirmation",
        help="The server refuses to confirm this quotation: its deposit is missing, or"
        " its customer is on credit hold.",
    )
    deposit_dunning_risk = fields.Selection(
        selection=RISK_CLASSES,
        string="Customer Payment Risk",
        compute="_compute_deposit_dunning_risk",
        help="How the customer pays this order's company (account.dunning.behaviour).",
    )
    deposit_dunning_risk_reason = fields.Char(
        string="Payment Risk Reason", compute="_compute_deposit_dunning_risk"
    )
    deposit_invoiced_amount = fields.Monetary(
        string="Deposit Awaiting Payment",
        compute="_compute_deposit_invoiced_amount",
        help="What the posted deposit invoices of this quotation still await.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("amount_total", "partner_id", "company_id", "currency_id", "date_order", "state")
    def _compute_deposit_required_amount(self):
        # The requirement follows the quotation; once confirmed it is a fact, kept as is.
        quotations = self.filtered(lambda order: order.state in QUOTATION_STATES)
        quotations.deposit_required_amount = 0.0
        quotations.deposit_rule_id = False
        quotations = quotations.filtered(lambda order: order.partner_id and order.company_id)
        if not quotations:
            return
        rules = self.env["sale.deposit.rule"].search(
            [("company_id", "in", quotations.company_id.ids)]
        )
        for company in quotations.company_id:
            orders = quotations.filtered(lambda order, company=company: order.company_id == company)
            company_rules = rules.filtered(lambda rule, company=company: rule.company_id == company)
            # An order's own deposit invoice is not the customer's history.
            facts = company_rules._get_customer_facts(
                orders.partner_id,
                company,
                excluded_moves=orders.order_line.filtered("is_downpayment").invoice_lines.move_id,
            )
            for order in orders:
                rule, amount = company_rules._get_order_deposit(
                    order, facts[order.partner_id.commercial_partner_id.id]
                )
                order.deposit_rule_id = rule
                order.deposit_required_amount = amount

    @api.depends("partner_id", "company_id")
    def _compute_deposit_dunning_risk(self):
        for order in self:
            partner = order.partner_id.commercial_partner_id.with_company(order.company_id)
            order.deposit_dunning_risk = partner.dunning_risk if partner else False
            order.deposit_dunning_risk_reason = partner.dunning_risk_reason if partner else False

    @api.depends(
        "partner_id",
        "partner_invoice_id",
        "order_line.invoice_lines.move_id.state",
        "order_line.invoice_lines.move_id.amount_residual",
        "order_line.invoice_lines.move_id.payment_state",
        "transaction_ids.state",
        "transaction_ids.amount",
    )
    def _compute_deposit_received_amount(self):
        for order in self:
            invoices = order._get_deposit_invoices()
            # Money only: the share of each reconciliation that a payment brought
            # (not credit notes, write-offs or other entries), in the invoice currency.
            received = sum(
                partial.debit_amount_currency
                * partial.credit_move_id.move_id._deposit_money_share()
                for partial in invoices.line_ids.matched_credit_ids
            )
            # A transaction that paid one of these invoices is already counted.
            for tx in order._get_deposit_transactions():
                if not tx.invoice_ids & invoices:
                    received += tx.currency_id._convert(
                        tx.amount,
                        order.currency_id,
                        order.company_id,
                        fields.Date.to_date(tx.last_state_change) or fields.Date.today(),
                    )
            order.deposit_received_amount = order.currency_id.round(received)

    @api.depends(
        "deposit_required_amount",
        "deposit_received_amount",
        "deposit_waived",
        "deposit_waived_amount",
    )
    def _compute_deposit_state(self):
        for order in self:
            currency = order.currency_id or order.company_id.currency_id
            required = order.deposit_required_amount
            missing = float(deposit_shortfall(required, order.deposit_received_amount))
            if currency.is_zero(required):
                state, missing = "not_required", 0.0
            elif order.deposit_waived and (
                currency.compare_amounts(required, order.deposit_waived_amount) <= 0
            ):
                state, missing = "waived", 0.0
            elif currency.is_zero(missing):
                state, missing = "paid", 0.0
            elif currency.is_zero(order.deposit_received_amount):
                state = "missing"
            else:
                state = "partial"
            order.deposit_state = state
            order.deposit_missing_amount = missing

    @api.depends("state")
    def _compute_deposit_is_quotation(self):
        for order in self:
            order.deposit_is_quotation = order.state in QUOTATION_STATES

    @api.depends("state", "deposit_state")
    def _compute_deposit_outstanding(self):
        for order in self:
            order.deposit_outstanding = (
                order.state in QUOTATION_STATES
                and order.deposit_state in DEPOSIT_OUTSTANDING_STATES
            )

    @api.depends("partner_id", "partner_invoice_id", "company_id")
    @api.depends_context("company")
    def _compute_deposit_credit_hold(self):
        for order in self:
            partners = (order.partner_id | order.partner_invoice_id).commercial_partner_id
            # sudo: the hold is collection data; every seller's order must respect it.
            order.deposit_credit_hold = any(
                partners.sudo().with_company(order.company_id).mapped("dunning_credit_hold")
            )

    @api.depends("deposit_outstanding", "deposit_credit_hold", "deposit_hold_released", "state")
    def _compute_deposit_blocks_confirmation(self):
        # What _deposit_error_message refuses, read by the form to demote Confirm.
        for order in self:
            order.deposit_blocks_confirmation = order.deposit_outstanding or (
                order.state in QUOTATION_STATES
                and order.deposit_credit_hold
                and not order.deposit_hold_released
            )

    @api.depends(
        "deposit_outstanding",
        "order_line.invoice_lines.move_id.state",
        "order_line.invoice_lines.move_id.amount_residual",
    )
    def _compute_deposit_invoiced_amount(self):
        for order in self:
            # sudo: the order's own deposit invoices, read whoever sells it (see
            # _get_deposit_invoices).
            pending = order.sudo()._get_pending_deposit_invoices()
            order.deposit_invoiced_amount = (
                sum(pending.mapped("amount_residual")) if order.deposit_outstanding else 0.0
            )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # An import or RPC creating confirmed orders passes the same gate as the button:
        # created as quotations, so that their deposit is computed, then confirmed.
        for vals in vals_list:
            self._check_deposit_money_links(vals)
        confirmed = [index for index, vals in enumerate(vals_list) if vals.get("state") == "sale"]
        for index in confirmed:
            vals_list[index] = dict(vals_list[index], state="draft")
        orders = super().create(vals_list)
        if confirmed:
            orders.browse([orders[index].id for index in confirmed]).write({"state": "sale"})
        return orders

    def write(self, vals):
        self._check_deposit_money_links(vals)
        if vals.get("state") != "sale":
            return super().write(vals)
        to_confirm = self.filtered(lambda order: order.state != "sale")
        not_quotations = to_confirm.filtered(lambda order: order.state not in QUOTATION_STATES)
        if not_quotations:
            raise UserError(
                _(
                    "Only quotations can be confirmed: %(orders)s.",
                    orders=", ".join(not_quotations.mapped("display_name")),
                )
            )
        # The gate looks at the order as this write leaves it (customer, lines,
        # currency, pricelist), while it is still a quotation.
        other_vals = {name: value for name, value in vals.items() if name != "state"}
        if other_vals:
            super().write(other_vals)
        to_confirm._check_deposit_before_confirmation()
        return super().write({"state": "sale"})

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_request_deposit(self):
        """Invoice the missing deposit through Odoo's down-payment wizard, post it
        and open the send dialog. An unpaid deposit invoice is sent again instead
        of invoicing the same amount twice."""
        self.ensure_one()
        error = self._request_deposit_error_message()
        if error:
            raise UserError(error)
        pending = self._get_pending_deposit_invoices()
        to_invoice = self.deposit_missing_amount - sum(pending.mapped("amount_residual"))
        invoices = pending
        if self.currency_id.compare_amounts(to_invoice, 0) > 0:
            invoices |= self._action_create_deposit_invoice(to_invoice)
        return invoices.action_send_and_print()

    def action_open_deposit_waiver(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Waive Deposit"),
            "res_model": "sale.order.deposit.waiver",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _dunning_protected_fields(self):
        return set(DEPOSIT_WAIVER_FIELDS + DEPOSIT_COMPUTED_FIELDS)

    @api.model
    def _dunning_field_group(self, field_name):
        if field_name in DEPOSIT_COMPUTED_FIELDS:
            return None
        return "account_dunning.group_deposit_manager"

    def _confirmation_error_message(self):
        error = super()._confirmation_error_message()
        if error:
            return error
        self._refresh_deposit()
        return self._deposit_error_message()

    def _deposit_error_message(self):
        """Why this quotation may not be confirmed yet for its deposit or the
        customer's credit hold, or False."""
        self.ensure_one()
        if self.deposit_credit_hold and not self.deposit_hold_released:
            # sudo: the hold is collection data, named to every seller it stops.
            held = (
                self._get_deposit_payers()
                .sudo()
                .with_company(self.company_id)
                .filtered("dunning_credit_hold")
            )
            return _(
                "%(customer)s is on credit hold: %(order)s cannot be confirmed until a"
                " deposit manager overrides the hold.",
                customer=", ".join(held.mapped("display_name")),
                order=self.name,
            )
        if self.deposit_state in DEPOSIT_OUTSTANDING_STATES:
            currency = self.currency_id
            return _(
                "%(order)s cannot be confirmed before its deposit is paid in full."
                " Required: %(required)s, received: %(received)s, missing: %(missing)s.",
                order=self.name,
                required=format_amount(self.env, self.deposit_required_amount, currency),
                received=format_amount(self.env, self.deposit_received_amount, currency),
                missing=format_amount(self.env, self.deposit_missing_amount, currency),
            )
        return False

    def _request_deposit_error_message(self):
        self.ensure_one()
        if self.state not in QUOTATION_STATES:
            return _("%(order)s is no longer a quotation.", order=self.name)
        if not self.deposit_outstanding:
            return _("%(order)s has no deposit outstanding.", order=self.name)
        return False

    def _check_deposit_before_confirmation(self):
        self._refresh_deposit()
        for order in self:
            error = order._deposit_error_message()
            if error:
                raise UserError(error)

    def _refresh_deposit(self):
        """Recompute the deposit of these quotations from the current rules, the
        customer's current settings and history, and the money received: the
        stored figures are a display, not the authority."""
        quotations = self.filtered(lambda order: order.state in QUOTATION_STATES)
        if not quotations:
            return
        for name in DEPOSIT_COMPUTED_FIELDS:
            self.env.add_to_compute(self._fields[name], quotations)
        quotations.invalidate_recordset(["deposit_credit_hold"])
        quotations.mapped("deposit_state")

    @api.model
    def _mark_deposits_to_recompute(self, domain):
        """The quotations matching `domain` show their deposit again: a rule or a
        customer's deposit setting changed."""
        # sudo: such a change concerns every seller's quotations, not only readable ones.
        quotations = self.sudo().search([*domain, ("state", "in", QUOTATION_STATES)])
        for name in DEPOSIT_COMPUTED_FIELDS:
            self.env.add_to_compute(self._fields[name], quotations)

    @api.model
    def _check_deposit_money_links(self, vals):
        if self.env.is_superuser() or not set(DEPOSIT_MONEY_LINKS).intersection(vals):
            return
        raise AccessError(
            _("Payment transactions are linked to orders by the payment flow, not by hand.")
        )

    def _deposit_date(self):
        return fields.Date.to_date(self.date_order) or fields.Date.context_today(self)

    def _get_deposit_payers(self):
        """The commercial entities whose money may pay this order's deposit."""
        self.ensure_one()
        return (self.partner_id | self.partner_invoice_id).commercial_partner_id

    def _get_deposit_invoices(self):
        """Posted down-payment invoices of this order, to its customer, that may
        carry its deposit."""
        self.ensure_one()
        payers = self._get_deposit_payers()
        # sudo: the order's own down payments count even when its seller cannot read
        # invoices; only lines made by Odoo's down-payment flow for this order count.
        lines = self.order_line.filtered("is_downpayment").sudo().invoice_lines
        return (
            lines.filtered("is_downpayment")
            .move_id.filtered(
                lambda move: (
                    move.move_type == "out_invoice"
                    and move.state == "posted"
                    and move.payment_state != "reversed"
                    and move.commercial_partner_id in payers
                )
            )
            .with_env(self.env)
        )

    def _get_pending_deposit_invoices(self):
        """The deposit invoices of this order still awaiting (part of) their payment."""
        self.ensure_one()
        return self._get_deposit_invoices().filtered(
            lambda move: not move.currency_id.is_zero(move.amount_residual)
        )

    def _get_deposit_transactions(self):
        """Confirmed online payments of this order by its customer."""
        self.ensure_one()
        payers = self._get_deposit_payers()
        # sudo: transactions are the payment flow's records, not the seller's.
        return self.sudo().transaction_ids.filtered(
            lambda tx: tx.state == "done" and tx.partner_id.commercial_partner_id in payers
        )

    def _action_create_deposit_invoice(self, amount):
        """A posted down-payment invoice of `amount` (tax included), made by Odoo's
        own down-payment wizard."""
        self.ensure_one()
        wizard = self.env["sale.advance.payment.inv"].create(
            {
                "sale_order_ids": [fields.Command.set(self.ids)],
                "advance_payment_method": "fixed",
                "fixed_amount": amount,
            }
        )
        invoice = wizard._create_invoices(self)
        # sudo: salespeople request deposits without holding accounting rights; the
        # invoice is the wizard's own down payment for what the order still misses.
        invoice.sudo().action_post()
        return invoice

    def _deposit_applies(self):
        self.ensure_one()
        return (
            not self.currency_id.is_zero(self.deposit_required_amount)
            and self.deposit_state != "waived"
        )

    def _get_prepayment_required_amount(self):
        # The deposit rule decides what an online payment must bring to confirm the
        # order, whatever its prepayment percentage.
        if not self._deposit_applies():
            return super()._get_prepayment_required_amount()
        return self.deposit_required_amount

    def _has_to_be_paid(self):
        return super()._has_to_be_paid() or (
            self.deposit_outstanding and not self.is_expired and self.amount_total > 0
        )

    def _is_confirmation_amount_reached(self):
        # Online payments confirm a quotation as soon as its deposit is in, whichever
        # way it was paid: the deposit rule decides, not the prepayment percentage.
        if not self._deposit_applies():
            return not self._deposit_error_message() and super()._is_confirmation_amount_reached()
        self._refresh_deposit()
        return not self._deposit_error_message()
