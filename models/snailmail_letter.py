from odoo import models


class SnailmailLetter(models.Model):
    _inherit = "snailmail.letter"

    def write(self, vals):
        res = super().write(vals)
        if "state" in vals:
            # A dunning notice's letter state follows what snailmail did with it.
            # sudo: the delivery state is a fact of snailmail, not a user input.
            notices = (
                self.env["account.dunning.notice"]
                .sudo()
                .search([("snailmail_letter_id", "in", self.ids)])
            )
            if notices:
                self.env["account.dunning.notice.post"].sudo()._update_delivery(notices)
        return res

    def _snailmail_print(self, immediate=True):
        # A reminder asks for what is owed when it leaves: the debt is read again
        # just before snailmail posts the letter (paid: the letter is cancelled).
        dunning = self.filtered(
            lambda letter: letter.model == "account.dunning.notice" and letter.state == "pending"
        )
        if not dunning:
            return super()._snailmail_print(immediate=immediate)
        # sudo: whoever flushes the queue, the debt is read and its record kept.
        kept = self.env["account.dunning.notice.post"].sudo()._check_letters(dunning)
        return super(SnailmailLetter, (self - dunning) | kept)._snailmail_print(immediate=immediate)
