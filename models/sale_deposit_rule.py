from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


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

    @api.constrains("deposit_type", "percent", "amount", "min_amount", "late_min_days")
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
            if rule.min_amount < 0 or rule.late_min_days < 0:
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

    def _matches(self, facts, order_total_company):
        """Whether this rule applies to a customer with `facts` (see
        `res.partner._get_deposit_facts`) and an order of that company-currency total."""
        self.ensure_one()
        if self.partner_ids and facts["partner_id"] not in self.partner_ids.ids:
            return False
        if self.category_ids and not set(self.category_ids.ids) & facts["category_ids"]:
            return False
        if self.new_customer and facts["has_paid_invoice"]:
            return False
        if (
            self.min_amount
            and self.currency_id.compare_amounts(order_total_company, self.min_amount) < 0
        ):
            return False
        if self.late_min_days:
            delay = facts["average_delay"].get(self.late_invoice_count)
            if delay is None or delay < self.late_min_days:
                return False
        if self.min_dunning_level_id or self.match_credit_hold:
            level = self.min_dunning_level_id
            at_level = (
                bool(level)
                and facts["level_rank"] is not None
                and facts["level_rank"] >= level._get_rank()
            )
            on_hold = self.match_credit_hold and facts["credit_hold"]
            if not (at_level or on_hold):
                return False
        return True
