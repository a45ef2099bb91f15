from decimal import Decimal
from typing import NamedTuple

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.money import average_payment_delay, deposit_amount
from .account_dunning_behaviour import RISK_CLASSES

# Order of the risk classes a rule applies from ("from medium" matches medium and
# high). "new" is no rank: a customer without enough history is its own case.
RISK_RANKS = {"low": 1, "medium": 2, "high": 3}

# Payment states of a customer invoice paid in full (in_payment: paid, its bank
# statement not yet reconciled).
PAID_PAYMENT_STATES = ("paid", "in_payment")


class DepositFacts(NamedTuple):
    """What the deposit rules know of a customer in a company."""

    partner_id: int
    category_ids: frozenset
    has_paid_invoice: bool
    # {number of latest invoices: their average days late, or None}
    average_delay: dict
    # Rank (see account.dunning.level._get_rank) of the highest level of its overdue
    # invoices, or None.
    level_rank: tuple | None
    credit_hold: bool
    # The customer's payment behaviour in the company (account.dunning.behaviour).
    dunning_risk: str = "new"
    days_late_avg: float = 0.0


class SaleDepositRule(models.Model):
    """When a sales order needs a deposit before it may be confirmed, and how much.

    Every condition that is set must hold; the first matching rule (by sequence) wins.
    """

    _name = "sale.deposit.rule"
    _description = "Deposit Rule"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    # Conditions
    partner_ids = fields.Many2many(
        comodel_name="res.partner",
        string="Customers",
        domain=[("is_company", "=", True)],
        help="Only these customers (their commercial entity).",
    )
    category_ids = fields.Many2many(
        comodel_name="res.partner.category",
        string="Customer Tags",
        help="Only customers with at least one of these tags.",
    )
    new_customer = fields.Boolean(
        string="New Customers Only",
        help="Only customers without any fully paid invoice in this company yet.",
    )
    min_amount = fields.Monetary(
        string="Order Total From",
        help="Only orders whose total, in the company's currency, reaches this amount.",
    )
    late_invoice_count = fields.Integer(
        string="Last Invoices",
        default=5,
        help="How many of the customer's latest invoices the average payment delay covers.",
    )
    late_min_days = fields.Integer(
        string="Average Delay From (days)",
        help="Only customers whose invoices were paid on average at least this many days late.",
    )
    min_dunning_risk = fields.Selection(
        selection=RISK_CLASSES,
        string="Payment Risk From",
        help="Only customers whose payment behaviour is at this risk class or a higher one"
        " (low, medium, high). New matches only customers without enough paid invoices to"
        " judge.",
    )
    min_days_late_avg = fields.Integer(
        string="Average Days Late From",
        help="Only customers who paid their invoices of the last 12 months at least this many"
        " days late on average, weighted by amount.",
    )
    min_dunning_level_id = fields.Many2one(
        comodel_name="account.dunning.level",
        string="Dunning Level From",
        check_company=True,
        help="Only customers with an open invoice at this dunning level or a later one.",
    )
    match_credit_hold = fields.Boolean(
        string="Or On Credit Hold",
        help="Also match customers on credit hold (with the dunning level: either one).",
    )

    # Result
    deposit_type = fields.Selection(
        selection=[("percent", "Percentage of the total"), ("fixed", "Fixed amount")],
        string="Deposit",
        required=True,
        default="percent",
    )
    percent = fields.Float(string="Percentage", default=30.0, digits=(5, 2))
    amount = fields.Monetary(
        string="Fixed Amount",
        help="In the company's currency; converted to the order's currency.",
    )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains(
        "deposit_type", "percent", "amount", "min_amount", "late_min_days", "min_days_late_avg"
    )
    def _check_deposit_values(self):
        for rule in self:
            if rule.deposit_type == "percent" and not 0 < rule.percent <= 100:
                raise ValidationError(
                    _(
                        "Deposit rule “%(rule)s”: the percentage must be above 0 and at most 100.",
                        rule=rule.name,
                    )
                )
            if rule.deposit_type == "fixed" and rule.amount <= 0:
                raise ValidationError(
                    _("Deposit rule “%(rule)s”: the fixed amount must be positive.", rule=rule.name)
                )
            if min(rule.min_amount, rule.late_min_days, rule.min_days_late_avg) < 0:
                raise ValidationError(
                    _("Deposit rule “%(rule)s”: thresholds cannot be negative.", rule=rule.name)
                )
            if rule.late_min_days and rule.late_invoice_count <= 0:
                raise ValidationError(
                    _(
                        "Deposit rule “%(rule)s”: the payment delay needs at least one invoice"
                        " to average.",
                        rule=rule.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env["sale.order"]._mark_deposits_to_recompute(
            [("company_id", "in", rules.company_id.ids)]
        )
        return rules

    def write(self, vals):
        companies = self.company_id
        result = super().write(vals)
        self.env["sale.order"]._mark_deposits_to_recompute(
            [("company_id", "in", (companies | self.company_id).ids)]
        )
        return result

    def unlink(self):
        companies = self.company_id
        result = super().unlink()
        self.env["sale.order"]._mark_deposits_to_recompute([("company_id", "in", companies.ids)])
        return result

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_order_deposit(self, order, facts):
        """(rule, deposit in the order's currency) of `order`: the customer's own
        setting, else the first of these rules that matches `facts` (DepositFacts),
        else the customer's "always"; (no rule, 0) when no deposit is required."""
        # sudo: the customer's deposit setting applies to every seller's order.
        partner = order.partner_id.commercial_partner_id.sudo().with_company(order.company_id)
        company = order.company_id
        if partner.deposit_policy == "never":
            return self.browse(), 0.0
        if partner.deposit_policy == "percent":
            return self.browse(), self._get_deposit_amount(order, percent=partner.deposit_percent)
        total = order.currency_id._convert(
            order.amount_total, company.currency_id, company, order._deposit_date()
        )
        for rule in self:
            if rule._matches(facts, total):
                if rule.deposit_type == "fixed":
                    return rule, self._get_deposit_amount(order, fixed=rule.amount)
                return rule, self._get_deposit_amount(order, percent=rule.percent)
        if partner.deposit_policy == "always":
            return self.browse(), self._get_deposit_amount(
                order, percent=company.deposit_default_percent
            )
        return self.browse(), 0.0

    @api.model
    def _get_deposit_amount(self, order, percent=0.0, fixed=0.0):
        """The deposit of `order` in its currency: `percent` of its total, or
        `fixed` (in the company's currency), never more than the total."""
        if not percent and not fixed:
            return 0.0
        if fixed:
            fixed = order.company_id.currency_id._convert(
                fixed, order.currency_id, order.company_id, order._deposit_date()
            )
        amount = deposit_amount(
            Decimal(str(order.amount_total)),
            percent=Decimal(str(percent)),
            fixed=Decimal(str(fixed)),
            quantum=Decimal(str(order.currency_id.rounding)),
        )
        return float(amount)

    def _matches(self, facts, order_total_company):
        """Whether this rule applies to a customer with `facts` (DepositFacts) and
        an order of that company-currency total."""
        self.ensure_one()
        if self.partner_ids and facts.partner_id not in self.partner_ids.ids:
            return False
        if self.category_ids and not set(self.category_ids.ids) & facts.category_ids:
            return False
        if self.new_customer and facts.has_paid_invoice:
            return False
        if (
            self.min_amount
            and self.currency_id.compare_amounts(order_total_company, self.min_amount) < 0
        ):
            return False
        if self.late_min_days:
            delay = facts.average_delay.get(self.late_invoice_count)
            if delay is None or delay < self.late_min_days:
                return False
        if not self._matches_behaviour(facts):
            return False
        if self.min_dunning_level_id or self.match_credit_hold:
            level = self.min_dunning_level_id
            at_level = (
                bool(level)
                and facts.level_rank is not None
                and facts.level_rank >= level._get_rank()
            )
            on_hold = self.match_credit_hold and facts.credit_hold
            if not (at_level or on_hold):
                return False
        return True

    def _matches_behaviour(self, facts):
        """Whether the customer's payment behaviour in `facts` meets this rule's
        risk class and average days late."""
        self.ensure_one()
        if self.min_dunning_risk == "new" and facts.dunning_risk != "new":
            return False
        if self.min_dunning_risk and self.min_dunning_risk != "new":
            rank = RISK_RANKS.get(facts.dunning_risk)
            if rank is None or rank < RISK_RANKS[self.min_dunning_risk]:
                return False
        return not self.min_days_late_avg or facts.days_late_avg >= self.min_days_late_avg

    def _get_customer_facts(self, partners, company, excluded_moves=None):
        """{commercial partner id: DepositFacts} of `partners` in `company`, for
        these rules: tags, whether any invoice was ever paid, the average payment
        delay over the latest invoices each rule averages, the highest dunning level
        reached and the credit hold. A few set-based queries. `excluded_moves`
        (the orders' own deposit invoices) count for neither."""
        excluded_ids = excluded_moves.ids if excluded_moves else []
        partners = partners.commercial_partner_id
        if not partners:
            return {}
        invoice_counts = set(self.filtered("late_min_days").mapped("late_invoice_count"))
        today = fields.Date.context_today(self)
        paid = {
            partner.id
            for [partner] in self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    *self._get_history_scope_domain(partners, company, excluded_ids),
                    *self._get_paid_invoice_domain(),
                ],
                groupby=["commercial_partner_id"],
            )
        }
        delays = {}
        if invoice_counts:
            delays = self._get_deposit_payment_delays(
                partners, company, max(invoice_counts), today, excluded_ids
            )
        max_level = self._get_highest_level_ranks(partners, company, today)
        facts = {}
        # sudo: the partner's risk reads the behaviour rows, for accountants only.
        for partner in partners.sudo().with_company(company):
            partner_delays = delays.get(partner.id, [])
            facts[partner.id] = DepositFacts(
                partner_id=partner.id,
                category_ids=frozenset(partner.category_id.ids),
                has_paid_invoice=partner.id in paid,
                average_delay={
                    count: average_payment_delay(partner_delays[:count]) for count in invoice_counts
                },
                level_rank=max_level.get(partner.id),
                credit_hold=partner.dunning_credit_hold,
                dunning_risk=partner.dunning_risk,
                days_late_avg=partner.dunning_days_late_avg,
            )
        return facts

    @api.model
    def _get_highest_level_ranks(self, partners, company, today):
        """{partner id: rank of the highest dunning level of its overdue invoices}."""
        domain = [
            *self.env["res.partner"]
            .with_company(company)
            ._get_dunning_overdue_domain(partners, today),
            ("dunning_level_id", "!=", False),
        ]
        ranks = {}
        # sudo: collection figures are for accounting users; the rules apply to every seller.
        for partner, level in (
            self.env["account.move"]
            .sudo()
            ._read_group(domain, groupby=["commercial_partner_id", "dunning_level_id"])
        ):
            rank = level._get_rank()
            ranks[partner.id] = max(ranks.get(partner.id, rank), rank)
        return ranks

    @api.model
    def _get_history_scope_domain(self, partners, company, excluded_ids=()):
        """The moves of `partners` in `company` that their history is made of: all
        but `excluded_ids` (the orders' own deposit invoices)."""
        return [
            ("commercial_partner_id", "in", partners.ids),
            ("company_id", "=", company.id),
            ("id", "not in", list(excluded_ids)),
        ]

    @api.model
    def _get_paid_invoice_domain(self):
        """Customer invoices paid in full: what a customer's history counts as paid."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", PAID_PAYMENT_STATES),
        ]

    @api.model
    def _get_deposit_payment_delays(self, partners, company, limit, today, excluded_ids=()):
        """Days late of each partner's latest `limit` invoices that are paid or overdue,
        newest first: a paid invoice counts until its last payment, an open one until
        today."""
        Move = self.env["account.move"]
        Move.flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        scope = self._get_history_scope_domain(partners, company, excluded_ids)
        columns = SQL(
            "account_move.id, account_move.commercial_partner_id, "
            "account_move.invoice_date, account_move.invoice_date_due"
        )
        paid = Move._where_calc([*scope, *self._get_paid_invoice_domain()])
        # Open as dunning defines it: a deposit asked before its order is confirmed
        # (dunning_awaits_order) is not a debt yet, so it makes no customer late.
        overdue = Move._where_calc(
            [
                *scope,
                *Move._get_dunning_open_invoice_domain(),
                ("invoice_date_due", "<", today),
            ]
        )
        rows = self.env.execute_query(
            SQL(
                """
                WITH invoice AS (
                    SELECT history.*,
                           ROW_NUMBER() OVER (
                               PARTITION BY history.commercial_partner_id
                               ORDER BY history.invoice_date DESC, history.id DESC
                           ) AS rank
                      FROM ((%(paid)s) UNION ALL (%(overdue)s)) history
                )
                SELECT invoice.commercial_partner_id,
                       COALESCE(paid.last_date, %(today)s) - invoice.invoice_date_due
                  FROM invoice
             LEFT JOIN LATERAL (
                    SELECT MAX(partial.max_date) AS last_date
                      FROM account_move_line line
                      JOIN account_partial_reconcile partial
                        ON partial.debit_move_id = line.id
                     WHERE line.move_id = invoice.id
                       AND invoice.is_paid
                ) paid ON TRUE
                 WHERE invoice.rank <= %(limit)s
              ORDER BY invoice.commercial_partner_id, invoice.rank
                """,
                paid=paid.select(columns, SQL("TRUE AS is_paid")),
                overdue=overdue.select(columns, SQL("FALSE AS is_paid")),
                today=today,
                limit=limit,
            )
        )
        delays = {}
        for partner_id, days in rows:
            delays.setdefault(partner_id, []).append(days)
        return delays
