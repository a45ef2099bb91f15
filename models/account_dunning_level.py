from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.money import currency_quantum, fee_amount, round_money

LETTER_KINDS = [
    ("friendly", "Friendly reminder"),
    ("second", "Second notice"),
    ("final", "Final demand"),
    ("pre_legal", "Pre-legal notice"),
]

SMS_WHEN = [
    ("always", "Every customer with a mobile"),
    ("no_email", "Customers without an email address"),
]

ESCALATIONS = [
    ("none", "None"),
    ("credit_hold", "Credit hold"),
    ("agency", "Collection agency"),
    ("legal", "Legal"),
]


# The order of dunning levels, by field: how far a level goes (its rank, see
# _get_rank), then its id to settle ties in sorts. Delays strictly increase along a
# policy's ladder (account.dunning.policy._check_level_order), so within a policy
# this is the ladder's order; across policies it compares how far levels go. Python
# sorts with _get_ladder_key, SQL with _get_ladder_order_sql.
LEVEL_RANK = ("delay", "sequence")
LEVEL_ORDER = (*LEVEL_RANK, "id")

# Day counts beyond ten years are typing errors, and dates beyond them overflow.
MAX_DAYS = 3650


class AccountDunningLevel(models.Model):
    _name = "account.dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # DEFAULT METHODS
    # ------------------------------------------------------------

    @api.model
    def _default_sequence(self):
        """A new level goes to the end of its policy's ladder."""
        policy_id = self.env.context.get("default_policy_id")
        if not policy_id:
            return 10
        last = self.search([("policy_id", "=", policy_id)], order="sequence desc", limit=1)
        return last.sequence + 10 if last else 10

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    sequence = fields.Integer(default=lambda self: self._default_sequence())
    name = fields.Char(required=True, translate=True)
    policy_id = fields.Many2one(
        comodel_name="account.dunning.policy",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    # Day counts of a level are not added up when levels are grouped.
    delay = fields.Integer(
        string="Delay (days)",
        required=True,
        aggregator=None,
        help="Days after the due date. A negative value sends a reminder before the due date.",
    )
    min_interval = fields.Integer(
        string="Minimum Interval (days)",
        default=7,
        aggregator=None,
        help="Minimum number of days since the previous notice of the invoice.",
    )
    # Channels: any combination.
    send_email = fields.Boolean(string="Email")
    mail_template_id = fields.Many2one(
        comodel_name="mail.template",
        string="Email Template",
        domain=[("model", "=", "account.dunning.notice")],
    )
    send_letter = fields.Boolean(string="Letter")
    letter_kind = fields.Selection(selection=LETTER_KINDS)
    send_post = fields.Boolean(
        string="Post the Letter",
        help="Post this level's letters (and those sent instead of an email without"
        " address) through Odoo's snailmail service, which costs IAP credits, instead of"
        " printing them by hand. Needs the company's setting Post Dunning Letters.",
    )
    send_sms = fields.Boolean(string="Text Message")
    sms_template_id = fields.Many2one(
        comodel_name="sms.template",
        string="Text Message Template",
        domain=[("model", "=", "account.dunning.notice")],
    )
    sms_when = fields.Selection(
        selection=SMS_WHEN,
        string="Text Whom",
        default="always",
        required=True,
        help="Every customer, or only those without an email address (then the text"
        " message goes instead of the letter that replaces the email).",
    )
    send_statement = fields.Boolean(
        string="Statement of Account",
        help="Also email the customer its statement of account: every open item with its aging.",
    )
    create_activity = fields.Boolean(
        string="Collection Call", help="Schedule a collection call on the customer."
    )
    activity_user_mode = fields.Selection(
        selection=[("collector", "Partner's collector"), ("fixed", "Fixed user")],
        string="Assign To",
        default="collector",
    )
    activity_user_id = fields.Many2one(
        comodel_name="res.users",
        check_company=True,
        domain=[("share", "=", False)],
    )
    payment_deadline_days = fields.Integer(
        string="Payment Deadline (days)",
        aggregator=None,
        help="Final payment deadline stated in the letter, in days from the notice date.",
    )
    escalation = fields.Selection(selection=ESCALATIONS, default="none", required=True)
    # Fees charged when an invoice reaches this level (issue: late fees).
    currency_id = fields.Many2one(related="company_id.currency_id")
    fee_fixed = fields.Monetary(string="Fixed Fee")
    fee_percent = fields.Float(string="Fee (% of overdue)", digits=(6, 3))
    fee_min = fields.Monetary(string="Minimum Fee")
    fee_max = fields.Monetary(string="Maximum Fee", help="0: no maximum.")
    fee_tax_id = fields.Many2one(
        comodel_name="account.tax",
        check_company=True,
        domain=[("type_tax_use", "=", "sale")],
    )
    auto_execute = fields.Boolean(
        string="Send Automatically",
        default=True,
        help="The scheduled run sends this level without a human check.",
    )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("sequence", "delay", "policy_id")
    def _check_delay_order(self):
        # Inside a policy write, the policy checks the whole ladder once at the end,
        # so that editing several levels at once never trips on an intermediate state.
        if self.env.context.get("dunning_defer_level_order_check"):
            return
        self.policy_id._check_level_order()

    @api.constrains("fee_fixed", "fee_percent", "fee_min", "fee_max")
    def _check_fees(self):
        for level in self:
            if min(level.fee_fixed, level.fee_percent, level.fee_min, level.fee_max) < 0:
                raise ValidationError(
                    _("Dunning level “%(level)s”: fees cannot be negative.", level=level.name)
                )
            if level.fee_percent > 100:
                raise ValidationError(
                    _(
                        "Dunning level “%(level)s”: a fee of %(percent)s %% of the overdue "
                        "amount is more than the amount itself.",
                        level=level.name,
                        percent=level.fee_percent,
                    )
                )
            if level.fee_max and level.fee_min > level.fee_max:
                raise ValidationError(
                    _(
                        "Dunning level “%(level)s”: the minimum fee is above the maximum fee.",
                        level=level.name,
                    )
                )

    @api.constrains("delay", "min_interval", "payment_deadline_days")
    def _check_day_counts(self):
        for level in self:
            for name, low in (
                ("delay", -MAX_DAYS),
                ("min_interval", 0),
                ("payment_deadline_days", 0),
            ):
                days = level[name]
                if not low <= days <= MAX_DAYS:
                    raise ValidationError(
                        _(
                            "Dunning level “%(level)s”: %(field)s must be between %(low)s and"
                            " %(high)s days, not %(days)s.",
                            level=level.name,
                            field=level._fields[name].get_description(self.env)["string"],
                            low=low,
                            high=MAX_DAYS,
                            days=days,
                        )
                    )

    @api.constrains(
        "send_email",
        "mail_template_id",
        "send_letter",
        "letter_kind",
        "send_sms",
        "sms_template_id",
        "create_activity",
        "activity_user_mode",
        "activity_user_id",
        "payment_deadline_days",
        "escalation",
    )
    def _check_channels(self):
        for level in self:
            error = level._channel_error_message()
            if error:
                raise ValidationError(error)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_rank(self):
        """Where this level stands, on any policy's ladder (see LEVEL_RANK): levels
        of different policies with the same delay and sequence rank equal."""
        self.ensure_one()
        return tuple(self[name] for name in LEVEL_RANK)

    def _get_ladder_key(self):
        """The sort key of LEVEL_ORDER: the rank, then the id."""
        self.ensure_one()
        return tuple(self[name] for name in LEVEL_ORDER)

    @api.model
    def _get_ladder_order_sql(self, alias, descending=False):
        """LEVEL_ORDER as an SQL ORDER BY list on the levels table `alias`."""
        direction = SQL("DESC") if descending else SQL("ASC")
        return SQL(", ").join(
            SQL("%s %s", SQL.identifier(alias, name), direction) for name in LEVEL_ORDER
        )

    def _channel_error_message(self):
        """Return why the channels of the level are inconsistent, or False."""
        self.ensure_one()
        if self.send_email and not self.mail_template_id:
            return _(
                "Dunning level “%(level)s”: sending an email needs an email template.",
                level=self.name,
            )
        if self.mail_template_id and self.mail_template_id.model != "account.dunning.notice":
            return _(
                "Dunning level “%(level)s”: the email template “%(template)s” must be a "
                "template on dunning notices.",
                level=self.name,
                template=self.mail_template_id.name,
            )
        if self.send_sms and not self.sms_template_id:
            return _(
                "Dunning level “%(level)s”: sending a text message needs a text message template.",
                level=self.name,
            )
        if self.sms_template_id and self.sms_template_id.model != "account.dunning.notice":
            return _(
                "Dunning level “%(level)s”: the text message template “%(template)s” must"
                " be a template on dunning notices.",
                level=self.name,
                template=self.sms_template_id.name,
            )
        if self.send_letter and not self.letter_kind:
            return _(
                "Dunning level “%(level)s”: sending a letter needs a letter kind.",
                level=self.name,
            )
        if self.send_letter and self.letter_kind == "final" and self.payment_deadline_days <= 0:
            return _(
                "Dunning level “%(level)s”: a final demand needs a payment deadline of at "
                "least one day.",
                level=self.name,
            )
        if (
            self.create_activity
            and self.activity_user_mode == "fixed"
            and not self.activity_user_id
        ):
            return _(
                "Dunning level “%(level)s”: activities assigned to a fixed user need that user.",
                level=self.name,
            )
        if not (self.send_email or self.send_letter or self.send_sms or self.create_activity) and (
            self.escalation == "none"
        ):
            return _(
                "Dunning level “%(level)s” does nothing: choose at least one channel "
                "(email, letter, text message, activity) or an escalation.",
                level=self.name,
            )
        return False

    def _sends_sms(self, has_email):
        """Whether this level texts a customer who has (`has_email`) an email
        address or not."""
        self.ensure_one()
        return self.send_sms and (self.sms_when == "always" or not has_email)

    def _posts_letters(self, company):
        """Whether this level's letters are posted (not printed) for `company`."""
        self.ensure_one()
        return self.send_post and company.dunning_post_letters

    def _get_activity_user(self, company, collector):
        """Who calls for a notice of this level: its fixed user, else the customer's
        `collector`, else the policy's default collector, else the company's; never
        the system user nor a portal user. None of them: an empty recordset."""
        self.ensure_one()
        fixed = self.activity_user_id if self.activity_user_mode == "fixed" else None
        return self.policy_id._get_collector(company, fixed, collector)

    def _prepare_escalation_partner_values(self):
        """What reaching this level sets on the customer: a credit hold, and for a
        handover its collection stage."""
        self.ensure_one()
        if self.escalation == "none":
            return {}
        if self.escalation == "credit_hold":
            return {"dunning_credit_hold": True}
        return {"dunning_stage": self.escalation, "dunning_credit_hold": True}

    def _action_escalate(self, partner, notice):
        """Put `partner` on hold, or with an agency or in legal proceedings, as this
        level says, because of `notice`; say so on the customer and in its history."""
        self.ensure_one()
        vals = self._prepare_escalation_partner_values()
        if not vals:
            return
        # Set by the ladder, lifted by it once the debt is paid (a hold by hand stays).
        partner.write(dict(vals, dunning_escalated=True))
        message = self.env._(
            "Escalated by dunning notice %(notice)s: %(escalation)s.",
            notice=notice.name,
            escalation=self._get_escalation_label(),
        )
        partner.message_post(body=message)
        self.env["account.dunning.event"]._record(
            [
                {
                    "company_id": notice.company_id.id,
                    "partner_id": partner.id,
                    "kind": "escalation",
                    "notice_id": notice.id,
                    "summary": message,
                }
            ]
        )

    def _get_escalation_label(self):
        self.ensure_one()
        return dict(self._fields["escalation"]._description_selection(self.env))[self.escalation]

    def _has_fee(self):
        self.ensure_one()
        return bool(self.fee_fixed or self.fee_percent or self.fee_min)

    def _may_charge(self):
        """Whether a notice at this level may carry charges: its fee, or its policy's
        interest (and the statutory compensation charged with them)."""
        self.ensure_one()
        return self._has_fee() or self.policy_id.interest_method != "none"

    def _get_fee_amount(self, base, currency, convert):
        """The fee this level charges on `base`, the open commercial debt it dunns in
        `currency`, or None. Its fixed amounts are in the company's currency:
        `convert(amount)` brings them to `currency` (and raises MissingExchangeRate
        without a rate)."""
        self.ensure_one()
        if not self._has_fee() or currency.compare_amounts(base, 0) <= 0:
            return None

        def converted(amount):
            return Decimal(str(convert(amount))) if amount else Decimal(0)

        amount = fee_amount(
            Decimal(str(base)),
            fixed=converted(self.fee_fixed),
            percent=Decimal(str(self.fee_percent)),
            minimum=converted(self.fee_min),
            maximum=converted(self.fee_max),
        )
        return float(round_money(amount, currency_quantum(currency.decimal_places)))
