from markupsafe import Markup

from odoo import api, fields, models

from .mail_activity import DUNNING_REPLY_TYPE


class AccountDunningNoticeReply(models.AbstractModel):
    """The replies that come back to notices' emails: Odoo's mail gateway routes
    them to the notice (the reply-to and references of its email, see
    account.dunning.notice.send._set_reply_to), and they reach the collector."""

    _name = "account.dunning.notice.reply"
    _description = "Dunning Notice Replies"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _action_receive(self, notices, msg_dict):
        """A customer answered the email of `notices` (`msg_dict`: the reply as Odoo's
        mail gateway parsed it, see mail.thread.message_update): it goes in the
        customer's history, and the collector gets an activity to answer it, one
        while it is open. Returns the problems: nobody to answer it."""
        notices.check_access("write")
        self.env["account.dunning.event"]._record_replies(notices, msg_dict)
        problems = []
        for notice in notices:
            collector = notice.level_id.policy_id._get_collector(notice.company_id, notice.user_id)
            if not collector:
                problems.append(("warning", notice, self._get_no_collector_message(notice)))
                continue
            note = self.env._(
                "%(notice)s: %(sender)s wrote “%(subject)s”",
                notice=notice.name,
                sender=msg_dict.get("email_from") or "",
                subject=msg_dict.get("subject") or "",
            )
            activity = self._get_open_reply_activity(notice.partner_id)
            if activity:
                activity.note = Markup("%s<br/>%s") % (activity.note or "", note)
                continue
            notice.partner_id.activity_schedule(
                DUNNING_REPLY_TYPE,
                date_deadline=fields.Date.context_today(self),
                summary=self.env._("Customer replied: %(notice)s", notice=notice.name),
                note=note,
                user_id=collector.id,
            )
        return problems

    @api.model
    def _get_open_reply_activity(self, partner):
        """The activity to answer `partner`'s replies, while it is not done."""
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", partner._name),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.env.ref(DUNNING_REPLY_TYPE).id),
            ],
            limit=1,
        )

    @api.model
    def _get_no_collector_message(self, notice):
        return self.env._(
            "Nobody to answer the reply of %(partner)s to %(notice)s: set a collector on the"
            " customer, on policy “%(policy)s” or in the settings.",
            partner=notice.partner_id.display_name,
            notice=notice.name,
            policy=notice.level_id.policy_id.name,
        )
