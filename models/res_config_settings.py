from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_policy_id = fields.Many2one(
        related="company_id.dunning_policy_id",
        readonly=False,
    )
    deposit_default_percent = fields.Float(
        related="company_id.deposit_default_percent",
        readonly=False,
    )
