from odoo import api, models
from odoo.tools import html2plaintext

# What Odoo's snailmail letter says, as the notice's letter state: a letter
# cancelled (paid before it was posted, or by hand in snailmail) is no letter.
LETTER_POST_STATES = {
    "pending": "to_post",
    "sent": "posted",
    "error": "post_failed",
    "canceled": "none",
}


class AccountDunningNoticePost(models.AbstractModel):
    """The post channel of notices, through Odoo's `snailmail` (IAP): the letter
    kept on the notice is what is posted, once the address passes snailmail's own
    check and the debt was read again; the notice's letter state follows the
    snailmail letter (see snailmail.letter.write)."""

    _name = "account.dunning.notice.post"
    _description = "Dunning Notice Letters by Post"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _action_queue(self, notices):
        """Give `notices`' letters to the job that posts them."""
        if not notices:
            return
        notices.check_access("write")
        # sudo: the letter state is the notice's record of what was done.
        notices.sudo().write(
            {"letter_state": "to_post", "post_failure_reason": False, "snailmail_letter_id": False}
        )
        self.env.ref("account_dunning.ir_cron_dunning_send_emails")._trigger()

    @api.model
    def _action_retry(self, notices):
        """Post again the letters of `notices` that were not posted (the notice's
        Retry): a letter snailmail refused goes back to snailmail's queue, posted by
        its hourly job; a letter never made, for want of an address, is made again
        by ours."""
        notices.check_access("write")
        notices = notices.filtered(lambda notice: notice.letter_state == "post_failed")
        # sudo: the snailmail letter is the notice's, not the collector's to edit.
        refused = notices.sudo().snailmail_letter_id.filtered(
            lambda letter: letter.state in ("error", "canceled")
        )
        refused.write({"state": "pending", "error_code": False})
        refused.notification_ids.write(
            {"notification_status": "ready", "failure_type": False, "failure_reason": False}
        )
        self.env.ref("snailmail.snailmail_print")._trigger()
        self._action_queue(notices.filtered(lambda notice: not notice.snailmail_letter_id))

    @api.model
    def _send_pending(self):
        """Make the snailmail letters of the notices waiting for them, once their
        debt is read again (paid: nothing leaves) and their address passes
        snailmail's check; Odoo's snailmail queue posts them."""
        Send = self.env["account.dunning.notice.send"]
        notices = self.env["account.dunning.notice"].search(
            [("letter_state", "=", "to_post"), ("snailmail_letter_id", "=", False)], order="id"
        )
        notices, problems = Send._check_before_sending(notices)
        notices = notices.filtered(lambda notice: notice.letter_state == "to_post")
        unaddressed = notices.filtered(
            lambda notice: not self.env["snailmail.letter"]._is_valid_address(notice.partner_id)
        )
        problems += self._set_failed(
            unaddressed,
            self.env._("the address is incomplete: street, zip, city and country are needed."),
        )
        problems += self._create_letters(notices - unaddressed)
        self.env["account.dunning.run.log"]._log_problems(problems)

    @api.model
    def _create_letters(self, notices):
        """One snailmail letter per notice, carrying a copy of the letter PDF kept on
        the notice (rendered now, in one batch, for those that have none). Returns
        the problems."""
        if not notices:
            return []
        report = self.env.ref("account_dunning.action_report_dunning_notice")
        kept = self._get_letter_pdfs(notices)
        unrendered = notices.filtered(lambda notice: notice.id not in kept)
        problems = self._set_failed(unrendered, self.env._("its letter could not be rendered."))
        notices -= unrendered
        letters = self.env["snailmail.letter"].create(
            [
                {
                    "model": notice._name,
                    "res_id": notice.id,
                    "partner_id": notice.partner_id.id,
                    "company_id": notice.company_id.id,
                    "report_template": report.id,
                    "user_id": self.env.user.id,
                }
                for notice in notices
            ]
        )
        for notice, letter in zip(notices, letters, strict=True):
            pdf = self.env["ir.attachment"].browse(kept[notice.id])
            letter.attachment_id = pdf.copy({"res_model": letter._name, "res_id": letter.id})
            # sudo: the letter posted is the notice's record of what was done.
            notice.sudo().snailmail_letter_id = letter
        # Odoo's snailmail job posts them (see snailmail.letter._snailmail_print).
        return problems

    @api.model
    def _get_letter_pdfs(self, notices):
        """{notice id: attachment id} of the letters kept on `notices`, those missing
        rendered first, in one batch."""
        Send = self.env["account.dunning.notice.send"]
        kept = Send._get_kept_letters(notices)
        missing = notices.filtered(lambda notice: notice.id not in kept)
        if missing:
            report = self.env.ref("account_dunning.action_report_dunning_notice")
            report._render_qweb_pdf(report, res_ids=missing.ids)
            kept = Send._get_kept_letters(notices)
        return kept

    @api.model
    def _set_failed(self, notices, reason):
        # sudo: the letter state is the notice's record of what was done.
        notices.sudo().write({"letter_state": "post_failed", "post_failure_reason": reason})
        return [
            (
                "warning",
                notice,
                self.env._(
                    "The letter of %(notice)s was not posted: %(reason)s",
                    notice=notice.name,
                    reason=reason,
                ),
            )
            for notice in notices
        ]

    @api.model
    def _check_letters(self, letters):
        """Read the debt again as snailmail is about to post `letters`: a letter whose
        notice was paid is cancelled; one whose debt changed carries its letter
        rendered again. Returns the letters to post."""
        notices = self.env["account.dunning.notice"].search(
            [("snailmail_letter_id", "in", letters.ids), ("state", "!=", "cancel")]
        )
        still, problems = self.env["account.dunning.notice.send"]._check_before_sending(notices)
        self.env["account.dunning.run.log"]._log_problems(problems)
        stale = letters.filtered(lambda letter: letter not in still.snailmail_letter_id)
        stale.cancel()
        # A letter whose debt changed was dropped by the check: the one posted is new.
        kept = self._get_letter_pdfs(still)
        for notice in still:
            letter = notice.snailmail_letter_id
            pdf = self.env["ir.attachment"].browse(kept.get(notice.id))
            if pdf and pdf.checksum != letter.attachment_id.checksum:
                letter.attachment_id = pdf.copy({"res_model": letter._name, "res_id": letter.id})
        return letters - stale

    @api.model
    def _update_delivery(self, notices):
        """What the snailmail letters of `notices` say: posted, or not with the
        reason (snailmail's message)."""
        for notice in notices:
            letter = notice.snailmail_letter_id
            state = LETTER_POST_STATES[letter.state]
            if state == notice.letter_state:
                continue
            reason = state == "post_failed" and (
                html2plaintext(letter.info_msg or "").strip() or letter.error_code
            )
            notice.write({"letter_state": state, "post_failure_reason": reason or False})
            if state == "posted":
                self.env["account.dunning.event"]._record_letters(
                    notice, {notice.id: letter.attachment_id.id}, posted=True
                )
            elif reason:
                notice.message_post(
                    body=self.env._(
                        "The letter of %(notice)s was not posted: %(reason)s",
                        notice=notice.name,
                        reason=reason,
                    )
                )
        self.env["account.dunning.notice.send"]._update_delivery_state(notices)
