from collections import defaultdict
from datetime import date
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import float_repr, formatLang

from ..tools.ladder import days_overdue
from ..tools.money import exact_line
from ..tools.plan import hold_steps
from .account_dunning_move_level import DUNNING_LEVEL_ROW_FIELDS
from .sale_order import QUOTATION_STATES

DUNNING_MOVE_FIELDS = (
    "dunning_level_id",
    "last_dunning_date",
    "dunning_blocked",
    "dunning_block_reason",
)
# The last day of a hold without end (one day before date.max, which cannot be passed).
HELD_UNTIL_FURTHER_NOTICE = date(9999, 12, 30)
# Payment states of a customer invoice that is still to be paid.
DUNNING_OPEN_PAYMENT_STATES = ("not_paid", "partial")
# Written by the dunning run alone.
DUNNING_SERVER_MOVE_FIELDS = (
    "dunning_charge_notice_id",
    "dunning_awaits_order",
    "dunning_promise_date",
    "dunning_disputed_amount",
    "dunning_plan_active",
    "dunning_amount_undisputed",
    "dunning_next_level_date",
    "dunning_level_row_ids",
)


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "account.dunning.mixin"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # Where the invoice stands on its ladder: a row of its own
    # (account.dunning.move.level), which the run writes in sets.
    dunning_level_row_ids = fields.One2many(
        comodel_name="account.dunning.move.level",
        inverse_name="move_id",
        string="Dunning Level Rows",
        readonly=True,
        # Searched through the invoice's fields, whoever may read the invoice.
        auto_join=True,
    )
    dunning_level_id = fields.Many2one(
        comodel_name="account.dunning.level",
        compute="_compute_dunning_level",
        inverse="_inverse_dunning_level_id",
        search="_search_dunning_level_id",
        compute_sudo=True,
        tracking=True,
        help="Last dunning level reached by this invoice.",
    )
    last_dunning_date = fields.Date(
        compute="_compute_dunning_level",
        inverse="_inverse_last_dunning_date",
        search="_search_last_dunning_date",
        compute_sudo=True,
        tracking=True,
    )
    dunning_blocked = fields.Boolean(
        copy=False,
        tracking=True,
        help="Disputed or otherwise held back: the dunning run skips this invoice.",
    )
    dunning_block_reason = fields.Char(string="Block Reason", copy=False, tracking=True)
    dunning_promise_ids = fields.Many2many(
        comodel_name="account.dunning.promise",
        relation="account_dunning_promise_move_rel",
        column1="move_id",
        column2="promise_id",
        string="Promises to Pay",
        copy=False,
        readonly=True,
    )
    dunning_promise_date = fields.Date(
        string="Promised Payment Date",
        compute="_compute_dunning_promise_date",
        store=True,
        help="The latest date of the open promises to pay this invoice: dunning pauses until "
        "then, plus the policy's grace days.",
    )
    dunning_plan_ids = fields.Many2many(
        comodel_name="account.dunning.payment.plan",
        relation="account_dunning_payment_plan_move_rel",
        column1="move_id",
        column2="plan_id",
        string="Payment Plans",
        copy=False,
        readonly=True,
    )
    dunning_plan_active = fields.Boolean(
        string="In a Payment Plan",
        compute="_compute_dunning_plan_active",
        store=True,
        help="In an active payment plan: off the ladder while the plan holds.",
    )
    dunning_dispute_ids = fields.One2many(
        comodel_name="account.dunning.dispute",
        inverse_name="move_id",
        string="Disputes",
        readonly=True,
    )
    dunning_disputed_amount = fields.Monetary(
        string="Disputed",
        compute="_compute_dunning_disputed_amount",
        store=True,
        help="Held back from dunning by open disputes; the rest stays on the ladder.",
    )
    dunning_amount_undisputed = fields.Monetary(
        string="Undisputed",
        compute="_compute_dunning_amount_undisputed",
        store=True,
        help="Still to be paid, less what open disputes hold back: what dunning asks.",
    )
    dunning_next_level_date = fields.Date(
        string="Next Level Due",
        compute="_compute_dunning_level",
        search="_search_dunning_next_level_date",
        compute_sudo=True,
        help="When the dunning run moves this invoice to its next level, if nothing holds "
        "it: the day it became due for it, or the day ahead it will be. Each run updates it.",
    )
    dunning_notice_line_ids = fields.One2many(
        comodel_name="account.dunning.notice.line",
        inverse_name="move_id",
        string="Dunning History",
    )
    dunning_charge_notice_id = fields.Many2one(
        comodel_name="account.dunning.notice",
        string="Charges of Notice",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="This invoice charges the fees and interest of that dunning notice.",
    )
    dunning_charged_invoice_ids = fields.Many2many(
        comodel_name="account.move",
        string="Charged Invoices",
        compute="_compute_dunning_charged_invoice_ids",
        help="The overdue invoices whose fees, interest and compensation this invoice charges.",
    )
    dunning_date_due = fields.Date(
        string="Dunning Due Date",
        compute="_compute_dunning_date_due",
        store=True,
        index=True,
        help="The maturity of the earliest unpaid instalment: with a payment term in "
        "several instalments, each is overdue from its own date, not the invoice's last.",
    )
    dunning_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_dunning_days_overdue",
    )
    dunning_awaits_order = fields.Boolean(
        string="Deposit of a Quotation",
        compute="_compute_dunning_awaits_order",
        store=True,
        help="A deposit asked before its order is confirmed: not a debt yet, not dunned.",
    )
    dunning_open = fields.Boolean(
        string="Open for Dunning",
        compute="_compute_dunning_open",
        search="_search_dunning_open",
        help="A posted customer invoice still to be paid.",
    )

    _sql_constraints = [
        (
            "dunning_charge_notice_unique",
            "UNIQUE (dunning_charge_notice_id)",
            "A dunning notice is charged by one invoice only, ever.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("dunning_charge_notice_id")
    def _compute_dunning_charged_invoice_ids(self):
        for move in self:
            notice = move.dunning_charge_notice_id
            move.dunning_charged_invoice_ids = (
                notice.charge_ids.move_id | notice.line_ids.filtered("dunned").move_id
            )

    @api.depends("dunning_promise_ids.state", "dunning_promise_ids.date")
    def _compute_dunning_promise_date(self):
        for move in self:
            dates = move.dunning_promise_ids.filtered(
                lambda promise: promise.state == "open"
            ).mapped("date")
            move.dunning_promise_date = max(dates) if dates else False

    @api.depends("dunning_plan_ids.state")
    def _compute_dunning_plan_active(self):
        for move in self:
            move.dunning_plan_active = any(plan.state == "active" for plan in move.dunning_plan_ids)

    @api.depends("dunning_dispute_ids.state", "dunning_dispute_ids.amount")
    def _compute_dunning_disputed_amount(self):
        for move in self:
            move.dunning_disputed_amount = sum(
                move.dunning_dispute_ids.filtered(lambda dispute: dispute.state == "open").mapped(
                    "amount"
                )
            )

    @api.depends("amount_residual", "dunning_disputed_amount")
    def _compute_dunning_amount_undisputed(self):
        for move in self:
            move.dunning_amount_undisputed = move.amount_residual - move.dunning_disputed_amount

    @api.depends(
        "invoice_date_due",
        "move_type",
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "line_ids.account_id",
    )
    def _compute_dunning_date_due(self):
        for move in self:
            lines = move._get_dunning_receivable_lines()
            unpaid = lines.filtered(lambda line: not line.reconciled)
            dates = (unpaid or lines).mapped("date_maturity")
            move.dunning_date_due = min(dates) if dates else move.invoice_date_due

    @api.depends("dunning_date_due", "dunning_open")
    def _compute_dunning_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            move.dunning_days_overdue = (
                days_overdue(move.dunning_date_due, today) if move.dunning_open else 0
            )

    @api.depends(*(f"dunning_level_row_ids.{name}" for name in DUNNING_LEVEL_ROW_FIELDS.values()))
    def _compute_dunning_level(self):
        for move in self:
            row = move.dunning_level_row_ids[:1]
            move.dunning_level_id = row.level_id
            move.last_dunning_date = row.last_dunning_date
            move.dunning_next_level_date = row.next_level_date

    # One inverse per field: while one is written, the others read as empty. sudo:
    # the rows have no access rights to write; write() checks who may (the mixin).
    def _inverse_dunning_level_id(self):
        self.env["account.dunning.move.level"].sudo()._set_from_moves(self, "dunning_level_id")

    def _inverse_last_dunning_date(self):
        self.env["account.dunning.move.level"].sudo()._set_from_moves(self, "last_dunning_date")

    def _search_dunning_level_id(self, operator, value):
        return self.env["account.dunning.move.level"]._get_move_domain("level_id", operator, value)

    def _search_last_dunning_date(self, operator, value):
        return self.env["account.dunning.move.level"]._get_move_domain(
            "last_dunning_date", operator, value
        )

    def _search_dunning_next_level_date(self, operator, value):
        return self.env["account.dunning.move.level"]._get_move_domain(
            "next_level_date", operator, value
        )

    @api.depends("line_ids.sale_line_ids.order_id.state")
    def _compute_dunning_awaits_order(self):
        for move in self:
            orders = move.line_ids.sale_line_ids.order_id
            move.dunning_awaits_order = any(order.state in QUOTATION_STATES for order in orders)

    @api.depends("payment_state", "state", "move_type", "dunning_awaits_order")
    def _compute_dunning_open(self):
        open_invoices = self.filtered_domain(self._get_dunning_open_invoice_domain())
        for move in self:
            move.dunning_open = move in open_invoices

    def _search_dunning_open(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operation not supported"))
        domain = self._get_dunning_open_invoice_domain()
        return domain if (operator == "=") == value else ["!", *expression.AND([domain])]

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("dunning_blocked", "dunning_block_reason")
    def _check_dunning_block_reason(self):
        for move in self:
            if move.dunning_blocked and not move.dunning_block_reason:
                raise ValidationError(
                    _(
                        "%(invoice)s: give a reason (e.g. the dispute) for blocking dunning.",
                        invoice=move.display_name,
                    )
                )

    @api.constrains("move_type", "company_id")
    def _check_dunning_level(self):
        # sudo: the level is on the invoice's row, checked again as the invoice changes.
        self.sudo().dunning_level_row_ids.filtered("level_id")._check_level()

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        # The level row's columns, joined: invoices group, sort and are read in SQL by
        # their level and dates as by columns of their own.
        if fname in DUNNING_LEVEL_ROW_FIELDS and query is not None:
            Row = self.env["account.dunning.move.level"]
            return Row._get_move_field_sql(alias, DUNNING_LEVEL_ROW_FIELDS[fname], query, flush)
        return super()._field_to_sql(alias, fname, query, flush)

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_dunning_dispute(self):
        """Record the customer's dispute of this invoice."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Dispute"),
            "res_model": "account.dunning.dispute",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_move_id": self.id,
                "default_amount": self.amount_residual - self.dunning_disputed_amount,
            },
        }

    def action_dunning_propose_plan(self):
        """A payment plan for these invoices of one customer, in one currency."""
        partner = self.commercial_partner_id
        if len(partner) != 1 or len(self.currency_id) != 1:
            raise UserError(_("A payment plan covers invoices of one customer in one currency."))
        return partner._get_dunning_plan_action(self)

    def action_dunning_promise(self):
        """Record the customer's promise to pay these invoices."""
        partner = self.commercial_partner_id
        if len(partner) != 1 or len(self.currency_id) != 1:
            raise UserError(_("A promise to pay covers invoices of one customer in one currency."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Promise to Pay"),
            "res_model": "account.dunning.promise",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_move_ids": self.ids,
                "default_amount": sum(self.mapped("amount_residual")),
            },
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft)
        # Each customer invoice has its level row from posting on, with its next level
        # date: the worklist reads it in SQL before the first run.
        # sudo: whoever posts an invoice, the row is the server's.
        self.env["account.dunning.move.level"].sudo()._ensure_for_moves(posted)
        return posted

    @api.model
    def _get_dunning_open_invoice_domain(self):
        """Customer invoices still to be paid: what dunning looks at. The run's SQL,
        the customer's figures, the deposit rules' history, the invoice's days
        overdue and the 'In Dunning' filter all use this."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", DUNNING_OPEN_PAYMENT_STATES),
            ("dunning_awaits_order", "=", False),
        ]

    @api.model
    def _get_dunning_wholly_disputed_domain(self):
        """Invoices that open disputes hold back in full: not asked for while they
        are looked into."""
        return [("dunning_amount_undisputed", "<=", 0)]

    @api.model
    def _get_dunning_hold_domains(self):
        """Why an open invoice waits off the ladder, each as a domain, in the order
        the run gives them as its skip reason: blocked or wholly disputed, its notice
        waiting for a check, in an active payment plan, promised. The run's SQL reads
        them (account.dunning.run._fetch_dunning_candidates); see
        _get_dunning_held_domain."""
        return {
            "blocked": expression.OR(
                [[("dunning_blocked", "=", True)], self._get_dunning_wholly_disputed_domain()]
            ),
            "held_notice": [
                (
                    "dunning_notice_line_ids",
                    "any",
                    [("dunned", "=", True), ("notice_id.state", "=", "draft")],
                )
            ],
            "in_plan": [("dunning_plan_active", "=", True)],
            "promised": [("dunning_promise_date", "!=", False)],
        }

    @api.model
    def _get_dunning_held_domain(self):
        """Open invoices that wait off the ladder for any of the holds of
        _get_dunning_hold_domains: the worklist gives them no next level date."""
        return expression.OR(list(self._get_dunning_hold_domains().values()))

    @api.model
    def _get_dunning_domain_sql(self, domain):
        """`domain` as an SQL condition on the table `account_move`, for queries
        that select from it under that name (e.g. built with _where_calc)."""
        # sudo: a condition on the invoices' own notices, not a read of them; record
        # rules on those belong to whoever reads the query's result.
        return self.sudo()._where_calc(domain, active_test=False).where_clause

    @api.model
    def _dunning_protected_fields(self):
        return set(DUNNING_MOVE_FIELDS + DUNNING_SERVER_MOVE_FIELDS)

    @api.model
    def _dunning_field_group(self, field_name):
        if field_name in DUNNING_SERVER_MOVE_FIELDS:
            return None
        return super()._dunning_field_group(field_name)

    def _deposit_money_share(self):
        """The share of this entry's receivable side that is money received: its
        liquidity lines for a payment or a bank statement line, nothing for a credit
        note, a write-off or any other entry."""
        self.ensure_one()
        # sudo: what paid a deposit is read for every seller, not shown to them.
        move = self.sudo()
        if move.origin_payment_id:
            liquidity = move.origin_payment_id._seek_for_lines()[0]
        elif move.statement_line_id:
            liquidity = move.statement_line_id._seek_for_lines()[0]
        else:
            return 0.0
        receivable = move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        settled = -sum(receivable.mapped("balance"))
        if move.company_currency_id.compare_amounts(settled, 0) <= 0:
            return 0.0
        return min(max(sum(liquidity.mapped("balance")) / settled, 0.0), 1.0)

    def _dunning_scale_to(self, amount):
        """Scale this draft credit note, a copy of its invoice, to `amount` in all, to
        the cent whatever the quantities, taxes and discounts: each line credits its
        share of the line (quantity 1, so that its price states it to the cent), and
        what tax rounding leaves goes on a line of its own, without tax."""
        self.ensure_one()
        currency = self.currency_id
        if currency.compare_amounts(self.amount_total, amount) == 0:
            return
        ratio = amount / self.amount_total
        for line in self.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            # A price reduction, not goods returned: no product, no quantity, no sale
            # order line, so that neither stock nor the order's invoiced quantity moves.
            line.write(
                {
                    "name": self.env._(
                        "%(share)s %% of %(quantity)s x %(line)s",
                        share=float_repr(ratio * 100, 2),
                        quantity=formatLang(self.env, line.quantity, dp="Product Unit of Measure"),
                        line=line.name or line.product_id.display_name,
                    ),
                    "product_id": False,
                    "account_id": line.account_id.id,
                    "analytic_distribution": line.analytic_distribution,
                    "tax_ids": [Command.set(line.tax_ids.ids)],
                    "sale_line_ids": [Command.clear()],
                    "quantity": 1,
                    "price_unit": line.price_unit * line.quantity * ratio,
                }
            )
        difference = currency.round(amount - self.amount_total)
        if currency.is_zero(difference):
            return
        quantity, price_unit = exact_line(
            Decimal(float_repr(difference, currency.decimal_places)),
            currency.decimal_places,
            self.env["decimal.precision"].precision_get("Product Price"),
        )
        first = self.invoice_line_ids.filtered(lambda line: line.display_type == "product")[:1]
        self.invoice_line_ids = [
            Command.create(
                {
                    "name": self.env._("Rounding difference"),
                    "account_id": first.account_id.id,
                    "analytic_distribution": first.analytic_distribution,
                    "quantity": float(quantity),
                    "price_unit": float(price_unit),
                    "tax_ids": [Command.clear()],
                }
            )
        ]

    def _get_dunning_payable_breakdown(self, company, partner, currency):
        """What a customer page asks for these open invoices now, and why: their open
        amount, what open disputes hold back, the customer's credits (see
        account.move.line._get_dunning_credits), and the amount to pay."""
        open_amount = currency.round(sum(self.mapped("amount_residual")))
        disputed = currency.round(
            sum(min(move.dunning_disputed_amount, move.amount_residual) for move in self)
        )
        customer = partner.commercial_partner_id
        credits = self.env["account.move.line"]._get_dunning_credits(company, customer)
        credit = currency.round(
            min(credits.get((customer.id, currency.id), (0.0, 0.0))[0], open_amount - disputed)
        )
        return {
            "open": open_amount,
            "disputed": disputed,
            "credits": max(credit, 0.0),
            "amount": currency.round(max(open_amount - disputed - credit, 0.0)),
        }

    def _get_dunning_strangers(self, partner, currency):
        """Those of these moves that are not customer invoices of `partner` in
        `currency`: what a promise or a payment plan cannot cover."""
        return self.filtered(
            lambda move: (
                move.commercial_partner_id != partner.commercial_partner_id
                or move.currency_id != currency
                or move.move_type != "out_invoice"
            )
        )

    def _get_dunning_receivable_lines(self):
        """The customer invoice's receivable lines: one per instalment."""
        self.ensure_one()
        if self.move_type != "out_invoice":
            return self.env["account.move.line"]
        return self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and line.date_maturity
        )

    def _get_dunning_first_maturity(self):
        """When the invoice first became due: its first instalment's maturity."""
        self.ensure_one()
        dates = self._get_dunning_receivable_lines().mapped("date_maturity")
        return min(dates) if dates else self.invoice_date_due

    def _get_dunning_open_balances(self):
        """The invoice's open amount as a step function [(date_from, amount)], in its
        currency: each instalment from the day after its own maturity, lowered by the
        payments reconciled with it, without what open disputes hold back."""
        self.ensure_one()
        changes = defaultdict(Decimal)
        for line in self._get_dunning_receivable_lines():
            start = fields.Date.add(line.date_maturity, days=1)
            payments = [
                (partial.max_date, Decimal(str(partial.debit_amount_currency)))
                for partial in line.matched_credit_ids
            ]
            # Paid by the time the instalment is overdue: it never earns interest.
            changes[start] += Decimal(str(line.amount_currency)) - sum(
                (paid for day, paid in payments if day <= start), Decimal(0)
            )
            for day, paid in payments:
                if day > start:
                    changes[day] -= paid
        if not changes:
            return []
        disputed = Decimal(str(self.dunning_disputed_amount))
        balances, open_amount = [], Decimal(0)
        for day in sorted(changes):
            open_amount += changes[day]
            balances.append((day, max(open_amount - disputed, Decimal(0))))
        # A payment plan without interest: its days earn none, even if it broke later.
        held = [
            (plan.date_active, plan.date_closed or HELD_UNTIL_FURTHER_NOTICE)
            for plan in self.dunning_plan_ids
            if plan.interest_mode == "none" and plan.date_active
        ]
        return hold_steps(balances, held)
