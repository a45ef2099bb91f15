from collections import defaultdict
from datetime import date
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.ladder import first_delay_out_of_order, next_level_due_date, next_level_index
from ..tools.money import (
    currency_quantum,
    interest_periods,
    round_money,
    simple_interest,
)
from ..tools.presets import EURO_PRESETS, PRESETS, consumer_method
from .account_dunning_level import MAX_DAYS
from .account_dunning_payment_plan import PLAN_INTEREST_MODES


class AccountDunningPolicy(models.Model):
    _name = "account.dunning.policy"
    _inherit = ["account.dunning.policy.risk"]
    _description = "Dunning Policy"
    _order = "company_id, name, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_ids = fields.One2many(
        comodel_name="account.dunning.level",
        inverse_name="policy_id",
        string="Levels",
        copy=True,
    )
    level_count = fields.Integer(compute="_compute_level_count")
    interest_warning = fields.Char(
        compute="_compute_interest_warning",
        help="The reference rate this policy's statutory interest misses today, if any.",
    )
    min_residual = fields.Monetary(
        string="Minimum Residual",
        currency_field="currency_id",
        help="Invoices whose open amount is not above this amount are not dunned.",
    )
    jump_to_highest_level = fields.Boolean(
        string="Jump to Highest Level",
        help="An invoice found very late goes straight to the highest level it has passed, "
        "instead of one level per run.",
    )
    default_collector_id = fields.Many2one(
        comodel_name="res.users",
        domain=[("share", "=", False)],
        help="Gets the dunning calls of this policy's customers who have no collector; "
        "else the company's default collector does.",
    )
    promise_grace_days = fields.Integer(
        string="Promise Grace (days)",
        default=3,
        help="Days after a promised payment date before dunning resumes.",
    )
    promise_broken_escalate = fields.Boolean(
        string="Broken Promise Skips the Interval",
        default=True,
        help="When a promise to pay is broken, its invoices move to their next level on the "
        "next run, without waiting for the level's minimum interval.",
    )
    plan_interest_mode = fields.Selection(
        selection=PLAN_INTEREST_MODES,
        string="Interest During Plans",
        default="none",
        required=True,
    )
    plan_break_after_missed = fields.Integer(
        string="Plan Breaks After (missed)",
        default=1,
        help="Number of missed installments that breaks a payment plan.",
    )
    plan_grace_days = fields.Integer(
        string="Installment Grace (days)",
        default=5,
        help="An installment is missed once unpaid this many days after its date.",
    )
    plan_broken_level_id = fields.Many2one(
        comodel_name="account.dunning.level",
        string="Level After a Broken Plan",
        domain="[('policy_id', '=', id)]",
        help="The level the remaining balance of a broken plan is dunned at next; empty: "
        "its next level on the ladder, without waiting for the interval.",
    )
    # Interest and charges (issue: late fees and statutory interest).
    interest_method = fields.Selection(
        selection=[
            ("none", "No interest"),
            ("fixed", "Fixed annual rate"),
            ("eu", "EU: reference rate + 8 points"),
            ("de_b2b", "Germany, business: base rate + 9 points"),
            ("de_b2c", "Germany, consumer: base rate + 5 points"),
            ("fr", "France: ECB rate + 10 points"),
            ("uk", "UK: Bank of England base rate + 8 %"),
        ],
        default="none",
        required=True,
    )
    interest_rate = fields.Float(string="Annual Rate (%)", digits=(6, 3))
    interest_day_count = fields.Selection(
        selection=[("365", "Actual/365"), ("360", "Actual/360")],
        string="Day Count",
        default="365",
        required=True,
    )
    interest_on_charges = fields.Boolean(
        string="Interest on Charges",
        help="Charge invoices earn interest too: interest on interest. Off by default, and "
        "only with a fixed rate: the statutory regimes do not allow it.",
    )
    fee_less_compensation = fields.Boolean(
        string="Fees Less the Compensation",
        default=True,
        help="A level's fee charged with a statutory flat compensation (EUR 40, or the UK's "
        "sum) is reduced by it: only recovery costs beyond the fixed sum may be charged "
        "(Directive 2011/7/EU art. 6(3), §288(5) BGB, UK Late Payment Act s.5A).",
    )
    charge_product_id = fields.Many2one(
        comodel_name="product.product",
        check_company=True,
        help="Product of the lines of charge invoices (fees, interest, compensation).",
    )
    charge_account_id = fields.Many2one(
        comodel_name="account.account",
        check_company=True,
        domain=[("account_type", "in", ("income", "income_other"))],
    )
    charge_journal_id = fields.Many2one(
        comodel_name="account.journal",
        check_company=True,
        domain=[("type", "=", "sale")],
    )
    note = fields.Html(string="Internal Notes")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.depends("interest_method")
    @api.depends_context("date")
    def _compute_interest_warning(self):
        Rate = self.env["account.dunning.reference.rate"]
        known = Rate._get_known_rates()
        today = fields.Date.context_today(self)
        for policy in self:
            missing = policy.interest_method in PRESETS and (
                Rate._get_missing_reference_date(policy.interest_method, today, today, known)
            )
            policy.interest_warning = (
                Rate._missing_rate_message(policy.interest_method, missing) if missing else False
            )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("level_ids")
    def _check_level_ids(self):
        self._check_level_order()

    @api.constrains("interest_method", "interest_rate", "interest_on_charges")
    def _check_interest(self):
        for policy in self:
            if policy.interest_on_charges and policy.interest_method in PRESETS:
                raise ValidationError(
                    _(
                        "Dunning policy “%(policy)s”: interest on charges is interest on "
                        "interest, which the statutory regimes do not allow (Germany: §289 BGB; "
                        "France: art. 1343-2 Code civil). Use it with a fixed rate only.",
                        policy=policy.display_name,
                    )
                )
            if policy.interest_rate < 0 or policy.interest_rate > 100:
                raise ValidationError(
                    _(
                        "Dunning policy “%(policy)s”: an annual rate of %(rate)s %% is not "
                        "possible.",
                        policy=policy.display_name,
                        rate=policy.interest_rate,
                    )
                )
            if policy.interest_method == "fixed" and not policy.interest_rate:
                raise ValidationError(
                    _(
                        "Dunning policy “%(policy)s”: a fixed interest method needs its "
                        "annual rate.",
                        policy=policy.display_name,
                    )
                )

    @api.constrains(
        "min_residual", "promise_grace_days", "plan_grace_days", "plan_break_after_missed"
    )
    def _check_min_residual(self):
        for policy in self:
            if not 0 <= policy.plan_grace_days <= MAX_DAYS or policy.plan_break_after_missed < 1:
                raise ValidationError(
                    _(
                        "Dunning policy “%(policy)s”: a payment plan breaks after at least one "
                        "missed installment, and its grace days are between 0 and %(max)s.",
                        policy=policy.name,
                        max=MAX_DAYS,
                    )
                )
            if not 0 <= policy.promise_grace_days <= MAX_DAYS:
                raise ValidationError(
                    _(
                        "Dunning policy “%(policy)s”: the grace days after a promise to pay "
                        "must be between 0 and %(max)s.",
                        policy=policy.display_name,
                        max=MAX_DAYS,
                    )
                )
            if policy.min_residual < 0:
                raise ValidationError(
                    _(
                        "Dunning policy “%(policy)s”: the minimum residual cannot be negative.",
                        policy=policy.display_name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        policies = super(
            AccountDunningPolicy, self.with_context(dunning_defer_level_order_check=True)
        ).create(vals_list)
        return policies.with_env(self.env)

    def write(self, vals):
        return super(
            AccountDunningPolicy, self.with_context(dunning_defer_level_order_check=True)
        ).write(vals)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_ordered_levels(self):
        """Levels of the policy in ladder order (see LEVEL_ORDER)."""
        self.ensure_one()
        return self.level_ids.sorted(lambda level: level._get_ladder_key())

    def _get_reminder_days_ahead(self):
        """How many days before a due date this policy reminds, or None."""
        self.ensure_one()
        delays = [delay for delay in self.level_ids.mapped("delay") if delay < 0]
        return -min(delays) if delays else None

    def _get_collector(self, company, *first_choices):
        """Who works a customer: the first of `first_choices` (e.g. its collector),
        else this policy's default collector, else the company's; never the system
        user nor a portal user. None of them: an empty recordset."""
        choices = (*first_choices, self.default_collector_id, company.dunning_collector_id)
        for user in choices:
            if user and user.active and not user.share and not user._is_superuser():
                return user
        return self.env["res.users"]

    def _check_level_order(self):
        """Delays must strictly increase along the ladder of each policy, as its
        levels are listed (by sequence): then that list is the ladder's order."""
        for policy in self:
            levels = policy.level_ids.sorted(lambda level: (level.sequence, level.id))
            index = first_delay_out_of_order(levels.mapped("delay"))
            if index is None:
                continue
            level, previous = levels[index], levels[index - 1]
            raise ValidationError(
                _(
                    "Dunning level “%(level)s” of policy “%(policy)s”: its delay "
                    "(%(delay)s days) must be greater than the delay of the previous "
                    "level “%(previous)s” (%(previous_delay)s days). Delays must "
                    "strictly increase along the ladder.",
                    level=level.name,
                    policy=policy.name,
                    delay=level.delay,
                    previous=previous.name,
                    previous_delay=previous.delay,
                )
            )

    @api.model
    def _plan_dunning(self, company, rows, on_date, credits=None):
        """What dunning on `on_date` does with `rows`, the open invoices of `company`
        (see account.dunning.run._fetch_dunning_candidates), writing nothing.
        `credits`: what customers hold, as account.move.line._get_dunning_credits reads.
        Returns a dict with `examined` (invoice count), `skips` ((partner_id,
        move_id, reason)), `dunnings` (invoice rows moving up, with their new level
        and next level date), `statements` (other overdue invoices per (partner_id,
        currency_id), listed on the notices), `covered` ((partner_id, currency_id)
        whose credits cover what is due), `credits` (as given) and
        `next_level_dates` ({move_id: date} where it changes, before moving)."""
        partners = (
            self.env["res.partner"].with_company(company).browse({r["partner_id"] for r in rows})
        )
        ladders = (partners.dunning_policy_id | company.dunning_policy_id)._get_dunning_ladders()
        # Plain values, read once: the loop below runs once per open invoice.
        default_policy_id = company.dunning_policy_id.id
        risks = self._get_customer_risks(company, partners)
        customers = {
            partner.id: {
                "ladder": ladders.get(partner.dunning_policy_id.id or default_policy_id),
                "excluded": partner.dunning_excluded,
                "stage": partner.dunning_stage,
                "risk": risks[partner.id],
            }
            for partner in partners
        }
        plan = {
            "examined": len(rows),
            "skips": [],
            "dunnings": [],
            "statements": defaultdict(list),
            "covered": [],
            "credits": credits,
            "next_level_dates": {},
        }
        for row in rows:
            customer = customers[row["partner_id"]]
            ladder = customer["ladder"]
            days_late = (on_date - row["invoice_date_due"]).days
            target, reason = self._plan_invoice(row, customer, ladder, on_date, days_late)
            if reason:
                plan["skips"].append((row["partner_id"], row["move_id"], reason))
            if target is not None:
                plan["dunnings"].append(
                    dict(
                        row,
                        level_id=ladder["level_ids"][target],
                        previous_level_id=row["level_id"],
                        days_late=days_late,
                    )
                )
            elif days_late > 0 and not row["blocked"] and not row["in_plan"]:
                plan["statements"][row["partner_id"], row["currency_id"]].append(
                    dict(row, days_late=days_late)
                )
        if credits:
            self._plan_credits(plan, rows, credits, customers)
        self._plan_next_level_dates(plan, rows, customers, on_date)
        return plan

    @api.model
    def _plan_next_level_dates(self, plan, rows, customers, on_date):
        """When each invoice is due for its next level after dunning on `on_date`
        (see _get_next_level_date): on each of the `dunnings` as it stands once
        moved, with its notice of that day; in `next_level_dates` as it stands
        now, where that changed."""
        known = {}

        def next_date(row, level_id, last_date):
            ladder = customers[row["partner_id"]]["ladder"]
            # Many invoices share a due date and a step of the same ladder.
            key = (id(ladder), level_id, row["invoice_date_due"], last_date)
            if key not in known:
                known[key] = self._get_next_level_date(
                    ladder, level_id, row["invoice_date_due"], last_date, on_date
                )
            return known[key]

        for row in rows:
            current = next_date(row, row["level_id"], row["last_dunning_date"])
            if current != (row["next_level_date"] or False):
                plan["next_level_dates"][row["move_id"]] = current
        for row in plan["dunnings"]:
            row["next_level_date"] = next_date(row, row["level_id"], on_date)
            # Written once, with its new level (account.dunning.run._apply_levels).
            plan["next_level_dates"].pop(row["move_id"], None)

    @api.model
    def _plan_credits(self, plan, rows, credits, customers):
        """A customer whose credits cover what it owes in a currency, down to the
        policy minimum, is not dunned in it: its invoices are skipped as covered by
        credits, and the pair is noted in `covered` for the collector to reconcile."""
        owed = defaultdict(float)
        for row in rows:
            if not row["blocked"] and not row["in_plan"]:
                owed[row["partner_id"], row["currency_id"]] += row["residual_company"]
        covered = {
            key
            for key in {(row["partner_id"], row["currency_id"]) for row in plan["dunnings"]}
            if key in credits
            and owed[key] - credits[key][1]
            <= (customers[key[0]]["ladder"] or {}).get("min_residual", 0.0)
        }
        if not covered:
            return
        dunnings = []
        for row in plan["dunnings"]:
            key = (row["partner_id"], row["currency_id"])
            if key in covered:
                plan["skips"].append((row["partner_id"], row["move_id"], "credits"))
            else:
                dunnings.append(row)
        plan["dunnings"] = dunnings
        for key in covered:
            plan["statements"].pop(key, None)
        plan["covered"] = sorted(covered)

    @api.model
    def _plan_invoice(self, row, customer, ladder, on_date, days_late):
        """(target level index or None, skip reason or None) for one invoice row:
        the ladder says whether it is due for a level, then exclusions, holds,
        promises, the minimum and the interval may keep it where it is."""
        if not ladder:
            return None, "no_policy"
        current_index = ladder["index"](row["level_id"])
        since_last = (on_date - row["last_dunning_date"]).days if row["last_dunning_date"] else None
        args = (ladder["delays"], ladder["intervals"])
        if next_level_index(days_late, current_index, *args, None, jump=ladder["jump"]) is None:
            return None, None
        if customer["excluded"]:
            return None, "excluded"
        if customer["stage"] in ("payment_plan", "agency", "legal"):
            return None, "stage"
        if row["blocked"]:
            return None, "blocked"
        if row["held_notice"]:
            # Never past a step the customer was not sent: its notice awaits a check.
            return None, "held"
        if row["in_plan"]:
            return None, "plan"
        if row["promised"] and (on_date - row["promise_date"]).days <= ladder["grace_days"]:
            return None, "promise"
        if row["residual_company"] <= ladder["min_residual"]:
            return None, "minimum"
        target = next_level_index(days_late, current_index, *args, since_last, jump=ladder["jump"])
        if target is None:
            return None, "interval"
        target = self._adapt_to_risk(target, current_index, ladder, customer["risk"], days_late)
        return target, None if target is not None else "low_risk"

    @api.model
    def _get_next_level_date(self, ladder, level_id, due_date, last_date, today):
        """When an invoice due on `due_date`, at `level_id` on `ladder` (see
        _get_dunning_ladders) since its notice of `last_date`, is due for its next
        level, as of `today` (see tools.ladder.next_level_due_date); False if never.
        The run and the invoice store it as dunning_next_level_date."""
        if not ladder or not due_date:
            return False
        index = ladder["index"](level_id)
        args = (ladder["delays"], ladder["intervals"], last_date or None, today)
        return next_level_due_date(due_date, index, *args, jump=ladder["jump"]) or False

    def _get_dunning_ladders(self):
        """Per policy id: its levels in order, their delays and intervals, and a
        function giving the ladder index of an invoice's current level."""
        all_levels = self.env["account.dunning.level"].with_context(active_test=False)
        rank_of = {level.id: level._get_rank() for level in all_levels.search([])}
        ladders = {}
        for policy in self:
            levels = policy._get_ordered_levels()
            if not levels:
                continue
            ranks = [level._get_rank() for level in levels]
            position = {level.id: index for index, level in enumerate(levels)}

            def index_of(level_id, position=position, ranks=ranks):
                if not level_id:
                    return -1
                if level_id in position:
                    return position[level_id]
                # A level of another policy (the customer changed policy): place
                # it on this ladder by its rank.
                rank = rank_of.get(level_id, (0,))
                return max((i for i, r in enumerate(ranks) if r <= rank), default=-1)

            ladders[policy.id] = {
                "level_ids": levels.ids,
                "jump": policy.jump_to_highest_level,
                "grace_days": policy.promise_grace_days,
                "min_residual": policy.min_residual,
                "delays": levels.mapped("delay"),
                "intervals": levels.mapped("min_interval"),
                "index": index_of,
                **policy._prepare_ladder_risk_values(levels),
            }
        return ladders

    def _get_interest_method(self, is_company):
        """The interest method this policy applies to a customer's debts. Consumers
        (individuals: not `is_company`) pay the consumer rate where the law has one
        (§288(1) BGB: base rate + 5), and none under the regimes for business debts
        only (Directive 2011/7/EU, French Code de commerce L441-10, UK Late Payment
        Act 1998)."""
        self.ensure_one()
        if is_company:
            return self.interest_method
        return consumer_method(self.interest_method)

    def _get_interest_warning(self, method, invoice, first_day, end, known_rates):
        """Why interest under `method` cannot be computed from `first_day` to `end` on
        `invoice` (its name, currency and first maturity are read): a euro preset asked
        of another currency, or a reference rate not recorded. False when it can."""
        if method in EURO_PRESETS and invoice.currency_id.name != "EUR":
            # The ECB's and the Bundesbank's rates are euro rates: no guess for others.
            return self.env._(
                "No statutory interest on %(invoice)s: the %(preset)s reads a euro"
                " reference rate and the invoice is in %(currency)s. Use a fixed rate"
                " for debts in other currencies.",
                invoice=invoice.name,
                preset=dict(self._fields["interest_method"]._description_selection(self.env))[
                    method
                ],
                currency=invoice.currency_id.name,
            )
        if method in ("none", "fixed"):
            return False
        Rate = self.env["account.dunning.reference.rate"]
        overdue_from = fields.Date.add(invoice._get_dunning_first_maturity(), days=1)
        missing = Rate._get_missing_reference_date(
            method, first_day, end, known_rates, overdue_from
        )
        return Rate._missing_rate_message(method, missing) if missing else False

    def _compute_interest(self, method, balances, overdue_from, start, end, currency, known_rates):
        """The interest under `method` on `balances` (the debt's open amount over time,
        see account.move._get_dunning_open_balances), from the day after `start` to
        `end`: (periods of constant base and rate, amount rounded in `currency`).
        Raises a UserError for a missing reference rate."""
        self.ensure_one()
        if method == "fixed":
            rates = [(date.min, Decimal(str(self.interest_rate)))]
        else:
            rates = self.env["account.dunning.reference.rate"]._get_statutory_rate_steps(
                method, fields.Date.add(start, days=1), end, known_rates, overdue_from
            )
        periods = interest_periods(balances, rates, start, end)
        amount = round_money(
            simple_interest(periods, day_count=int(self.interest_day_count)),
            currency_quantum(currency.decimal_places),
        )
        return periods, amount

    def _compute_interest_owed(
        self, method, balances, overdue_from, charged, currency, known_rates
    ):
        """What interest charged over `charged` ((first day, last day, amount) each) is
        owed on `balances` as now recorded: a payment entered late but dated earlier
        makes some of it not owed. A rate removed since: what was charged stands."""
        self.ensure_one()
        owed = Decimal(0)
        for first_day, last_day, amount in charged:
            try:
                owed += self._compute_interest(
                    method,
                    balances,
                    overdue_from,
                    fields.Date.subtract(first_day, days=1),
                    last_day,
                    currency,
                    known_rates,
                )[1]
            except UserError:
                owed += Decimal(str(amount))
        return owed

    def _compute_compensation(self, is_company, amount_total, debt_currency, convert):
        """The statutory flat compensation this policy's preset owes on a business
        debt of `amount_total` in `debt_currency`, in the currency `convert(amount,
        from_currency, to_currency=None)` brings amounts to (None: the charge's), which
        raises MissingExchangeRate rather than convert at 1:1. 0 when none is owed."""
        self.ensure_one()
        preset = PRESETS.get(self.interest_method)
        if not preset or not preset.compensation or not is_company:
            return 0.0
        currency = self.env.ref(f"base.{preset.compensation_currency}")
        amount = preset.compensation
        if callable(amount):  # a sliding sum on the debt in that currency (UK)
            amount = amount(Decimal(str(convert(amount_total, debt_currency, currency))))
        return convert(float(amount), currency)
