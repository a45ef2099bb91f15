from odoo import fields, models

from .account_dunning_run import LOG_KINDS, SKIP_REASONS


class AccountDunningRunLog(models.Model):
    _name = "account.dunning.run.log"
    _description = "Dunning Run Log"
    _order = "run_id desc, id"

    run_id = fields.Many2one(
        comodel_name="account.dunning.run", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    kind = fields.Selection(selection=LOG_KINDS, required=True)
    reason = fields.Selection(selection=SKIP_REASONS)
    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer", index=True)
    move_id = fields.Many2one(comodel_name="account.move", string="Invoice")
    message = fields.Char()
