from odoo import http
from odoo.http import request

from odoo.addons.sale.controllers.portal import CustomerPortal


class DepositCustomerPortal(CustomerPortal):
    @http.route()
    def home(self, **kw):
        response = super().home(**kw)
        response.qcontext.update(self._prepare_deposit_home_values())
        return response

    def _prepare_deposit_home_values(self):
        """The customer's quotations waiting for their deposit, for the alert of /my
        that says what is due."""
        SaleOrder = request.env["sale.order"]
        if not SaleOrder.has_access("read"):
            return {"deposit_orders": SaleOrder}
        partner = request.env.user.partner_id
        domain = [*self._prepare_quotations_domain(partner), ("deposit_outstanding", "=", True)]
        return {"deposit_orders": SaleOrder.search(domain, order="date_order, id")}

    def _get_payment_values(self, order_sudo, downpayment=False, **kwargs):
        # A quotation waiting for its deposit offers to pay what is missing of it.
        pending = order_sudo.deposit_outstanding
        values = super()._get_payment_values(
            order_sudo, downpayment=downpayment or pending, **kwargs
        )
        if pending:
            values["amount"] = order_sudo.deposit_missing_amount
        return values
