from odoo import _, api, fields, models
from odoo.exceptions import UserError

NOTICE_STATES = [
    ("draft", "To Send"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("cancel", "Cancelled"),
]
EMAIL_STATES = [
    *(("none", "No email"), ("pending", "Waiting"), ("queued", "Queued"), ("sent", "Sent")),
    *(("bounced", "Bounced"), ("fallback", "No address: letter instead"), ("failed", "Failed")),
]
# An email was queued for the notice (delivered or not).
EMAILED_STATES = ("pending", "queued", "sent", "bounced", "failed")
# The email did not reach the customer: it can be sent again.
EMAIL_RETRY_STATES = ("failed", "bounced")
LETTER_STATES = [
    *(("none", "No letter"), ("to_print", "To Print"), ("printed", "Printed")),
    *(("to_post", "To Post"), ("posted", "Posted"), ("post_failed", "Not Posted")),
]
SMS_STATES = [
    *(("none", "No text message"), ("pending", "Waiting"), ("sent", "Sent")),
    *(("failed", "Failed"), ("no_number", "No valid number"), ("opted_out", "Opted out")),
]
ACTIVITY_STATES = [("none", "No call"), ("created", "Call created")]
# What a notice states and did: written by the run and the notice's actions alone.
NOTICE_SERVER_FIELDS = (
    *("name", "company_id", "run_id", "partner_id", "currency_id", "level_id", "date"),
    *("payment_deadline", "state", "email_state", "email_failure_reason", "letter_state"),
    *("activity_state", "activity_id", "amount_residual", "amount_dunned", "invoice_count"),
    *("charge_move_id", "charges_waived", "charge_waiver_reason", "charge_refund_id"),
    *("letter_qr_error", "fee_left_out", "amount_credits", "paid_online", "sms_state"),
    *("sms_failure_reason", "sms_message_id", "post_failure_reason", "snailmail_letter_id"),
)


class AccountDunningNotice(models.Model):
    _name = "account.dunning.notice"
    _inherit = ["portal.mixin", "mail.thread", "account.dunning.mixin", "account.dunning.set.mixin"]
    _description = "Dunning Notice"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    company_id = fields.Many2one(comodel_name="res.company", required=True, index=True)
    run_id = fields.Many2one(
        comodel_name="account.dunning.run", index=True, ondelete="set null", readonly=True
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
    )
    recipient_id = fields.Many2one(
        comodel_name="res.partner",
        help="The customer's invoice contact with an email address, else the customer.",
    )
    user_id = fields.Many2one(comodel_name="res.users", string="Collector")
    currency_id = fields.Many2one(comodel_name="res.currency", required=True, readonly=True)
    level_id = fields.Many2one(
        comodel_name="account.dunning.level",
        required=True,
        index=True,
        readonly=True,
        check_company=True,
    )
    letter_kind = fields.Selection(related="level_id.letter_kind")
    # What a held notice says of itself: why it waits, what it will send.
    level_auto_execute = fields.Boolean(related="level_id.auto_execute")
    level_send_email = fields.Boolean(related="level_id.send_email")
    level_send_letter = fields.Boolean(related="level_id.send_letter")
    date = fields.Date(required=True, readonly=True, index=True)
    payment_deadline = fields.Date(help="Final payment deadline stated in the letter.")
    state = fields.Selection(selection=NOTICE_STATES, default="draft", required=True, tracking=True)
    email_state = fields.Selection(
        selection=EMAIL_STATES, default="none", required=True, tracking=True
    )
    email_failure_reason = fields.Char(
        readonly=True, copy=False, help="Why the email did not reach the customer."
    )
    letter_state = fields.Selection(selection=LETTER_STATES, default="none", required=True)
    snailmail_letter_id = fields.Many2one(
        comodel_name="snailmail.letter", string="Posted Letter", readonly=True, copy=False
    )
    post_failure_reason = fields.Char(string="Not Posted Because", readonly=True, copy=False)
    sms_state = fields.Selection(
        selection=SMS_STATES, string="Text Message", default="none", required=True
    )
    sms_failure_reason = fields.Char(string="Not Texted Because", readonly=True, copy=False)
    sms_message_id = fields.Many2one(
        comodel_name="mail.message", string="Text Message Sent", readonly=True, copy=False
    )
    activity_state = fields.Selection(selection=ACTIVITY_STATES, default="none", required=True)
    activity_id = fields.Many2one(comodel_name="mail.activity", ondelete="set null", readonly=True)
    line_ids = fields.One2many(
        comodel_name="account.dunning.notice.line", inverse_name="notice_id", readonly=True
    )
    # A notice states what was owed on its date: these are not recomputed.
    amount_residual = fields.Monetary(
        string="Total Overdue",
        readonly=True,
        help="Open amount of every overdue invoice listed in the notice.",
    )
    amount_dunned = fields.Monetary(
        string="Dunned Amount",
        readonly=True,
        help="Open amount of the invoices that reached this level with this notice.",
    )
    amount_credits = fields.Monetary(
        string="Less Credits",
        readonly=True,
        help="Open credit notes and payments not applied yet of the customer in this"
        " currency, read when the notice was made and again when it leaves: they"
        " reduce what the notice asks.",
    )
    amount_due = fields.Monetary(
        string="Net Due",
        compute="_compute_amount_due",
        help="What the notice asks: the open invoices less the customer's credits.",
    )
    invoice_count = fields.Integer(readonly=True)
    transaction_ids = fields.One2many(
        comodel_name="payment.transaction",
        inverse_name="dunning_notice_id",
        string="Online Payments",
        readonly=True,
    )
    paid_online = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="The customer paid what the notice asks from its page.",
    )
    charge_ids = fields.One2many(
        comodel_name="account.dunning.charge", inverse_name="notice_id", readonly=True
    )
    charge_move_id = fields.Many2one(
        comodel_name="account.move", string="Charge Invoice", readonly=True, copy=False
    )
    fee_left_out = fields.Boolean(
        string="Fee Left Out (No Rate)",
        readonly=True,
        copy=False,
        help="Its level's fee needed an exchange rate that was not recorded: the next"
        " notice of the customer in this currency charges it once the rate exists"
        " (Carried Fees).",
    )
    carried_fee_ids = fields.One2many(
        comodel_name="account.dunning.charge",
        inverse_name="origin_notice_id",
        string="Carried Fees",
        readonly=True,
    )
    charges_waived = fields.Boolean(readonly=True, tracking=True)
    charge_waiver_reason = fields.Text(readonly=True)
    charge_refund_id = fields.Many2one(
        comodel_name="account.move", string="Waiver Credit Note", readonly=True, copy=False
    )
    letter_qr_error = fields.Char(
        string="No QR Code Because",
        readonly=True,
        copy=False,
        help="Why the letter was printed without a payment QR code (e.g. an invalid BIC).",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_access_url(self):
        for notice in self:
            notice.access_url = f"/my/dunning/{notice.id}"

    @api.depends("amount_residual", "amount_credits")
    def _compute_amount_due(self):
        for notice in self:
            notice.amount_due = notice.amount_residual - notice.amount_credits

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self.env["ir.sequence"]._name_in_blocks("account.dunning.notice", vals_list)
        return super().create(vals_list)

    @api.model
    def _insert_set(self, vals_list):
        # A run's notices (account.dunning.set.mixin), named as create() names them.
        self.env["ir.sequence"]._name_in_blocks("account.dunning.notice", vals_list)
        return super()._insert_set(vals_list)

    _sql_constraints = [
        (
            "charge_move_unique",
            "UNIQUE (charge_move_id)",
            "An invoice charges the fees of one notice only.",
        ),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(notice.state in ("sending", "sent") for notice in self):
            raise UserError(_("A sent notice is part of the record: cancel it instead."))

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_send(self):
        """Send notices held for a check, one or a selection, each read again as it
        leaves: those not waiting, or paid meanwhile, are reported, not sent."""
        self.check_access("write")
        drafts = self.filtered(lambda notice: notice.state == "draft")
        if not drafts:
            raise UserError(self._send_error_message())
        # sudo: sending writes what no user writes by hand (state, charge invoice,
        # escalation); who may send is checked above and by the access rights.
        Send = self.env["account.dunning.notice.send"].sudo()
        sent, problems = Send._check_before_sending(drafts.sudo())
        problems += Send._action_send(sent, sent_on=fields.Date.context_today(self))
        self.env["account.dunning.run.log"]._log_problems(problems)
        return Send._prepare_sent_notification(self, sent, drafts)

    def action_cancel(self):
        """Cancel notices: their invoices go back to the level they had before."""
        if any(notice.state == "cancel" for notice in self):
            raise UserError(_("This notice is already cancelled."))
        self._action_cancel()
        return True

    def action_retry_email(self):
        """Queue again the emails that failed or bounced, e.g. after fixing the
        template, the mail server or the address."""
        self.env["account.dunning.notice.send"]._queue_emails(
            self.filtered(lambda notice: notice.email_state in EMAIL_RETRY_STATES)
        )
        return True

    def action_retry_sms(self):
        """Send again the text messages that failed, or had no valid number, e.g.
        after fixing the number or buying credits."""
        self.env["account.dunning.notice.sms"]._action_retry(self)
        return True

    def action_retry_post(self):
        """Post again the letters that could not be posted (snailmail's retry)."""
        self.env["account.dunning.notice.post"]._action_retry(self)
        return True

    def action_reprint_letter(self):
        """Download the letter as it was printed: the PDF kept on the notice."""
        self.ensure_one()
        kept = self.env["account.dunning.notice.send"]._get_kept_letters(self)
        attachment = self.env["ir.attachment"].browse(kept.get(self.id))
        if not attachment:
            raise UserError(_("No printed letter is kept on %(notice)s.", notice=self.name))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def action_mark_printed(self):
        self.check_access("write")
        # sudo: the letter state is the notice's record of what was done, not a field to edit.
        self.filtered(
            lambda notice: notice.letter_state == "to_print"
        ).sudo().letter_state = "printed"
        return True

    def action_print_letters(self):
        """Render every selected letter waiting to be printed (all of them when
        none is selected), keep each on its notice and the batch as one PDF, mark
        them printed and download them."""
        notices = self.filtered(lambda notice: notice.letter_state == "to_print")
        if not self:
            notices = self.search([("letter_state", "=", "to_print")], order="partner_id, id")
        if not notices:
            raise UserError(_("There is no letter to print."))
        self.env["account.dunning.notice.send"]._action_print_letters(notices)
        # The letters as kept on their notices (not rendered again); the list that
        # asked for them reloads once the PDF is downloaded.
        action = self.env.ref("account_dunning.action_report_dunning_notice").report_action(
            notices, config=False
        )
        action["close_on_report_download"] = True
        return action

    def action_preview_email(self):
        """The email this notice sends, rendered for its customer, before it is sent."""
        self.ensure_one()
        return self.env["account.dunning.notice.send"]._prepare_preview_email_action(self)

    def action_preview_letter(self):
        """The letter as it would print, in the browser, before it is sent."""
        self.ensure_one()
        return self.env["account.dunning.notice.send"]._prepare_preview_letter_action(self)

    def action_view_invoices(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Invoices of %(notice)s", notice=self.name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.line_ids.move_id.ids)],
            "context": {"create": False},
        }

    def _send_error_message(self):
        not_draft = self.filtered(lambda notice: notice.state != "draft")
        if not_draft:
            return _(
                "Only notices waiting to be sent can be sent: %(notices)s.",
                notices=", ".join(not_draft.mapped("name")),
            )
        return False

    # ------------------------------------------------------------
    # BUSINESS METHODS: the customer's page
    # ------------------------------------------------------------

    def _get_portal_payable_moves(self):
        """What the customer pays from the notice's page: those of its invoices that
        are still open today, and its charge invoice if it is open."""
        self.ensure_one()
        if self.state == "cancel":
            return self.env["account.move"]
        return (self.line_ids.move_id | self.charge_move_id).filtered(
            lambda move: (
                move.state == "posted"
                and move.move_type == "out_invoice"
                # A wholly disputed invoice is not asked for: held while it is looked into.
                and move.currency_id.compare_amounts(move.dunning_amount_undisputed, 0) > 0
            )
        )

    def _get_portal_payable_amount(self):
        """What the page asks, computed now by the server: the open amount of those
        invoices, without what open disputes hold back, less the customer's credits."""
        self.ensure_one()
        return self._get_portal_payable_breakdown()["amount"]

    def _get_portal_payable_breakdown(self):
        """The page's sum (see account.move._get_dunning_payable_breakdown)."""
        self.ensure_one()
        return self._get_portal_payable_moves()._get_dunning_payable_breakdown(
            self.company_id, self.partner_id, self.currency_id
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS: what a notice asks
    # ------------------------------------------------------------

    def _create_charges(self):
        """The charges of these new notices (account.dunning.charge); the notices
        remember a level fee left out for a missing rate. Returns the problems."""
        _charges, warnings, left_out = self.env["account.dunning.charge"]._create_for_notices(self)
        # sudo: what the notice could not charge is the server's record.
        (self - left_out).filtered("fee_left_out").sudo().fee_left_out = False
        left_out.sudo().fee_left_out = True
        return [("warning", notice, message) for notice, message in warnings.items()]

    # ------------------------------------------------------------
    # BUSINESS METHODS: cancellation
    # ------------------------------------------------------------

    def _action_cancel(self):
        if any(notice.charge_move_id and not notice.charges_waived for notice in self):
            raise UserError(_("The charges of this notice are invoiced: waive them first."))
        self.check_access("write")
        # sudo: cancelling undoes what the run wrote (charges, levels, state), which no
        # user writes by hand; the access to the notices was checked above.
        notices = self.sudo()
        notices.charge_ids.filtered(lambda charge: not charge.charge_move_id).unlink()
        lines = notices.line_ids.filtered("dunned")
        for line in lines:
            move = line.move_id
            # Only roll back an invoice that is still at the level of this notice.
            if move.dunning_level_id == line.level_id:
                move.write(
                    {"dunning_level_id": line.previous_level_id.id, "last_dunning_date": False}
                )
        lines.write({"dunned": False})
        notices.activity_id.unlink()
        notices.write({"state": "cancel"})
        for notice in self:
            notice.message_post(body=_("Notice cancelled: its invoices are back at their level."))

    # ------------------------------------------------------------
    # BUSINESS METHODS: delivery
    # ------------------------------------------------------------

    @api.model
    def _cron_send_dunning_emails(self):
        self.env["account.dunning.notice.send"]._send_pending()

    def _message_receive_bounce(self, email, partner):
        reason = self.env._("Bounced by %(email)s", email=email)
        # sudo: the delivery state is a fact of the mail gateway, not a user input.
        self.sudo().write({"email_state": "bounced", "email_failure_reason": reason})
        return super()._message_receive_bounce(email, partner)

    def message_update(self, msg_dict, update_vals=None):
        # A customer's answer to a reminder: in its history, and a task for its collector.
        problems = self.env["account.dunning.notice.reply"]._action_receive(self, msg_dict)
        self.env["account.dunning.run.log"]._log_problems(problems)
        return super().message_update(msg_dict, update_vals=update_vals)

    # ------------------------------------------------------------
    # BUSINESS METHODS: misc
    # ------------------------------------------------------------

    def _get_letter_lang(self):
        """The customer's language, else the company's, else English."""
        self.ensure_one()
        return self.partner_id.lang or self.company_id.partner_id.lang or "en_US"

    @api.model
    def _dunning_protected_fields(self):
        return set(NOTICE_SERVER_FIELDS)

    @api.model
    def _dunning_field_group(self, field_name):
        return None
