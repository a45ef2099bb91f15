from odoo.addons.sale.controllers.portal import CustomerPortal


class DepositCustomerPortal(CustomerPortal):
    def _get_payment_values(self, order_sudo, downpayment=False, **kwargs):
        # A quotation waiting for its deposit offers to pay what is missing of it.
        pending = order_sudo.deposit_outstanding
        values = super()._get_payment_values(
            order_sudo, downpayment=downpayment or pending, **kwargs
        )
        if pending:
            values["amount"] = order_sudo.deposit_missing_amount
        return values
