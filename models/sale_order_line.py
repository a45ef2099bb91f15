from odoo import _, api, models
from odoo.exceptions import AccessError


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("is_downpayment"):
                self._check_down_payment_links(vals)
        return super().create(vals_list)

    def write(self, vals):
        if "is_downpayment" in vals and not self.env.is_superuser():
            raise AccessError(_("A down-payment line is made by the down-payment flow only."))
        if any(line.is_downpayment for line in self):
            self._check_down_payment_links(vals)
        return super().write(vals)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _check_down_payment_links(self, vals):
        # A down-payment line's invoices are the deposit received: Odoo's invoicing
        # links them from the invoice side; nobody links an invoice to it by hand.
        if "invoice_lines" in vals and not self.env.is_superuser():
            raise AccessError(
                _("Invoices are linked to down-payment lines by invoicing the order, not by hand.")
            )
