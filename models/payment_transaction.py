from odoo import Command, api, fields, models
from odoo.exceptions import AccessError

from .sale_order import QUOTATION_STATES


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    dunning_notice_id = fields.Many2one(
        comodel_name="account.dunning.notice",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The reminder paid from its customer page.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_dunning_notice_link(vals_list)
        # A quotation's deposit paid online settles its deposit invoice when one was
        # sent: Odoo then reconciles the payment with it, never asking twice.
        for vals in vals_list:
            if vals.get("sale_order_ids") and not vals.get("invoice_ids"):
                invoices = self._get_open_deposit_invoices(vals["sale_order_ids"])
                # The deposit, not more: a payment of the whole order stays the order's.
                if (
                    invoices
                    and invoices.currency_id.compare_amounts(
                        vals.get("amount", 0.0), sum(invoices.mapped("amount_residual"))
                    )
                    <= 0
                ):
                    vals["invoice_ids"] = [Command.set(invoices.ids)]
        return super().create(vals_list)

    def write(self, vals):
        self._check_dunning_notice_link([vals])
        return super().write(vals)

    def _post_process(self):
        # Odoo creates the payment and reconciles it with the transaction's invoices;
        # then the reminder is marked paid and the ladder stops for those invoices,
        # and a quotation whose deposit is now in confirms itself.
        result = super()._post_process()
        done = self.filtered(lambda tx: tx.state == "done")
        done._action_dunning_notices_paid()
        done._confirm_deposit_quotations()
        return result

    def _action_dunning_notices_paid(self):
        """These done payments from reminders' pages: Odoo created them and reconciled
        them with their invoices. The notices say so, and the notices of those invoices
        still waiting for their check are read again now (cancelled when paid), not
        at the next run; queued emails are read again as they leave."""
        notices = self.dunning_notice_id
        for notice in notices.filtered(lambda notice: not notice.paid_online):
            transactions = notice.transaction_ids.filtered(lambda tx: tx.state == "done")
            # sudo: what the payment provider confirmed, not a user's input.
            notice.sudo().paid_online = True
            notice.message_post(
                body=self.env._(
                    "Paid online: %(amount)s (%(references)s).",
                    amount=notice.currency_id.format(sum(transactions.mapped("amount"))),
                    references=", ".join(transactions.mapped("reference")),
                )
            )
        waiting = notices.search(
            [("state", "=", "draft"), ("line_ids.move_id", "in", notices.line_ids.move_id.ids)]
        )
        _still, problems = self.env["account.dunning.notice.send"]._check_before_sending(waiting)
        self.env["account.dunning.run.log"]._log_problems(problems)

    @api.model
    def _get_open_deposit_invoices(self, order_commands):
        """The open deposit invoices of the one quotation `order_commands` link to."""
        orders = self.new({"sale_order_ids": order_commands}).sale_order_ids._origin
        if len(orders) != 1 or orders.state not in QUOTATION_STATES:
            return self.env["account.move"]
        return orders._get_deposit_invoices().filtered(
            lambda move: move.payment_state in ("not_paid", "partial")
        )

    def _confirm_deposit_quotations(self):
        """Confirm the quotations whose deposit these payments completed, whichever
        way it was paid: the quotation's page, its deposit invoice's page, a link."""
        quotations = (
            self.sale_order_ids | self.invoice_ids.invoice_line_ids.sale_line_ids.order_id
        ).filtered(lambda order: order.state in QUOTATION_STATES and order._deposit_applies())
        quotations._refresh_deposit()
        for quotation in quotations:
            if quotation._is_confirmation_amount_reached():
                quotation.with_context(send_email=True).action_confirm()

    @api.model
    def _check_dunning_notice_link(self, vals_list):
        # A reminder's page links its transactions (as superuser): billing users, who
        # may write transactions, cannot mark a reminder paid online by hand.
        if self.env.is_superuser() or not any("dunning_notice_id" in vals for vals in vals_list):
            return
        raise AccessError(
            self.env._("Payment transactions are linked to reminders by their page, not by hand.")
        )
