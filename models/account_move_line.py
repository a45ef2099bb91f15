from odoo import _, models
from odoo.exceptions import AccessError


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def write(self, vals):
        if "sale_line_ids" not in vals or self.env.is_superuser():
            return super().write(vals)
        # A posted invoice linked to an order's down payment would count as its
        # deposit received: only Odoo's own invoicing of the order makes such links.
        posted = self.filtered(lambda line: line.parent_state == "posted")
        before = {line: line.sale_line_ids.filtered("is_downpayment") for line in posted}
        result = super().write(vals)
        if any(line.sale_line_ids.filtered("is_downpayment") != before[line] for line in posted):
            raise AccessError(
                _("Posted invoice lines cannot be linked to down-payment lines by hand.")
            )
        return result
