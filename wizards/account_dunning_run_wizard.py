from collections import Counter, defaultdict

from odoo import _, api, fields, models


class AccountDunningRunWizard(models.TransientModel):
    _name = "account.dunning.run.wizard"
    _description = "Run Dunning Now"

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    previewed = fields.Boolean(readonly=True)
    examined_count = fields.Integer(string="Invoices Examined", readonly=True)
    skip_count = fields.Integer(string="Skipped", readonly=True)
    skip_summary = fields.Text(
        string="Why Skipped",
        readonly=True,
        help="The invoices the run would leave alone, by reason.",
    )
    line_ids = fields.One2many(
        comodel_name="account.dunning.run.wizard.line", inverse_name="wizard_id", readonly=True
    )
    line_count = fields.Integer(readonly=True)
    # What the run costs in IAP credits (Odoo's sms and snailmail services).
    sms_count = fields.Integer(string="Text Messages", readonly=True)
    post_count = fields.Integer(string="Letters Posted", readonly=True)

    # ------------------------------------------------------------
    # ONCHANGE METHODS
    # ------------------------------------------------------------

    @api.onchange("date", "company_id")
    def _onchange_date(self):
        # A preview shown is the preview of the date shown: never another day's.
        if self.previewed and self.date and self.company_id:
            self._set_preview()

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_preview(self):
        """Dry run: show what would be sent, writing nothing but this preview."""
        self.ensure_one()
        self._set_preview()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Run Dunning Now"),
        }

    def action_run(self):
        self.ensure_one()
        run = (
            self.env["account.dunning.run"]
            .with_company(self.company_id)
            .create({"company_id": self.company_id.id, "date": self.date, "trigger": "manual"})
        )
        run._run_dunning()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.dunning.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _set_preview(self):
        """What a run on this date would send, and why the rest waits."""
        plan = self.env["account.dunning.run"]._prepare_dunning_plan(self.company_id, self.date)
        groups = defaultdict(list)
        for row in plan["dunnings"]:
            groups[row["partner_id"], row["currency_id"], row["level_id"]].append(row)
        labels = dict(
            self.env["account.dunning.run.log"]._fields["reason"]._description_selection(self.env)
        )
        reasons = Counter(reason for _partner, _move, reason in plan["skips"])
        lines = [self._prepare_preview_line_values(key, rows) for key, rows in groups.items()]
        sms_count, post_count = self._add_customer_channels(lines)
        self.update(
            {
                "sms_count": sms_count,
                "post_count": post_count,
                "line_ids": [fields.Command.clear()]
                + [fields.Command.create(line) for line in lines],
                "line_count": len(groups),
                "previewed": True,
                "examined_count": plan["examined"],
                "skip_count": len(plan["skips"]),
                "skip_summary": "\n".join(
                    self.env._("%(reason)s: %(count)s", reason=labels[reason], count=count)
                    for reason, count in reasons.most_common()
                ),
            }
        )

    def _add_customer_channels(self, lines):
        """Add to `lines` the channels that depend on the customer: a text message
        to a number that takes one (see account.dunning.notice.sms), a letter
        posted instead of printed, by the same rules as the run. Returns how many
        text messages and posted letters that makes."""
        partners = self.env["res.partner"].browse({line["partner_id"] for line in lines})
        recipients = partners._get_dunning_recipients()
        numbers = self.env["account.dunning.notice.sms"]._read_numbers(partners, self.company_id)
        counts = Counter()
        for line in lines:
            level = self.env["account.dunning.level"].browse(line["level_id"])
            has_email = bool(recipients[line["partner_id"]].email)
            _partner, _raw, number, blacklisted = numbers[line["partner_id"]]
            texted = bool(level._sends_sms(has_email) and number and not blacklisted)
            lettered = level.send_letter or (level.send_email and not has_email and not texted)
            posted = bool(lettered and level._posts_letters(self.company_id))
            extra = [
                label
                for active, label in ((texted, _("Text message")), (posted, _("Post")))
                if active
            ]
            line["channels"] = ", ".join(filter(None, [line["channels"], *extra]))
            counts.update(sms=texted, post=posted)
        return counts["sms"], counts["post"]

    def _prepare_preview_line_values(self, key, rows):
        partner_id, currency_id, level_id = key
        level = self.env["account.dunning.level"].browse(level_id)
        channels = [
            label
            for active, label in (
                (level.send_email, _("Email")),
                (level.send_letter, _("Letter")),
                (level.create_activity, _("Call")),
                (level.escalation != "none", _("Escalation")),
            )
            if active
        ]
        return {
            "partner_id": partner_id,
            "currency_id": currency_id,
            "level_id": level_id,
            "invoice_count": len(rows),
            "amount_residual": sum(row["amount_residual"] for row in rows),
            "channels": ", ".join(channels),
            "auto_execute": level.auto_execute,
        }


class AccountDunningRunWizardLine(models.TransientModel):
    _name = "account.dunning.run.wizard.line"
    _description = "Run Dunning Now: Preview Line"

    wizard_id = fields.Many2one(
        comodel_name="account.dunning.run.wizard", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer")
    level_id = fields.Many2one(comodel_name="account.dunning.level")
    currency_id = fields.Many2one(comodel_name="res.currency")
    invoice_count = fields.Integer(string="Invoices")
    amount_residual = fields.Monetary(string="Amount")
    channels = fields.Char()
    auto_execute = fields.Boolean(string="Automatic")
