from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        # A payment may change how its customer pays: refresh the payment behaviour
        # soon, in the background, rather than in the payment's transaction.
        cron = self.env.ref(
            "account_dunning.ir_cron_dunning_refresh_behaviour", raise_if_not_found=False
        )
        if cron:
            # sudo: whoever pays may not read scheduled actions; this only asks for a run.
            cron.sudo()._trigger()
        return partials
