import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module
from odoo.tools import split_every

from .mail_mail import DUNNING_EMAIL_LAYOUT

_logger = logging.getLogger(__name__)


class AccountDunningNoticeSend(models.AbstractModel):
    """How notices leave, as core's account.move.send sends invoices: the channels
    of their level, the last reading of the debt before anything goes, the email job
    that feeds Odoo's mail queue, and the letters printed in batches (text messages:
    account.dunning.notice.sms; post: account.dunning.notice.post; replies:
    account.dunning.notice.reply). Methods take the notices and return what went
    wrong, as (kind, notice, message) problems: the caller records them (see
    account.dunning.run.log._log_problems)."""

    _name = "account.dunning.notice.send"
    _description = "Dunning Notice Sending"

    # Emails rendered per savepoint, and per commit in the scheduled job.
    _email_batch_size = 100

    # ------------------------------------------------------------
    # BUSINESS METHODS: channels
    # ------------------------------------------------------------

    @api.model
    def _action_send(self, notices, sent_on=None):
        """Send `notices` through the channels of their level: emails, text messages,
        letters to print or post (a letter, or a text message, when the email cannot
        go), call activities, statements, escalations; then invoice their charges and
        mark them sent. Sent on `sent_on` (a held notice sent by hand): its payment
        deadline counts from that day."""
        if sent_on:
            for notice in notices.filtered(lambda notice: notice.level_id.payment_deadline_days):
                notice.payment_deadline = fields.Date.add(
                    sent_on, days=notice.level_id.payment_deadline_days
                )
        emailed = notices.filtered(lambda notice: notice.level_id.send_email)
        problems = self._get_email_fallbacks(emailed)
        fallbacks = notices.browse([notice.id for _kind, notice, _message in problems])
        fallbacks.email_state = "fallback"
        # Rendering waits for the email job, which feeds Odoo's mail queue in batches.
        self._queue_emails(emailed - fallbacks)
        texted, sms_problems = self.env["account.dunning.notice.sms"]._action_prepare(notices)
        problems += sms_problems
        # A text message that goes replaces the letter of an email without address.
        letters = notices.filtered(lambda notice: notice.level_id.send_letter)
        letters |= fallbacks - texted.filtered(lambda notice: notice.sms_state == "pending")
        posted = letters.filtered(lambda notice: notice.level_id._posts_letters(notice.company_id))
        (letters - posted).letter_state = "to_print"
        self.env["account.dunning.notice.post"]._action_queue(posted)
        callers = notices.filtered(lambda notice: notice.level_id.create_activity)
        problems += self._action_create_activities(callers)
        problems += self._action_send_statements(
            notices.filtered(lambda notice: notice.level_id.send_statement)
        )
        for notice in notices.filtered(lambda notice: notice.level_id.escalation != "none"):
            partner = notice.partner_id.with_company(notice.company_id)
            notice.level_id._action_escalate(partner, notice)
        for notice, move in self.env["account.dunning.charge"]._action_invoice(notices).items():
            notice.charge_move_id = move
        notices.state = "sending"
        self.env["account.dunning.event"]._record_notices(notices)
        self._update_delivery_state(notices)
        return problems

    @api.model
    def _get_email_fallbacks(self, notices):
        """Emailed `notices` that go out as a letter: no template, or no address."""
        problems = []
        for notice in notices:
            if not notice.level_id.mail_template_id:
                message = self.env._(
                    "No email template on level “%(level)s”: %(notice)s goes out as a letter.",
                    level=notice.level_id.name,
                    notice=notice.name,
                )
            elif not notice.recipient_id.email:
                message = self.env._(
                    "No email address for %(partner)s: %(notice)s goes out as a letter.",
                    partner=notice.recipient_id.display_name,
                    notice=notice.name,
                )
            else:
                continue
            problems.append(("fallback", notice, message))
        return problems

    @api.model
    def _action_create_activities(self, notices):
        """The collection call of each notice, for the user its level names. A notice
        with nobody to call is said, never given to the system user."""
        problems = []
        for notice in notices:
            caller = notice.level_id._get_activity_user(notice.company_id, notice.user_id)
            if not caller:
                problems.append(
                    (
                        "warning",
                        notice,
                        self.env._(
                            "Nobody to call %(partner)s for %(notice)s: set a collector on the"
                            " customer, on policy “%(policy)s” or in the settings.",
                            partner=notice.partner_id.display_name,
                            notice=notice.name,
                            policy=notice.level_id.policy_id.name,
                        ),
                    )
                )
                continue
            activity = notice.partner_id.activity_schedule(
                "account_dunning.mail_activity_type_dunning_call",
                date_deadline=notice.date,
                summary=self.env._("Dunning call: %(notice)s", notice=notice.name),
                note=self._get_call_note(notice),
                user_id=caller.id,
            )
            notice.write({"activity_id": activity.id, "activity_state": "created"})
        return problems

    @api.model
    def _action_send_statements(self, notices):
        """The statement of account of `notices`' customers, by email; a customer
        without an address gets the letter alone, and that is said."""
        no_email = notices.filtered(lambda notice: not notice.partner_id.email)
        (notices - no_email).partner_id._action_send_dunning_statement()
        return [
            (
                "warning",
                notice,
                self.env._(
                    "No email address for %(partner)s: no statement of account sent with"
                    " %(notice)s.",
                    partner=notice.partner_id.display_name,
                    notice=notice.name,
                ),
            )
            for notice in no_email
        ]

    @api.model
    def _prepare_sent_notification(self, notices, sent, drafts):
        """What the user who sent `notices` by hand reads: those not sent, and why."""
        skipped = notices - sent
        if not skipped:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._(
                    "%(sent)s of %(count)s notices sent", sent=len(sent), count=len(notices)
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

    # ------------------------------------------------------------
    # BUSINESS METHODS: the debt read again as notices leave
    # ------------------------------------------------------------

    @api.model
    def _check_before_sending(self, notices):
        """Read `notices`' debt again as they leave: paid invoices drop out, part-paid
        ones show what is left, charges not invoiced yet follow, a letter kept before
        is rendered again. A notice whose dunned invoices are all paid, or whose debt
        the customer's credits cover, is cancelled with the reason instead.
        Returns (the notices still to send, problems)."""
        gone, changed = notices.browse(), notices.browse()
        for notice in notices:
            owed = {move: move.dunning_amount_undisputed for move in notice.line_ids.move_id}
            outcome = self._update_lines_owed(notice, owed)
            if outcome == "paid":
                gone |= notice
            elif outcome == "changed":
                changed |= notice
        problems = []
        if changed:
            # Charges follow only while the notice waits to be sent: once sent, they
            # were invoiced with it (or there were none), and stay as they left.
            uninvoiced = changed.filtered(
                lambda notice: notice.state == "draft" and not notice.charge_move_id
            )
            uninvoiced.charge_ids.unlink()
            problems += uninvoiced._create_charges()
            kept = self._get_kept_letters(changed)
            self.env["ir.attachment"].browse(list(kept.values())).unlink()
        problems += self._cancel_paid(gone)
        self._set_credits(notices - gone)
        covered = (notices - gone).filtered(
            lambda notice: notice.currency_id.compare_amounts(notice.amount_due, 0) <= 0
        )
        problems += self._cancel_paid(
            covered, self.env._("covered by the customer's credits before it was sent")
        )
        return notices - gone - covered, problems

    @api.model
    def _set_credits(self, notices, credits=None):
        """Net `notices` with what their customers hold against their debt (see
        account.move.line._get_dunning_credit_domain): the credits of a customer and
        currency go to its notices from the highest level down, each up to its
        open amount, so that no credit is counted twice. `credits`: for notices of
        one company (a run's), its customers' credits if just read (see
        account.move.line._get_dunning_credits)."""
        if credits is not None and len(notices.company_id) > 1:
            raise ValueError("Credits read for one company net the notices of that company")
        MoveLine = self.env["account.move.line"]
        for company, company_notices in notices.grouped("company_id").items():
            held = credits
            if held is None:
                held = MoveLine._get_dunning_credits(company, company_notices.partner_id)
            left = {key: amount for key, (amount, _company_amount) in held.items()}
            for notice in company_notices.sorted(
                lambda notice: notice.level_id._get_rank(), reverse=True
            ):
                key = (notice.partner_id.id, notice.currency_id.id)
                netted = notice.currency_id.round(
                    max(min(left.get(key, 0.0), notice.amount_residual), 0.0)
                )
                if key in left:
                    left[key] -= netted
                if notice.currency_id.compare_amounts(netted, notice.amount_credits):
                    # sudo: what the customer holds is the server's reading, not an input.
                    notice.sudo().amount_credits = netted

    @api.model
    def _update_lines_owed(self, notice, owed):
        """Read again what each invoice of `notice` owes (`owed`: {invoice: amount}):
        paid invoices drop out, part-paid ones show what is left. Returns "paid" when
        nothing it dunned is owed any more (then nothing is changed), "changed" or
        False."""
        currency = notice.currency_id
        paid = notice.line_ids.filtered(
            lambda line: (
                not line.move_id.dunning_open
                or currency.compare_amounts(owed[line.move_id], 0) <= 0
            )
        )
        if not notice.line_ids.filtered("dunned") - paid:
            return "paid"
        moved = (notice.line_ids - paid).filtered(
            lambda line: currency.compare_amounts(line.amount_residual, owed[line.move_id])
        )
        if not (paid or moved):
            return False
        paid.unlink()
        for line in moved:
            line.amount_residual = owed[line.move_id]
        notice.write(
            {
                "amount_residual": sum(notice.line_ids.mapped("amount_residual")),
                "amount_dunned": sum(notice.line_ids.filtered("dunned").mapped("amount_residual")),
                "invoice_count": len(notice.line_ids),
            }
        )
        notice.message_post(
            body=self.env._(
                "Checked as it leaves: %(amount)s now due (payments received since it was made).",
                amount=currency.format(notice.amount_residual),
            )
        )
        return "changed"

    @api.model
    def _cancel_paid(self, notices, reason=None):
        """Not sent: the debt of `notices` was paid before they left. Returns the
        problems to record."""
        reason = reason or self.env._("paid in full before it was sent")
        # The email stays home; charges invoiced already stand (the debt was late).
        # sudo: the email state is the notice's record of what was done.
        notices.filtered(
            lambda notice: notice.email_state in ("pending", "queued")
        ).sudo().email_state = "none"
        notices.filtered(lambda notice: notice.sms_state == "pending").sudo().sms_state = "none"
        notices.filtered(
            lambda notice: notice.letter_state == "to_post" and not notice.snailmail_letter_id
        ).sudo().letter_state = "none"
        notices.filtered(lambda notice: not notice.charge_move_id)._action_cancel()
        # Said on each notice, and on its run, by the caller that records the problems.
        return [
            (
                "warning",
                notice,
                self.env._("%(notice)s not sent: %(reason)s.", notice=notice.name, reason=reason),
            )
            for notice in notices
        ]

    # ------------------------------------------------------------
    # BUSINESS METHODS: delivery
    # ------------------------------------------------------------

    @api.model
    def _update_delivery_state(self, notices):
        """A notice is sent once something left: its email reached the mail server,
        its text message the SMS service, or its letter was printed or posted; one
        with nothing to deliver (a call, or no channel that could go) at once."""
        for notice in notices.filtered(lambda notice: notice.state == "sending"):
            nothing_to_deliver = (
                notice.email_state in ("none", "fallback")
                and notice.letter_state == "none"
                and notice.sms_state in ("none", "no_number", "opted_out")
            )
            if (
                nothing_to_deliver
                or notice.email_state == "sent"
                or notice.sms_state == "sent"
                or notice.letter_state in ("printed", "posted")
            ):
                notice.state = "sent"

    @api.model
    def _update_email_delivery(self, notices, failure_type, failure_reason):
        """What Odoo's mail queue says of `notices`' emails: sent, or failed with
        its reason (see mail.mail._postprocess_sent_message)."""
        if failure_type:
            notices.write({"email_state": "failed", "email_failure_reason": failure_reason})
            for notice in notices:
                notice.message_post(
                    body=self.env._(
                        "The email of %(notice)s was not delivered: %(reason)s",
                        notice=notice.name,
                        reason=failure_reason or failure_type,
                    )
                )
            return
        notices.write({"email_state": "sent", "email_failure_reason": False})
        self._update_delivery_state(notices)

    # ------------------------------------------------------------
    # BUSINESS METHODS: emails
    # ------------------------------------------------------------

    @api.model
    def _queue_emails(self, notices):
        """Give `notices`' emails to the email job."""
        if not notices:
            return
        notices.check_access("write")
        # sudo: the email state is the notice's record of what was done.
        notices.sudo().email_state = "pending"
        self.env.ref("account_dunning.ir_cron_dunning_send_emails")._trigger()

    @api.model
    def _send_pending(self):
        """The job: emails, text messages and letters to post that wait for it. With
        OCA queue_job installed, the emails go to its jobs, one per batch."""
        if self.env["account.dunning.run.job"]._queue_enabled():
            self.env["account.dunning.document.job"]._enqueue_pending_emails()
        else:
            self._send_pending_emails()
        self.env["account.dunning.notice.sms"]._send_pending()
        self.env["account.dunning.notice.post"]._send_pending()

    @api.model
    def _send_pending_emails(self):
        """Render the emails of notices waiting for them, in batches, into Odoo's mail
        queue. A notice whose email cannot be rendered is marked failed and said on
        its run and in the customer's chatter; the others go on."""
        Log = self.env["account.dunning.run.log"]
        notices = self.env["account.dunning.notice"].search(
            [("email_state", "=", "pending")], order="id"
        )
        # Nothing goes to the mail queue for a debt paid since the notice was sent.
        notices, problems = self._check_before_sending(notices)
        Log._log_problems(problems)
        notices = notices.filtered(lambda notice: notice.email_state == "pending")
        done = 0
        for template, template_notices in notices.grouped(
            lambda notice: notice.level_id.mail_template_id
        ).items():
            for batch in split_every(self._email_batch_size, template_notices.ids, notices.browse):
                self._render_email_batch(batch, template)
                done += len(batch)
                if not module.current_test:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(notices) - done)

    @api.model
    def _render_email_batch(self, notices, template):
        try:
            with self.env.cr.savepoint():
                self._render_emails(notices, template)
        except Exception:  # isolate the notice that fails
            _logger.info("Dunning email batch failed, retrying one by one", exc_info=True)
            for notice in notices:
                self._render_email_isolated(notice, template)

    @api.model
    def _render_email_isolated(self, notice, template):
        try:
            with self.env.cr.savepoint():
                self._render_emails(notice, template)
        except Exception as error:  # said on the run and on the customer
            notice.sudo().email_state = "failed"  # sudo: a fact of the job, as in _queue
            message = self.env._(
                "The email of dunning notice %(notice)s failed: %(error)s",
                notice=notice.name,
                error=error,
            )
            self.env["account.dunning.run.log"]._log_error(
                notice.run_id, notice.partner_id, message
            )

    @api.model
    def _render_emails(self, notices, template):
        """Render `notices`' emails into Odoo's mail queue; returns the mails."""
        # One wkhtmltopdf run renders the batch's letters; each is kept on its notice
        # and attached from there, instead of one run per email.
        for report in template.report_template_ids:
            report._render_qweb_pdf(report, res_ids=notices.ids)
        mails = template.send_mail_batch(notices.ids, email_layout_xmlid=DUNNING_EMAIL_LAYOUT)
        self._set_reply_to(notices, mails)
        notices.sudo().email_state = "queued"  # sudo: a fact of the job, as in _queue
        return mails

    @api.model
    def _set_reply_to(self, notices, mails):
        """A reply must come back to its notice (see account.dunning.notice.reply): a mail
        whose template sets no reply-to gets the notice's, as Odoo gives its own
        messages (_notify_get_reply_to): the company's catchall when it has an alias
        domain. Without one, the reply goes to the sender, the collector."""
        reply_to = notices._notify_get_reply_to()
        for mail in mails.filtered(lambda mail: not mail.reply_to and reply_to.get(mail.res_id)):
            mail.reply_to = reply_to[mail.res_id]

    @api.model
    def _check_queued_emails(self, notices, mails):
        """Odoo's mail queue is about to send `mails`, `notices`' emails: the last
        moment to read the debt again. Paid in full, the email stays home and the
        notice is cancelled with the reason (see _check_before_sending); part-paid,
        the email is rendered again with what is left and that one leaves instead.
        Returns (the mails to send, problems)."""
        before = {notice: notice.amount_due for notice in notices}
        # A notice cancelled since its email was written sends nothing either.
        still, problems = self._check_before_sending(
            notices.filtered(lambda notice: notice.state != "cancel")
        )
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
        for template, template_notices in changed.grouped(
            lambda notice: notice.level_id.mail_template_id
        ).items():
            fresh |= self._render_emails(template_notices, template)
        return mails - stale | fresh, problems

    # ------------------------------------------------------------
    # BUSINESS METHODS: letters
    # ------------------------------------------------------------

    # ------------------------------------------------------------
    # BUSINESS METHODS: previews of a held notice
    # ------------------------------------------------------------

    @api.model
    def _prepare_preview_email_action(self, notice):
        """The email this notice sends, rendered for its customer (Odoo's template
        preview), before anyone sends it."""
        template = notice.level_id.mail_template_id
        if not template:
            raise UserError(
                self.env._("Level “%(level)s” has no email template.", level=notice.level_id.name)
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Email of %(notice)s", notice=notice.name),
            "res_model": "mail.template.preview",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_mail_template_id": template.id,
                "default_resource_ref": f"{notice._name},{notice.id}",
                # The preview renders the attached letter too: it must not be kept on
                # the notice as the letter sent.
                "report_pdf_no_attachment": True,
            },
        }

    @api.model
    def _prepare_preview_letter_action(self, notice):
        """The letter as it would print, in the browser: nothing is kept on the
        notice as the letter sent (see action_report_dunning_notice's attachment)."""
        action = self.env.ref("account_dunning.action_report_dunning_notice").report_action(
            notice, config=False
        )
        action["report_type"] = "qweb-html"
        # Printed from the preview, the PDF is not kept as the letter sent either.
        action["context"] = dict(action.get("context") or {}, report_pdf_no_attachment=True)
        return action

    @api.model
    def _action_print_letters(self, notices):
        """One PDF of these letters, kept as an attachment; each letter is also kept
        on its notice (the report's attachment), then marked printed."""
        report = self.env.ref("account_dunning.action_report_dunning_notice")
        content, _report_type = report._render_qweb_pdf(report, res_ids=notices.ids)
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Dunning letters %(date)s.pdf", date=fields.Date.context_today(self)
                ),
                "type": "binary",
                "raw": content,
                "mimetype": "application/pdf",
            }
        )
        notices.check_access("write")
        notices.sudo().letter_state = "printed"  # sudo: the record of what was done
        self._update_delivery_state(notices.sudo())
        self.env["account.dunning.event"]._record_letters(notices, self._get_kept_letters(notices))
        body = self.env._("Letter printed (batch of %(count)s).", count=len(notices))
        notices._message_log_batch(bodies=dict.fromkeys(notices.ids, body))
        return attachment

    @api.model
    def _get_kept_letters(self, notices):
        """{notice id: id of its letter's PDF as the report kept it}, for those kept."""
        attachments = self.env["ir.attachment"].search_read(
            [
                ("res_model", "=", notices._name),
                ("res_id", "in", notices.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            ["res_id"],
            order="id",
        )
        return {attachment["res_id"]: attachment["id"] for attachment in attachments}

    @api.model
    def _get_call_note(self, notice):
        """One line that a collector reads in the call activity."""
        return self.env._(
            "%(customer)s: %(count)s overdue invoice(s), %(amount)s in total (%(level)s)",
            customer=notice.partner_id.display_name,
            count=notice.invoice_count,
            amount=notice.currency_id.format(notice.amount_residual),
            level=notice.level_id.name,
        )
