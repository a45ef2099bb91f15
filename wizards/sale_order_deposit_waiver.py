from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.sale_order import DEPOSIT_OUTSTANDING_STATES, QUOTATION_STATES


class SaleOrderDepositWaiver(models.TransientModel):
    """A deposit manager lets a quotation be confirmed without its deposit, or
    although the customer is on credit hold, for a reason kept on the order."""

    _name = "sale.order.deposit.waiver"
    _description = "Waive Sales Order Deposit"

    order_id = fields.Many2one(comodel_name="sale.order", required=True, readonly=True)
    currency_id = fields.Many2one(related="order_id.currency_id")
    required_amount = fields.Monetary(related="order_id.deposit_required_amount")
    received_amount = fields.Monetary(related="order_id.deposit_received_amount")
    missing_amount = fields.Monetary(related="order_id.deposit_missing_amount")
    credit_hold = fields.Boolean(related="order_id.deposit_credit_hold")
    reason = fields.Text(required=True)

    def action_waive(self):
        self.ensure_one()
        # Checked here too: the wizard's access rights are not the only way in.
        if not self.env.user.has_group("account_dunning.group_deposit_manager"):
            raise AccessError(_("Only deposit managers may waive a deposit or a credit hold."))
        error = self._waive_error_message()
        if error:
            raise UserError(error)
        # The waiver zeroes what is missing: log the figures as they were.
        missing = self.order_id.deposit_missing_amount
        self.order_id.write(self._prepare_waiver_values())
        self._action_waive(missing)
        return {"type": "ir.actions.act_window_close"}

    def _waive_error_message(self):
        if not self.reason or not self.reason.strip():
            return _("Give the reason for the waiver.")
        order = self.order_id
        if order.state not in QUOTATION_STATES:
            return _("%(order)s is no longer a quotation.", order=order.name)
        if order.deposit_state not in DEPOSIT_OUTSTANDING_STATES and not (
            order.deposit_credit_hold and not order.deposit_hold_released
        ):
            return _("%(order)s has no deposit or credit hold to waive.", order=order.name)
        return False

    def _prepare_waiver_values(self):
        order = self.order_id
        values = {
            "deposit_waiver_reason": self.reason.strip(),
            "deposit_waived_by_id": self.env.user.id,
            "deposit_waived_date": fields.Datetime.now(),
        }
        if order.deposit_state in DEPOSIT_OUTSTANDING_STATES:
            values.update(deposit_waived=True, deposit_waived_amount=order.deposit_required_amount)
        if order.deposit_credit_hold:
            values["deposit_hold_released"] = True
        return values

    def _action_waive(self, missing):
        order = self.order_id
        lines = []
        if order.deposit_waived:
            lines.append(
                _(
                    "Deposit waived by %(user)s: %(missing)s missing of %(required)s required."
                    " Reason: %(reason)s",
                    user=self.env.user.name,
                    missing=order.currency_id.format(missing),
                    required=order.currency_id.format(order.deposit_required_amount),
                    reason=self.reason.strip(),
                )
            )
        if order.deposit_hold_released and order.deposit_credit_hold:
            lines.append(
                _(
                    "Credit hold of %(customer)s overridden for this order by %(user)s."
                    " Reason: %(reason)s",
                    customer=order.partner_id.commercial_partner_id.display_name,
                    user=self.env.user.name,
                    reason=self.reason.strip(),
                )
            )
        for body in lines:
            order.message_post(body=body)
