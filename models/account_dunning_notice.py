import logging
from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module
from odoo.tools import SQL, split_every

_logger = logging.getLogger(__name__)


class MissingExchangeRate(UserError):
    """A charge would be converted through a currency without any exchange rate: it
    is left out of its notice, which still goes out (see _check_currency_rates)."""

    def __init__(self, message, currencies):
        super().__init__(message)
        self.currencies = currencies


NOTICE_STATES = [
    ("draft", "To Send"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("cancel", "Cancelled"),
]
EMAIL_STATES = [
    ("none", "None"),
    ("pending", "Waiting"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("bounced", "Bounced"),
    ("fallback", "No address: letter instead"),
    ("failed", "Failed"),
]
# An email was queued for the notice (delivered or not).
EMAILED_STATES = ("pending", "queued", "sent", "bounced", "failed")
# The email did not reach the customer: it can be sent again.
EMAIL_RETRY_STATES = ("failed", "bounced")
LETTER_STATES = [("none", "None"), ("to_print", "To Print"), ("printed", "Printed")]
ACTIVITY_STATES = [("none", "None"), ("created", "Created")]
# What a notice states and did: written by the run and the notice's actions alone.
NOTICE_SERVER_FIELDS = (
    "name",
    "company_id",
    "run_id",
    "partner_id",
    "currency_id",
    "level_id",
    "date",
    "payment_deadline",
    "state",
    "email_state",
    "email_failure_reason",
    "letter_state",
    "activity_state",
    "activity_id",
    "amount_residual",
    "amount_dunned",
    "invoice_count",
    "charge_move_id",
    "charges_waived",
    "charge_waiver_reason",
    "charge_refund_id",
    "letter_qr_error",
    "fee_left_out",
    "amount_credits",
    "paid_online",
)


class AccountDunningNotice(models.Model):
    _name = "account.dunning.notice"
    _inherit = ["portal.mixin", "mail.thread", "account.dunning.mixin"]
    _description = "Dunning Notice"
    _order = "date desc, id desc"
    _check_company_auto = True

    # Emails rendered per savepoint, and per commit in the scheduled job.
    _email_batch_size = 100

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
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id"))
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_company(company or self.env.company)
                    .next_by_code("account.dunning.notice")
                    or "/"
                )
        return super().create(vals_list)

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
        """Send notices held for a human check (levels that are not automatic), one
        or a selection: each is checked again as it leaves; those not waiting to be
        sent, or whose debt was paid meanwhile, are reported, not sent."""
        self.check_access("write")
        drafts = self.filtered(lambda notice: notice.state == "draft")
        if not drafts:
            raise UserError(self._send_error_message())
        # sudo: sending writes what no user writes by hand (state, charge invoice,
        # escalation); who may send is checked above and by the access rights.
        sent = drafts.sudo()._refresh_before_sending()
        sent._action_send(sent_on=fields.Date.context_today(self))
        skipped = self - sent
        if not skipped:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._(
                    "%(sent)s of %(count)s notices sent", sent=len(sent), count=len(self)
                ),
                "message": "\n".join(
                    self.env._(
                        "%(notice)s: %(reason)s",
                        notice=notice.name,
                        reason=self.env._("paid in full meanwhile: cancelled")
                        if notice.state == "cancel" and notice in drafts
                        else self.env._("not waiting to be sent"),
                    )
                    for notice in skipped
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_cancel(self):
        """Cancel notices: their invoices go back to the level they had before."""
        if any(notice.state == "cancel" for notice in self):
            raise UserError(_("This notice is already cancelled."))
        self._action_cancel()
        return True

    def action_retry_email(self):
        """Queue again the emails that failed or bounced, e.g. after fixing the
        template, the mail server or the address."""
        self.filtered(
            lambda notice: notice.email_state in EMAIL_RETRY_STATES
        )._queue_dunning_emails()
        return True

    def action_reprint_letter(self):
        """Download the letter as it was printed: the PDF kept on the notice."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].browse(self._get_kept_letters().get(self.id))
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
        notices._action_print_letters()
        # The letters as kept on their notices (not rendered again); the list that
        # asked for them reloads once the PDF is downloaded.
        action = self.env.ref("account_dunning.action_report_dunning_notice").report_action(
            notices, config=False
        )
        action["close_on_report_download"] = True
        return action

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
                and move.currency_id.compare_amounts(
                    move.amount_residual, move.dunning_disputed_amount
                )
                > 0
            )
        )

    def _get_portal_payable_amount(self):
        """What the page asks, computed now by the server: the open amount of those
        invoices, without what open disputes hold back, less the customer's credits."""
        self.ensure_one()
        return self._get_portal_payable_breakdown()["amount"]

    def _get_portal_payable_breakdown(self):
        """The page's sum, from the open invoices to the amount to pay (see
        account.move._get_dunning_payable_breakdown)."""
        self.ensure_one()
        return self._get_portal_payable_moves()._get_dunning_payable_breakdown(
            self.company_id, self.partner_id, self.currency_id
        )

    def _action_paid_online(self):
        """A payment from these notices' pages is done: Odoo created it and reconciled
        it with their invoices. The notices say so, and the notices of those invoices
        still waiting for their check are read again now (cancelled when paid), not
        at the next run; queued emails are read again as they leave."""
        for notice in self.filtered(lambda notice: not notice.paid_online):
            transactions = notice.transaction_ids.filtered(lambda tx: tx.state == "done")
            # sudo: what the payment provider confirmed, not a user's input.
            notice.sudo().paid_online = True
            notice.message_post(
                body=self.env._(
                    "Paid online: %(amount)s (%(references)s).",
                    amount=notice.currency_id.format(sum(transactions.mapped("amount"))),
                    references=", ".join(transactions.mapped("reference")),
                )
            )
        waiting = self.search(
            [("state", "=", "draft"), ("line_ids.move_id", "in", self.line_ids.move_id.ids)]
        )
        waiting._refresh_before_sending()

    # ------------------------------------------------------------
    # BUSINESS METHODS: created by a run
    # ------------------------------------------------------------

    @api.model
    def _create_for_run(self, run, rows, statements):
        """The notices of `run` for invoice `rows` that moved up: one per customer,
        currency and level. The highest notice of a customer and currency also lists
        its other overdue invoices (`statements`). Lines go in with one INSERT."""
        groups = defaultdict(list)
        for row in rows:
            groups[row["partner_id"], row["currency_id"], row["level_id"]].append(row)
        levels = self.env["account.dunning.level"].browse({key[2] for key in groups})
        rank_of = {level.id: level._get_rank() for level in levels}
        highest = {}
        for partner_id, currency_id, level_id in groups:
            current = highest.get((partner_id, currency_id))
            if current is None or rank_of[level_id] > rank_of[current]:
                highest[partner_id, currency_id] = level_id
        partners = (
            self.env["res.partner"].with_company(run.company_id).browse({key[0] for key in groups})
        )
        recipients = self._get_recipients(partners)
        # Read once for the batch: a company-dependent field, read per record, costs a query.
        collectors = {partner.id: partner.dunning_responsible_id.id for partner in partners}
        names = self._get_next_names(run.company_id, run.date, len(groups))
        vals_list, notice_lines = [], []
        for name, ((partner_id, currency_id, level_id), group_rows) in zip(
            names, groups.items(), strict=True
        ):
            lines = [(row, True) for row in group_rows]
            if highest[partner_id, currency_id] == level_id:
                lines += [
                    (row, False)
                    for (p_id, c_id, l_id), other_rows in groups.items()
                    if (p_id, c_id) == (partner_id, currency_id) and l_id != level_id
                    for row in other_rows
                ]
                lines += [(row, False) for row in statements.get((partner_id, currency_id), [])]
            notice_lines.append(lines)
            vals_list.append(
                {
                    **self._prepare_run_notice_values(
                        run, levels.browse(level_id), group_rows, lines
                    ),
                    "name": name,
                    "partner_id": partner_id,
                    "recipient_id": recipients[partner_id].id,
                    "user_id": collectors[partner_id],
                    "currency_id": currency_id,
                }
            )
        # The run is the record of creation: no "created" message nor follower per notice.
        notices = self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
            vals_list
        )
        notices._insert_lines(notice_lines)
        notices._set_credits()
        return notices

    @api.model
    def _prepare_run_notice_values(self, run, level, dunned_rows, lines):
        """What a notice of `run` at `level` states: the invoices that reached the
        level (`dunned_rows`) and every invoice it lists (`lines`)."""
        return {
            "company_id": run.company_id.id,
            "run_id": run.id,
            "level_id": level.id,
            "date": run.date,
            "payment_deadline": fields.Date.add(run.date, days=level.payment_deadline_days)
            if level.payment_deadline_days
            else False,
            "amount_residual": sum(row["amount_residual"] for row, _dunned in lines),
            "amount_dunned": sum(row["amount_residual"] for row in dunned_rows),
            "invoice_count": len(lines),
        }

    @api.model
    def _get_recipients(self, partners):
        """Per customer id: its latest invoice contact with an email, else the customer."""
        contacts = self.env["res.partner"].search(
            [("parent_id", "in", partners.ids), ("type", "=", "invoice"), ("email", "!=", False)],
            order="id desc",
        )
        recipients = {partner.id: partner for partner in partners}
        recipients.update({contact.parent_id.id: contact for contact in contacts})
        return recipients

    @api.model
    def _get_next_names(self, company, date, count):
        """`count` references from the notice sequence, looked up once."""
        # sudo: drawing numbers from the sequence is not a right of its own.
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", "account.dunning.notice"),
                    ("company_id", "in", (company.id, False)),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return ["/"] * count
        if not sequence.use_date_range:
            return [sequence._next() for _index in range(count)]
        date_range = self.env["ir.sequence.date_range"].sudo().search(
            [
                ("sequence_id", "=", sequence.id),
                ("date_from", "<=", date),
                ("date_to", ">=", date),
            ],
            limit=1,
        ) or sequence._create_date_range_seq(date)
        date_range = date_range.with_context(ir_sequence_date_range=date_range.date_from)
        if sequence.implementation != "standard":
            return [date_range._next() for _index in range(count)]
        # A standard sequence is a PostgreSQL sequence named as ir.sequence names it:
        # draw the whole block in one query.
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}_{date_range.id:03d}",
                count,
            )
        )
        return [
            date_range.sequence_id.get_next_char(number) for (number,) in self.env.cr.fetchall()
        ]

    def _insert_lines(self, notice_lines):
        """Insert the lines of these notices with one statement: thousands per batch.
        `notice_lines`: per notice, its (invoice row, dunned) pairs."""
        columns = defaultdict(list)
        for notice, lines in zip(self, notice_lines, strict=True):
            for row, dunned in lines:
                columns["notice_id"].append(notice.id)
                columns["move_id"].append(row["move_id"])
                columns["dunned"].append(dunned)
                columns["level_id"].append(row["level_id"] if dunned else None)
                columns["previous_level_id"].append(
                    (row.get("previous_level_id") or None) if dunned else None
                )
                columns["amount_total"].append(row["amount_total"])
                columns["amount_residual"].append(row["amount_residual"])
                columns["invoice_date"].append(row["invoice_date"])
                columns["invoice_date_due"].append(row["invoice_date_due"])
                columns["days_overdue"].append(max(row["days_late"], 0))
                columns["currency_id"].append(notice.currency_id.id)
                columns["company_id"].append(notice.company_id.id)
                columns["date"].append(notice.date)
        if not columns:
            return
        Line = self.env["account.dunning.notice.line"]
        Line.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO account_dunning_notice_line (
                    notice_id, move_id, dunned, level_id, previous_level_id, amount_total,
                    amount_residual, invoice_date, invoice_date_due, days_overdue, currency_id,
                    company_id, date, create_uid, create_date, write_uid, write_date)
                SELECT line.*, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM UNNEST(
                    %(notice_id)s::int[], %(move_id)s::int[], %(dunned)s::bool[],
                    %(level_id)s::int[], %(previous_level_id)s::int[],
                    %(amount_total)s::numeric[], %(amount_residual)s::numeric[],
                    %(invoice_date)s::date[], %(invoice_date_due)s::date[],
                    %(days_overdue)s::int[], %(currency_id)s::int[], %(company_id)s::int[],
                    %(date)s::date[]) AS line
                """,
                uid=self.env.uid,
                **columns,
            )
        )
        Line.invalidate_model()
        self.invalidate_recordset(["line_ids"])

    # ------------------------------------------------------------
    # BUSINESS METHODS: sending
    # ------------------------------------------------------------

    def _action_send(self, sent_on=None):
        """Send these notices through the channels of their level: emails (a letter
        when the email cannot go), letters to print, call activities, escalations;
        then invoice their charges and mark them sent. Sent on `sent_on` (a held
        notice sent by hand): its payment deadline counts from that day."""
        if sent_on:
            for notice in self.filtered(lambda notice: notice.level_id.payment_deadline_days):
                notice.payment_deadline = fields.Date.add(
                    sent_on, days=notice.level_id.payment_deadline_days
                )
        emailed = self.filtered(lambda notice: notice.level_id.send_email)
        no_template = emailed.filtered(lambda notice: not notice.level_id.mail_template_id)
        no_address = (emailed - no_template).filtered(lambda notice: not notice.recipient_id.email)
        fallbacks = {
            notice: self.env._(
                "No email template on level “%(level)s”: %(notice)s goes out as a letter.",
                level=notice.level_id.name,
                notice=notice.name,
            )
            for notice in no_template
        }
        fallbacks.update(
            {
                notice: self.env._(
                    "No email address for %(partner)s: %(notice)s goes out as a letter.",
                    partner=notice.recipient_id.display_name,
                    notice=notice.name,
                )
                for notice in no_address
            }
        )
        self.env["account.dunning.run.log"]._log_notices("fallback", fallbacks)
        (no_template | no_address).email_state = "fallback"
        # Rendering waits for the email job, which feeds Odoo's mail queue in batches.
        (emailed - no_template - no_address)._queue_dunning_emails()
        letters = self.filtered(lambda notice: notice.level_id.send_letter)
        (letters | no_template | no_address).letter_state = "to_print"
        self.filtered(lambda notice: notice.level_id.create_activity)._action_create_activities()
        self.filtered(lambda notice: notice.level_id.send_statement)._action_send_statements()
        self._action_escalate()
        self._action_invoice_charges()
        self.state = "sending"
        self._record_events()
        self._update_delivery_state()

    def _refresh_before_sending(self):
        """Read these notices' debt again as they leave: paid invoices drop out,
        part-paid ones show what is left, charges not invoiced yet follow, a letter
        kept before is rendered again. A notice whose dunned invoices are all paid is
        cancelled with the reason (its email not sent) instead. Returns the notices
        still to send."""
        gone, changed = self.browse(), self.browse()
        for notice in self:
            currency = notice.currency_id
            owed = {
                move: move.amount_residual - move.dunning_disputed_amount
                for move in notice.line_ids.move_id
            }
            paid = notice.line_ids.filtered(
                lambda line, owed=owed, currency=currency: (
                    not line.move_id.dunning_open
                    or currency.compare_amounts(owed[line.move_id], 0) <= 0
                )
            )
            if not notice.line_ids.filtered("dunned") - paid:
                gone |= notice
                continue
            moved = (notice.line_ids - paid).filtered(
                lambda line, owed=owed, currency=currency: currency.compare_amounts(
                    line.amount_residual, owed[line.move_id]
                )
            )
            if not (paid or moved):
                continue
            changed |= notice
            paid.unlink()
            for line in moved:
                line.amount_residual = owed[line.move_id]
            notice.write(
                {
                    "amount_residual": sum(notice.line_ids.mapped("amount_residual")),
                    "amount_dunned": sum(
                        notice.line_ids.filtered("dunned").mapped("amount_residual")
                    ),
                    "invoice_count": len(notice.line_ids),
                }
            )
            notice.message_post(
                body=self.env._(
                    "Checked as it leaves: %(amount)s now due (payments received since it was"
                    " made).",
                    amount=currency.format(notice.amount_residual),
                )
            )
        if changed:
            # Charges follow only while the notice waits to be sent: once sent, they
            # were invoiced with it (or there were none), and stay as they left.
            uninvoiced = changed.filtered(
                lambda notice: notice.state == "draft" and not notice.charge_move_id
            )
            uninvoiced.charge_ids.unlink()
            self.env["account.dunning.charge"]._create_for_notices(uninvoiced)
            kept = changed._get_kept_letters()
            self.env["ir.attachment"].browse(list(kept.values())).unlink()
        gone._cancel_paid()
        (self - gone)._set_credits()
        covered = (self - gone).filtered(
            lambda notice: notice.currency_id.compare_amounts(notice.amount_due, 0) <= 0
        )
        covered._cancel_paid(self.env._("covered by the customer's credits before it was sent"))
        return self - gone - covered

    def _set_credits(self):
        """Net these notices with what their customers hold against their debt (see
        account.move.line._get_dunning_credit_domain): the credits of a customer and
        currency go to its notices from the highest level down, each up to its
        open amount, so that no credit is counted twice."""
        MoveLine = self.env["account.move.line"]
        for company, notices in self.grouped("company_id").items():
            credits = MoveLine._get_dunning_credits(company, notices.partner_id)
            left = {key: amount for key, (amount, _company_amount) in credits.items()}
            for notice in notices.sorted(lambda notice: notice.level_id._get_rank(), reverse=True):
                key = (notice.partner_id.id, notice.currency_id.id)
                netted = notice.currency_id.round(
                    max(min(left.get(key, 0.0), notice.amount_residual), 0.0)
                )
                if key in left:
                    left[key] -= netted
                if notice.currency_id.compare_amounts(netted, notice.amount_credits):
                    # sudo: what the customer holds is the server's reading, not an input.
                    notice.sudo().amount_credits = netted

    def _cancel_paid(self, reason=None):
        """Not sent: the debt of these notices was paid before they left."""
        reason = reason or self.env._("paid in full before it was sent")
        self.env["account.dunning.run.log"]._log_notices(
            "warning",
            {
                notice: self.env._(
                    "%(notice)s not sent: %(reason)s.", notice=notice.name, reason=reason
                )
                for notice in self
            },
        )
        # The email stays home; charges invoiced already stand (the debt was late).
        # sudo: the email state is the notice's record of what was done.
        self.filtered(
            lambda notice: notice.email_state in ("pending", "queued")
        ).sudo().email_state = "none"
        self.filtered(lambda notice: not notice.charge_move_id)._action_cancel()
        for notice in self:
            notice.message_post(body=self.env._("Not sent: %(reason)s.", reason=reason))

    def _update_delivery_state(self):
        """A notice is sent once something left: its email reached the mail server
        or its letter was printed; one with nothing to deliver (a call) at once."""
        for notice in self.filtered(lambda notice: notice.state == "sending"):
            nothing_to_deliver = (
                notice.email_state in ("none", "fallback") and notice.letter_state == "none"
            )
            if (
                nothing_to_deliver
                or "sent" == notice.email_state
                or (notice.letter_state == "printed")
            ):
                notice.state = "sent"

    def _update_email_delivery(self, failure_type, failure_reason):
        """What Odoo's mail queue says of these notices' emails: sent, or failed
        with its reason (see mail.mail._postprocess_sent_message)."""
        if failure_type:
            self.write({"email_state": "failed", "email_failure_reason": failure_reason})
            for notice in self:
                notice.message_post(
                    body=self.env._(
                        "The email of %(notice)s was not delivered: %(reason)s",
                        notice=notice.name,
                        reason=failure_reason or failure_type,
                    )
                )
            return
        self.write({"email_state": "sent", "email_failure_reason": False})
        self._update_delivery_state()

    def _message_receive_bounce(self, email, partner):
        # sudo: the delivery state is a fact of the mail gateway, not a user input.
        self.sudo().write(
            {
                "email_state": "bounced",
                "email_failure_reason": self.env._("Bounced by %(email)s", email=email),
            }
        )
        return super()._message_receive_bounce(email, partner)

    def _record_events(self):
        """One history entry per notice sent: its channels and its letter."""
        channels = {
            "email": self.env._("email"),
            "letter": self.env._("letter"),
            "call": self.env._("call"),
        }
        vals_list = []
        for notice in self:
            used = [
                label
                for key, label in channels.items()
                if (key == "email" and notice.email_state in EMAILED_STATES)
                or (key == "letter" and notice.letter_state != "none")
                or (key == "call" and notice.activity_id)
            ]
            vals_list.append(
                {
                    "company_id": notice.company_id.id,
                    "partner_id": notice.partner_id.id,
                    "kind": "notice",
                    "date": notice.date,
                    "notice_id": notice.id,
                    "summary": self.env._(
                        "%(notice)s, %(level)s (%(channels)s): %(amount)s",
                        notice=notice.name,
                        level=notice.level_id.name,
                        channels=", ".join(used) or self.env._("record only"),
                        amount=notice.currency_id.format(notice.amount_residual),
                    ),
                }
            )
        self.env["account.dunning.event"]._record(vals_list)

    def _action_create_activities(self):
        """The call activity of each notice, for the user its level names. A notice
        with nobody to call is said on it and in its run's log, never given to the
        system user."""
        callers = {notice: notice.level_id._get_activity_user(notice) for notice in self}
        nobody = self.filtered(lambda notice: not callers[notice])
        self.env["account.dunning.run.log"]._log_notices(
            "warning",
            {
                notice: self.env._(
                    "Nobody to call %(partner)s for %(notice)s: set a collector on the"
                    " customer, on policy “%(policy)s” or in the settings.",
                    partner=notice.partner_id.display_name,
                    notice=notice.name,
                    policy=notice.level_id.policy_id.name,
                )
                for notice in nobody
            },
        )
        notices = self - nobody
        if not notices:
            return self.env["mail.activity"]
        partner_model = self.env["ir.model"]._get_id("res.partner")
        activities = self.env["mail.activity"].create(
            [
                {
                    "res_model_id": partner_model,
                    "res_id": notice.partner_id.id,
                    "activity_type_id": notice.level_id.activity_type_id.id,
                    "summary": self.env._("Dunning call: %(notice)s", notice=notice.name),
                    "note": notice._get_dunning_summary(),
                    "user_id": callers[notice].id,
                    "date_deadline": notice.date,
                    "dunning_call": True,
                }
                for notice in notices
            ]
        )
        for notice, activity in zip(notices, activities, strict=True):
            notice.write({"activity_id": activity.id, "activity_state": "created"})
        return activities

    def _action_send_statements(self):
        """The statement of account of these notices' customers, by email; a customer
        without an address is said on the run's log and gets the letter alone."""
        no_email = self.filtered(lambda notice: not notice.partner_id.email)
        self.env["account.dunning.run.log"]._log_notices(
            "warning",
            {
                notice: self.env._(
                    "No email address for %(partner)s: no statement of account sent with"
                    " %(notice)s.",
                    partner=notice.partner_id.display_name,
                    notice=notice.name,
                )
                for notice in no_email
            },
        )
        (self - no_email).partner_id._action_send_dunning_statement()

    def _action_escalate(self):
        """Put the customers of notices whose level escalates on hold, or with an
        agency or in legal proceedings, and say so on each customer."""
        for notice in self:
            vals = notice.level_id._prepare_escalation_partner_values()
            if not vals:
                continue
            # Set by the ladder, lifted by it once the debt is paid (a hold by hand stays).
            vals["dunning_escalated"] = True
            partner = notice.partner_id.with_company(notice.company_id)
            partner.write(vals)
            message = self.env._(
                "Escalated by dunning notice %(notice)s: %(escalation)s.",
                notice=notice.name,
                escalation=notice.level_id._get_escalation_label(),
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

    # ------------------------------------------------------------
    # BUSINESS METHODS: emails and letters
    # ------------------------------------------------------------

    @api.model
    def _cron_send_dunning_emails(self):
        """Render the emails of notices waiting for them, in batches, into Odoo's mail
        queue. A notice whose email cannot be rendered is marked failed and logged on
        its run and in the customer's chatter; the others go on."""
        notices = self.search([("email_state", "=", "pending")], order="id")
        # Nothing goes to the mail queue for a debt paid since the notice was sent.
        notices = notices._refresh_before_sending().filtered(
            lambda notice: notice.email_state == "pending"
        )
        done = 0
        for template, template_notices in notices.grouped(
            lambda notice: notice.level_id.mail_template_id
        ).items():
            for batch in split_every(self._email_batch_size, template_notices.ids, self.browse):
                try:
                    with self.env.cr.savepoint():
                        batch._send_dunning_emails(template)
                except Exception:  # isolate the notice that fails
                    _logger.info("Dunning email batch failed, retrying one by one", exc_info=True)
                    for notice in batch:
                        notice._send_dunning_email_isolated(template)
                done += len(batch)
                if not module.current_test:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(notices) - done)

    def _send_dunning_email_isolated(self, template):
        try:
            with self.env.cr.savepoint():
                self._send_dunning_emails(template)
        except Exception as error:  # logged on the run and on the customer
            self.sudo().email_state = "failed"  # sudo: a fact of the job, as in _queue
            message = _(
                "The email of dunning notice %(notice)s failed: %(error)s",
                notice=self.name,
                error=error,
            )
            self.env["account.dunning.run.log"]._log_error(self.run_id, self.partner_id, message)

    def _send_dunning_emails(self, template):
        """Render these notices' emails into Odoo's mail queue; returns the mails."""
        # One wkhtmltopdf run renders the batch's letters; each is kept on its notice
        # and attached from there, instead of one run per email.
        for report in template.report_template_ids:
            report._render_qweb_pdf(report, res_ids=self.ids)
        mails = template.send_mail_batch(
            self.ids, email_layout_xmlid="mail.mail_notification_light"
        )
        self.sudo().email_state = "queued"  # sudo: a fact of the job, as in _queue
        return mails

    def _check_queued_emails(self, mails):
        """Odoo's mail queue is about to send `mails`, these notices' emails: the last
        moment to read the debt again. Paid in full, the email stays home and the
        notice is cancelled with the reason (see _refresh_before_sending); part-paid,
        the email is rendered again with what is left and that one leaves instead.
        Returns the mails to send."""
        before = {notice: notice.amount_due for notice in self}
        # A notice cancelled since its email was written sends nothing either.
        still = self.filtered(lambda notice: notice.state != "cancel")._refresh_before_sending()
        # Part-paid or netted since: written again, when its level still has a template.
        changed = still.filtered(
            lambda notice: (
                notice.level_id.mail_template_id
                and notice.currency_id.compare_amounts(notice.amount_due, before[notice])
            )
        )
        stale = mails.filtered(lambda mail: mail.res_id not in (still - changed).ids)
        # sudo: the mail queue's record of why these mails did not leave.
        stale.sudo().write(
            {
                "state": "cancel",
                "failure_reason": self.env._(
                    "Not sent: payments received since it was written (paid in full, or"
                    " written again with what is left)."
                ),
            }
        )
        fresh = mails.browse()
        for template, notices in changed.grouped(
            lambda notice: notice.level_id.mail_template_id
        ).items():
            fresh |= notices._send_dunning_emails(template)
        return mails - stale | fresh

    def _queue_dunning_emails(self):
        if not self:
            return
        self.check_access("write")
        # sudo: the email state is the notice's record of what was done.
        self.sudo().email_state = "pending"
        self.env.ref("account_dunning.ir_cron_dunning_send_emails")._trigger()

    def _send_error_message(self):
        not_draft = self.filtered(lambda notice: notice.state != "draft")
        if not_draft:
            return _(
                "Only notices waiting to be sent can be sent: %(notices)s.",
                notices=", ".join(not_draft.mapped("name")),
            )
        return False

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

    def _action_print_letters(self):
        """One PDF of these letters, kept as an attachment; each letter is also kept
        on its notice (the report's attachment), then marked printed."""
        report = self.env.ref("account_dunning.action_report_dunning_notice")
        content, _report_type = report._render_qweb_pdf(report, res_ids=self.ids)
        attachment = self.env["ir.attachment"].create(
            {
                "name": _("Dunning letters %(date)s.pdf", date=fields.Date.context_today(self)),
                "type": "binary",
                "raw": content,
                "mimetype": "application/pdf",
            }
        )
        self.check_access("write")
        notices = self.sudo()  # sudo: the record of what was done
        notices.letter_state = "printed"
        notices._update_delivery_state()
        kept = self._get_kept_letters()
        self.env["account.dunning.event"]._record(
            [
                {
                    "company_id": notice.company_id.id,
                    "partner_id": notice.partner_id.id,
                    "kind": "letter",
                    "notice_id": notice.id,
                    "attachment_id": kept.get(notice.id, False),
                    "summary": self.env._("Letter %(notice)s printed", notice=notice.name),
                }
                for notice in self
            ]
        )
        body = _("Letter printed (batch of %(count)s).", count=len(self))
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))
        return attachment

    def _get_kept_letters(self):
        """{notice id: id of its letter's PDF as the report kept it}, for those kept."""
        attachments = self.env["ir.attachment"].search_read(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            ["res_id"],
            order="id",
        )
        return {attachment["res_id"]: attachment["id"] for attachment in attachments}

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

    def _get_dunning_summary(self):
        """One line that a collector reads in an activity or a log."""
        self.ensure_one()
        return _(
            "%(customer)s: %(count)s overdue invoice(s), %(amount)s in total (%(level)s)",
            customer=self.partner_id.display_name,
            count=self.invoice_count,
            amount=self.currency_id.format(self.amount_residual),
            level=self.level_id.name,
        )

    def _to_notice_currency(self, amount, from_currency, rated):
        """`amount` in `from_currency` converted to this notice's currency on its date,
        only at a recorded exchange rate (`rated`: see _get_rated_currency_ids)."""
        self.ensure_one()
        self._check_currency_rates(from_currency, rated)
        return from_currency._convert(amount, self.currency_id, self.company_id, self.date)

    @api.model
    def _get_rated_currency_ids(self, companies):
        """{company id: ids of the currencies that have an exchange rate there}, in
        one query for a batch."""
        roots = companies.root_id
        groups = self.env["res.currency.rate"]._read_group(
            [("company_id", "in", [False, *roots.ids])], ["company_id", "currency_id"]
        )
        shared = {currency.id for company, currency in groups if not company}
        return {
            company.id: shared
            | {currency.id for root, currency in groups if root == company.root_id}
            for company in companies
        }

    def _check_currency_rates(self, currencies, rated):
        """Raise MissingExchangeRate when an amount in `currencies` would be converted
        to this notice's currency through a currency without any rate recorded: Odoo
        would convert it at 1:1, a 5 USD fee becoming 5 VES."""
        self.ensure_one()
        company = self.company_id
        if not currencies or currencies == self.currency_id:
            return
        missing = ((currencies | self.currency_id) - company.currency_id).filtered(
            lambda currency: currency.id not in rated[company.id]
        )
        if missing:
            raise MissingExchangeRate(self._get_missing_rate_message(missing), missing)

    def _get_missing_rate_message(self, currencies, charge=None):
        """Why `charge` (its description) is left out of this notice, and what to do."""
        self.ensure_one()
        return self.env._(
            "%(charge)s is left out of this notice: no exchange rate is recorded for"
            " %(currencies)s in %(company)s. Record one dated %(date)s or earlier; the next"
            " notice then charges it, once.",
            charge=charge or self.env._("A charge"),
            currencies=", ".join(currencies.mapped("name")),
            company=self.company_id.name,
            date=self.date,
        )

    def _action_invoice_charges(self):
        """One posted customer invoice per notice for its charges."""
        notices = self.filtered(lambda notice: notice.charge_ids and not notice.charge_move_id)
        # A notice is charged by one invoice, ever: one already made is linked again,
        # never made twice (the database refuses a second one too).
        existing = self.env["account.move"].search(
            [("dunning_charge_notice_id", "in", notices.ids)]
        )
        for move in existing:
            move.dunning_charge_notice_id.charge_move_id = move
        notices -= existing.dunning_charge_notice_id
        if not notices:
            return self.env["account.move"]
        journals = {}
        for company in notices.company_id:
            journals[company.id] = self.env["account.journal"].search(
                [
                    ("type", "=", "sale"),
                    *self.env["account.journal"]._check_company_domain(company),
                ],
                limit=1,
            )
        vals_list = []
        for notice in notices:
            policy = notice.level_id.policy_id
            journal = policy.charge_journal_id or journals[notice.company_id.id]
            if not journal:
                raise UserError(
                    self.env._(
                        "Dunning policy “%(policy)s”: no sales journal for charge invoices.",
                        policy=policy.name,
                    )
                )
            lines = [charge._prepare_invoice_line_values(policy) for charge in notice.charge_ids]
            # Corrections larger than the new charges: a credit note for the difference.
            refund = (
                notice.currency_id.compare_amounts(
                    sum(charge._get_invoiced_amount() for charge in notice.charge_ids), 0
                )
                < 0
            )
            if refund:
                lines = [dict(line, price_unit=-line["price_unit"]) for line in lines]
            vals_list.append(
                {
                    "move_type": "out_refund" if refund else "out_invoice",
                    "partner_id": notice.partner_id.id,
                    "company_id": notice.company_id.id,
                    "journal_id": journal.id,
                    "currency_id": notice.currency_id.id,
                    "invoice_date": notice.date,
                    "invoice_origin": notice.name,
                    "dunning_charge_notice_id": notice.id,
                    "invoice_line_ids": [Command.create(line) for line in lines],
                }
            )
        moves = self.env["account.move"].with_context(tracking_disable=True).create(vals_list)
        moves.action_post()
        for notice, move in zip(notices, moves, strict=True):
            notice.charge_move_id = move
            notice.charge_ids.charge_move_id = move
        return moves
