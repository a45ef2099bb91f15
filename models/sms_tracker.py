from odoo import models


class SmsTracker(models.Model):
    _inherit = "sms.tracker"

    def _update_sms_notifications(self, notification_status, **kwargs):
        res = super()._update_sms_notifications(notification_status, **kwargs)
        # A dunning notice's text message state follows what the SMS service says,
        # when it sends and on its delivery reports.
        messages = self.mail_notification_id.mail_message_id.filtered(
            lambda message: message.model == "account.dunning.notice"
        )
        if messages:
            # sudo: the delivery state is a fact of the SMS service, not a user input.
            self.env["account.dunning.notice.sms"].sudo()._update_delivery(messages)
        return res
