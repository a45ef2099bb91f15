import logging

from odoo import models

_logger = logging.getLogger(__name__)

# The layout of the addon's emails to customers: Odoo's light layout headed by the
# email's subject or the company, not by "Your <model>".
DUNNING_EMAIL_LAYOUT = "account_dunning.mail_notification_company"


class MailMail(models.Model):
    _inherit = "mail.mail"

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        # A reminder asks for what is owed when it leaves, not when it was written:
        # a payment reconciled since the email job is read again here.
        reminders = self.filtered(
            lambda mail: (
                mail.model == "account.dunning.notice"
                and mail.res_id
                and mail.state == "outgoing"
                and not mail.is_notification
            )
        )
        mails = self - reminders
        # sudo: whoever flushes the queue, the debt is read and its record kept.
        Notice = self.env["account.dunning.notice"].sudo()
        Send = self.env["account.dunning.notice.send"].sudo()
        Log = self.env["account.dunning.run.log"].sudo()
        for res_id, notice_mails in reminders.grouped("res_id").items():
            try:
                # One reminder that cannot be checked never holds up the queue.
                with self.env.cr.savepoint():
                    checked, problems = Send._check_queued_emails(
                        Notice.browse(res_id).exists(), notice_mails
                    )
                    Log._log_problems(problems)
                    mails |= checked
            except Exception:
                _logger.exception("Dunning notice %s: its email could not be checked", res_id)
                mails |= notice_mails
        return super(MailMail, mails).send(
            auto_commit=auto_commit,
            raise_exception=raise_exception,
            post_send_callback=post_send_callback,
        )

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        # A dunning notice's email state follows what really happened to its email,
        # before Odoo deletes the sent mail.
        notice_mails = self.filtered(
            lambda mail: mail.model == "account.dunning.notice" and mail.res_id
        )
        if notice_mails:
            reason = failure_reason or notice_mails[:1].failure_reason
            # sudo: the delivery state is a fact of the mail queue, not a user input.
            notices = (
                self.env["account.dunning.notice"].sudo().browse(notice_mails.mapped("res_id"))
            )
            self.env["account.dunning.notice.send"].sudo()._update_email_delivery(
                notices.exists(), failure_type, reason
            )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
