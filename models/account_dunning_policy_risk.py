from odoo import api, fields, models

from ..tools.ladder import adapt_to_risk
from .account_dunning_behaviour import WINDOW_MONTHS

# The policy's fields this rule reads (their defaults apply without a policy).
RISK_THRESHOLD_FIELDS = (
    "risk_min_invoices",
    "risk_high_days",
    "risk_high_share",
    "risk_high_broken",
    "risk_medium_days",
    "risk_medium_share",
    "risk_medium_broken",
)


class AccountDunningPolicyRisk(models.AbstractModel):
    """The thresholds a dunning policy classes its customers' payment behaviour
    by, and that rule (account.dunning.policy inherits it; kept apart so the
    policy's file keeps to the ladder, interest and charges).

    - new: fewer invoices paid in the window than `risk_min_invoices`;
    - high: paid late by `risk_high_days` on average (weighted by amount), or a
      share of invoices paid late of `risk_high_share` %, or `risk_high_broken`
      promises broken;
    - medium: likewise from the medium thresholds;
    - low: otherwise. A threshold at 0 is not used.
    """

    _name = "account.dunning.policy.risk"
    _description = "Payment Risk Thresholds"

    risk_min_invoices = fields.Integer(
        string="Invoices to Judge",
        default=3,
        help="A customer with fewer invoices paid in the last 12 months is new.",
    )
    risk_high_days = fields.Integer(string="High Risk: Days Late From", default=30)
    risk_high_share = fields.Float(string="High Risk: Share Late From (%)", default=50.0)
    risk_high_broken = fields.Integer(string="High Risk: Broken Promises From", default=2)
    risk_medium_days = fields.Integer(string="Medium Risk: Days Late From", default=10)
    risk_medium_share = fields.Float(string="Medium Risk: Share Late From (%)", default=25.0)
    risk_medium_broken = fields.Integer(string="Medium Risk: Broken Promises From", default=1)

    # How the ladder adapts to the class (off by default; see tools.ladder.adapt_to_risk).
    risk_high_start_level_id = fields.Many2one(
        comodel_name="account.dunning.level",
        string="High Risk: Start At",
        domain="[('policy_id', '=', id), ('delay', '>', 0)]",
        help="A high-risk customer's overdue invoice goes straight to this level (e.g. the"
        " call) instead of the reminders below it. Empty: the ladder as it is.",
    )
    risk_low_skip_pre_due = fields.Boolean(
        string="Low Risk: No Pre-due Reminder",
        help="Customers who pay on time get no reminder before the due date.",
    )

    @api.model
    def _get_risk_policy(self, company):
        """The policy whose thresholds class `company`'s customers; without one,
        the thresholds' defaults."""
        Policy = self.env["account.dunning.policy"]
        return company.sudo().dunning_policy_id or Policy.new(
            Policy.default_get(list(RISK_THRESHOLD_FIELDS))
        )

    def _get_dunning_risk(self, figures):
        """(risk class, sentence saying why) of a customer whose behaviour has
        `figures` (account.dunning.behaviour._get_risk_figures: plain values)."""
        count = figures["invoice_paid_count"]
        if count < self.risk_min_invoices:
            return "new", self.env._(
                "%(count)s invoices paid in %(months)s months: too few to judge"
                " (%(needed)s needed)",
                count=count,
                months=WINDOW_MONTHS,
                needed=self.risk_min_invoices,
            )
        risk = "low"
        for level in ("medium", "high"):
            if any(
                threshold and value >= threshold
                for value, threshold in (
                    (figures["days_late_avg"], self[f"risk_{level}_days"]),
                    (figures["late_share"], self[f"risk_{level}_share"]),
                    (figures["promise_broken_count"], self[f"risk_{level}_broken"]),
                )
            ):
                risk = level
        return risk, self._get_dunning_risk_reason(figures)

    def _get_dunning_risk_reason(self, figures):
        """The sentence saying how a customer with `figures` pays."""
        reason = self.env._(
            "paid %(late)s of %(count)s invoices late, %(days)s days on average",
            late=figures["late_count"],
            count=figures["invoice_paid_count"],
            days=round(figures["days_late_avg"]),
        )
        if figures["trend"] == "worse":
            reason = self.env._("%(reason)s, getting worse", reason=reason)
        elif figures["trend"] == "better":
            reason = self.env._("%(reason)s, getting better", reason=reason)
        if figures["promise_broken_count"]:
            reason = self.env._(
                "%(reason)s; %(broken)s promises broken",
                reason=reason,
                broken=figures["promise_broken_count"],
            )
        return reason

    def _prepare_ladder_risk_values(self, levels):
        """What this policy's ladder (see account.dunning.policy._get_dunning_ladders)
        adds for the risk classes: the index of its high-risk start level on
        `levels` (its ordered levels), and whether low risk skips pre-due reminders."""
        self.ensure_one()
        start = self.risk_high_start_level_id
        return {
            "high_start": levels.ids.index(start.id) if start in levels else None,
            "skip_pre_due_low": self.risk_low_skip_pre_due,
        }

    @api.model
    def _get_customer_risks(self, company, partners):
        """{partner id: risk class in `company`} of `partners`; "new" without a row."""
        rows = (
            self.env["account.dunning.behaviour"]
            .sudo()
            .search_read(
                [("company_id", "=", company.id), ("partner_id", "in", partners.ids)],
                ["partner_id", "risk"],
            )
        )
        risks = dict.fromkeys(partners.ids, "new")
        risks.update({row["partner_id"][0]: row["risk"] for row in rows})
        return risks

    @api.model
    def _adapt_to_risk(self, target, current_index, ladder, risk, days_late):
        """The ladder index `target` once the customer's `risk` class counts (None:
        a low-risk customer's pre-due reminder, skipped)."""
        return adapt_to_risk(
            target,
            current_index,
            ladder["delays"],
            days_late,
            risk,
            ladder.get("high_start"),
            ladder.get("skip_pre_due_low"),
        )
