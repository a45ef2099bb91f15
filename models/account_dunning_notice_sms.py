from odoo import api, models
from odoo.tools import split_every

from ..tools.sms import gsm_spaces, sms_parts

# What Odoo's SMS notifications say (mail.notification, kept after the sms.sms is
# deleted), as the notice's text message state: "pending" is "sent to the operator"
# and "sent" is "delivered"; "ready" and "process" have not left yet.
SMS_NOTIFICATION_STATES = {
    "pending": "sent",
    "sent": "sent",
    "exception": "failed",
    "bounce": "failed",
    "canceled": "failed",
}


class AccountDunningNoticeSms(models.AbstractModel):
    """The text message channel of notices, through Odoo's `sms` (IAP): the number
    chosen and checked when the notice leaves, the message rendered and sent by the
    email job after the debt is read again, and its delivery followed from Odoo's
    SMS notifications (see sms.tracker)."""

    _name = "account.dunning.notice.sms"
    _description = "Dunning Notice Text Messages"

    # Text messages rendered and handed to the SMS service per batch.
    _batch_size = 200

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _action_prepare(self, notices):
        """The notices, among `notices` being sent, whose level texts their customer
        (see account.dunning.level._sends_sms), queued for the job or marked why they
        cannot be. Returns (those notices, problems)."""
        texted = notices.filtered(
            lambda notice: notice.level_id._sends_sms(bool(notice.recipient_id.email))
        )
        return texted, self._action_queue(texted)

    @api.model
    def _action_queue(self, notices):
        """Give `notices`' text messages to the job, those with a number that can
        take one; the others say why. Returns the problems."""
        if not notices:
            return []
        notices.check_access("write")
        numbers, problems = self._get_numbers(notices)
        # sudo: the text message state is the notice's record of what was done.
        notices.filtered(lambda notice: notice in numbers).sudo().write(
            {"sms_state": "pending", "sms_failure_reason": False}
        )
        self.env.ref("account_dunning.ir_cron_dunning_send_emails")._trigger()
        return problems

    @api.model
    def _action_retry(self, notices):
        """Queue again the text messages of `notices` that failed or had no valid
        number (the notice's Retry), and say why those that still cannot go."""
        notices.check_access("write")
        failed = notices.filtered(lambda notice: notice.sms_state in ("failed", "no_number"))
        self.env["account.dunning.run.log"]._log_problems(self._action_queue(failed))

    @api.model
    def _get_numbers(self, notices):
        """The numbers `notices` text (see _read_numbers), those not blacklisted; the
        other notices are marked no_number or opted_out with the reason. Returns
        ({notice: (partner, number)}, problems)."""
        read = self._read_numbers(notices.partner_id, notices.company_id[:1])
        chosen = {notice: read[notice.partner_id.id] for notice in notices}
        numbers, problems = {}, []
        for notice, (partner, raw, number, blacklisted) in chosen.items():
            state, reason = self._get_number_problem(partner, raw, number, blacklisted)
            if not state:
                numbers[notice] = (partner, number)
                continue
            # sudo: as in _action_queue.
            notice.sudo().write({"sms_state": state, "sms_failure_reason": reason})
            problems.append(
                (
                    "warning",
                    notice,
                    self.env._(
                        "No text message for %(notice)s: %(reason)s",
                        notice=notice.name,
                        reason=reason,
                    ),
                )
            )
        return numbers, problems

    @api.model
    def _read_numbers(self, customers, company):
        """{customer id: (partner, number as entered, number formatted or False,
        blacklisted)}: the latest invoice contact of each customer with a mobile,
        else the customer's mobile or phone, formatted for its country (E.164,
        Odoo's phone_validation; the company's country when it has none)."""
        contacts = self.env["res.partner"].search(
            [("parent_id", "in", customers.ids), ("type", "=", "invoice"), ("mobile", "!=", False)],
            order="id desc",
        )
        by_customer = {}
        for contact in contacts:
            by_customer.setdefault(contact.parent_id.id, contact)
        read = {}
        for customer in customers:
            partner = by_customer.get(customer.id) or customer
            raw = partner.mobile or partner.phone
            country = partner.country_id or customer.country_id or company.country_id
            read[customer.id] = (
                partner,
                raw,
                raw and partner._phone_format(number=raw, country=country),
            )
        # sudo: the blacklist is technical data of Odoo's phone_validation.
        blacklisted = set(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "in", [number for *_read, number in read.values() if number])])
            .mapped("number")
        )
        return {key: (*value, value[2] in blacklisted) for key, value in read.items()}

    @api.model
    def _get_number_problem(self, partner, raw, number, blacklisted):
        """(state, reason) of a number that cannot take a text message, else
        (False, False)."""
        if not raw:
            return "no_number", self.env._(
                "%(partner)s has no mobile number.", partner=partner.display_name
            )
        if not number:
            return "no_number", self.env._(
                "the number %(number)s of %(partner)s is not a valid phone number for its country.",
                number=raw,
                partner=partner.display_name,
            )
        if blacklisted:
            return "opted_out", self.env._(
                "%(partner)s opted out of text messages (%(number)s is blacklisted).",
                partner=partner.display_name,
                number=number,
            )
        return False, False

    @api.model
    def _send_pending(self):
        """Render and send the text messages waiting for the job, in batches, once
        their debt is read again (paid: nothing leaves)."""
        Send = self.env["account.dunning.notice.send"]
        Log = self.env["account.dunning.run.log"]
        notices = self.env["account.dunning.notice"].search(
            [("sms_state", "=", "pending")], order="id"
        )
        notices, problems = Send._check_before_sending(notices)
        numbers, number_problems = self._get_numbers(
            notices.filtered(lambda notice: notice.sms_state == "pending")
        )
        Log._log_problems(problems + number_problems)
        for batch in split_every(self._batch_size, list(numbers)):
            self._send_batch({notice: numbers[notice] for notice in batch})

    @api.model
    def _send_batch(self, numbers):
        """Post each text message on its notice (Odoo's `_message_sms`, which keeps it
        on record with its delivery state) and hand them all to the SMS service at
        once. `numbers`: {notice: (partner, number)}."""
        messages = self.env["mail.message"]
        texted = self.env["account.dunning.notice"].union(*numbers)
        for template, notices in texted.grouped(
            lambda notice: notice.level_id.sms_template_id
        ).items():
            bodies = template._render_field("body", notices.ids, compute_lang=True)
            for notice in notices:
                partner, number = numbers[notice]
                message = notice._message_sms(
                    self._shorten(notice, bodies[notice.id]),
                    partner_ids=partner.ids,
                    sms_pid_to_number={partner.id: number},
                    put_in_queue=True,
                )
                # sudo: as in _action_queue.
                notice.sudo().sms_message_id = message
                messages |= message
        # sudo: the SMS queue is technical data of Odoo's sms.
        self.env["sms.sms"].sudo().search(
            [("mail_message_id", "in", messages.ids), ("state", "=", "outgoing")]
        ).send(raise_exception=False)

    @api.model
    def _shorten(self, notice, body):
        """`body` in plain spaces, its links shortened (Odoo's link_tracker) when it would run past
        one part: a page link with its access token alone fills half a message."""
        body = gsm_spaces(body)
        if sms_parts(body) <= 1:
            return body
        # sudo: link trackers are marketing data the collector needs no right on.
        return (
            self.env["mail.render.mixin"]
            .sudo()
            ._shorten_links_text(body, {"title": notice.name}, base_url=notice.get_base_url())
        )

    @api.model
    def _update_delivery(self, messages):
        """What Odoo's SMS notifications of `messages` say, on their notices: sent
        (the operator took it), or failed with the reason."""
        notices = self.env["account.dunning.notice"].search(
            [("sms_message_id", "in", messages.ids)]
        )
        labels = dict(
            self.env["mail.notification"]._fields["failure_type"]._description_selection(self.env)
        )
        for notice in notices:
            notification = notice.sms_message_id.notification_ids.filtered(
                lambda notification: notification.notification_type == "sms"
            )[:1]
            state = SMS_NOTIFICATION_STATES.get(notification.notification_status)
            if not state or state == notice.sms_state:
                continue
            reason = state == "failed" and (
                notification.failure_reason
                or labels.get(notification.failure_type)
                or notification.notification_status
            )
            notice.write({"sms_state": state, "sms_failure_reason": reason or False})
            if reason:
                notice.message_post(
                    body=self.env._(
                        "The text message of %(notice)s was not delivered: %(reason)s",
                        notice=notice.name,
                        reason=reason,
                    )
                )
        self.env["account.dunning.notice.send"]._update_delivery_state(notices)
