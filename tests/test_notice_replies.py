import email
from email.utils import formatdate, make_msgid, parseaddr

from odoo.tests import tagged

from .common import DUE, DunningTestCommon, day, smtp_server

CUSTOMER_EMAIL = "ap@lakeside.example.com"
CUSTOMER = f"Lakeside Joinery <{CUSTOMER_EMAIL}>"
ALIAS_DOMAIN = "lakeside-supplies.example.com"
REPLY_TYPE = "account_dunning.mail_activity_type_dunning_reply"

# A customer's answer, as their mail client sends it back to the reminder.
REPLY = """From: {sender}
To: {to}
Subject: {subject}
Date: {date}
Message-ID: {message_id}
In-Reply-To: {in_reply_to}
References: {in_reply_to}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{body}
"""


@tagged("post_install", "-at_install")
class TestNoticeReplies(DunningTestCommon):
    """A customer who answers a reminder email reaches the collector: the reply is
    on the notice, in the customer's history, and an activity for the collector."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("reply_collector")
        # The company receives email on its own domain (Settings, Alias Domains).
        # sudo: alias domains are the administrator's configuration.
        alias_domain = (
            cls.env["mail.alias.domain"]
            .sudo()
            .create({"name": ALIAS_DOMAIN, "catchall_alias": "catchall", "bounce_alias": "bounce"})
        )
        cls.company.sudo().alias_domain_id = alias_domain
        cls.invoice = cls._create_dunning_invoice(cls.customer, 1200.0, DUE)
        cls.reply_type = cls.env.ref(REPLY_TYPE)

    def _send_reminder(self):
        """A friendly reminder through the real flow: the run, the email job, then
        Odoo's mail queue talking to a real SMTP server. Returns the notice and the
        email as the customer received it."""
        notice = self._run_dunning(day(7)).notice_ids
        self.env.ref("account_dunning.ir_cron_dunning_send_emails").sudo().method_direct_trigger()
        with smtp_server() as (port, inbox), self._smtp(port):
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo().method_direct_trigger()
        received = [
            email.message_from_bytes(envelope.content)
            for envelope in inbox.messages
            if CUSTOMER_EMAIL in envelope.rcpt_tos
        ]
        self.assertEqual(len(received), 1)
        self.assertEqual(notice.email_state, "sent")
        return notice, received[0]

    def _reply(self, reminder, sender=CUSTOMER, subject=None, body=""):
        """The customer's reply to `reminder`, fed to Odoo's mail gateway as a mail
        server delivers it (the gateway runs as the superuser)."""
        raw = REPLY.format(
            sender=sender,
            to=reminder["Reply-To"],
            subject=subject or f"Re: {reminder['Subject']}",
            date=formatdate(),
            message_id=make_msgid(domain="lakeside.example.com"),
            in_reply_to=reminder["Message-Id"],
            body=body,
        )
        self.env["mail.thread"].sudo().message_process(None, raw.encode())

    def _reply_activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("activity_type_id", "=", self.reply_type.id),
            ]
        )

    def _replies(self, notice):
        return self.env["account.dunning.event"].search(
            [("notice_id", "=", notice.id), ("kind", "=", "reply")], order="id"
        )

    def test_a_reply_reaches_the_notice_the_history_and_the_collector(self):
        notice, reminder = self._send_reminder()
        # Replies go to the company's catchall, not to the collector's own mailbox.
        self.assertEqual(parseaddr(reminder["Reply-To"])[1], f"catchall@{ALIAS_DOMAIN}")
        # Kept on the notice (the templates do not delete it): the gateway routes by it.
        self.assertIn(reminder["Message-Id"], notice.message_ids.mapped("message_id"))
        self._reply(reminder, subject="Paid on Friday", body="We paid INV on Friday.")

        message = notice.message_ids.filtered(lambda message: "paid INV on" in message.body)
        self.assertEqual(len(message), 1, "the reply is in the notice's chatter")
        self.assertEqual(message.author_id, self.customer)
        self.assertEqual(message.message_type, "email")

        event = self._replies(notice)
        self.assertEqual(len(event), 1)
        self.assertIn(event, self.customer.dunning_event_ids, "in the customer's history")
        self.assertEqual(event.partner_id, self.customer)
        self.assertIn("Reply from", event.summary)
        self.assertIn(CUSTOMER_EMAIL, event.summary)
        self.assertIn("Paid on Friday", event.summary)
        self.assertFalse(event.user_id, "written by the customer, not by a user")

        activity = self._reply_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn(notice.name, activity.summary)
        self.assertIn("Paid on Friday", activity.note)

    def test_a_second_reply_adds_no_second_activity(self):
        notice, reminder = self._send_reminder()
        self._reply(reminder, subject="Paid on Friday", body="We paid on Friday.")
        self._reply(reminder, subject="Remittance attached", body="Here is the remittance.")
        self.assertEqual(len(self._replies(notice)), 2, "each reply is in the history")
        activity = self._reply_activities()
        self.assertEqual(len(activity), 1, "one activity while it is open")
        self.assertIn("Paid on Friday", activity.note)
        self.assertIn("Remittance attached", activity.note)
        # Once the collector has answered, a new reply is a new task.
        activity.with_user(self.collector).action_done()
        self._reply(reminder, subject="One more thing", body="Please call me.")
        self.assertEqual(len(self._reply_activities()), 1)
        self.assertIn("One more thing", self._reply_activities().note)

    def test_a_reply_from_an_unknown_address_still_lands(self):
        notice, reminder = self._send_reminder()
        sender = "Pat Accounts <pat@lakeside-holding.example.net>"
        self._reply(reminder, sender=sender, body="I look after Lakeside's payables now.")
        message = notice.message_ids.filtered(lambda message: "payables now" in message.body)
        self.assertEqual(len(message), 1)
        self.assertFalse(message.author_id)
        self.assertIn("pat@lakeside-holding.example.net", message.email_from)
        event = self._replies(notice)
        self.assertEqual(len(event), 1)
        self.assertIn("pat@lakeside-holding.example.net", event.summary)
        self.assertEqual(self._reply_activities().user_id, self.collector)

    def test_with_nobody_to_answer_the_reply_is_kept_and_said(self):
        notice, reminder = self._send_reminder()
        self.customer.dunning_responsible_id = False
        notice.sudo().user_id = False  # sudo: the notice's collector is set by the run
        self.policy.default_collector_id = False
        self.company.sudo().dunning_collector_id = False
        self._reply(reminder, body="Who do I talk to?")
        self.assertTrue(notice.message_ids.filtered(lambda message: "talk to" in message.body))
        self.assertEqual(len(self._replies(notice)), 1)
        self.assertFalse(self._reply_activities(), "never given to the system user")
        warning = notice.run_id.log_ids.filtered(
            lambda log: log.kind == "warning" and "Nobody to answer the reply" in log.message
        )
        self.assertEqual(len(warning), 1, "said on the notice's run")
        self.assertEqual(warning.notice_id, notice)
