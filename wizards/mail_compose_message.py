from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail(self, auto_commit=False):
        # The composer that Send Statement opened (res.partner): once sent, the
        # statement is on the customers' record and history.
        customers = self.env["res.partner"]
        if self.env.context.get("dunning_statement_sent"):
            for composer in self.filtered(lambda composer: composer.model == "res.partner"):
                customers |= customers.browse(composer._evaluate_res_ids())
            customers._check_dunning_statement_recipients()
        result = super()._action_send_mail(auto_commit=auto_commit)
        if customers:
            customers._record_dunning_statement()
        return result
