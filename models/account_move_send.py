from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_template_id(self, move):
        # A quotation's down-payment invoice is its deposit: its email says so, what
        # it is for and how to pay it, whichever way it is sent.
        if move.move_type == "out_invoice" and move.dunning_awaits_order:
            template = self.env.ref(
                "account_dunning.mail_template_sale_deposit", raise_if_not_found=False
            )
            if template:
                return template
        return super()._get_default_mail_template_id(move)
