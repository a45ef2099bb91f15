from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

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
            notices.exists()._update_email_delivery(failure_type, reason)
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
