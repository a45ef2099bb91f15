from odoo import fields, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    dunning_notice_id = fields.Many2one(
        comodel_name="account.dunning.notice",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        help="The reminder paid from its customer page.",
    )

    def _post_process(self):
        # Odoo creates the payment and reconciles it with the transaction's invoices;
        # then the reminder is marked paid and the ladder stops for those invoices.
        result = super()._post_process()
        self.filtered(
            lambda tx: tx.state == "done" and tx.dunning_notice_id
        ).dunning_notice_id._action_paid_online()
        return result
