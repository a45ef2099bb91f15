from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_policy_id = fields.Many2one(
        related="company_id.dunning_policy_id",
        readonly=False,
    )
    dunning_collector_id = fields.Many2one(
        related="company_id.dunning_collector_id",
        readonly=False,
    )
    dunning_post_letters = fields.Boolean(
        related="company_id.dunning_post_letters",
        readonly=False,
    )
    dunning_new_customer_delay = fields.Integer(
        related="company_id.dunning_new_customer_delay",
        readonly=False,
    )
    deposit_default_percent = fields.Float(
        related="company_id.deposit_default_percent",
        readonly=False,
    )
    dunning_fetch_reference_rates = fields.Boolean(
        string="Read Reference Rates Online",
        compute="_compute_dunning_fetch_reference_rates",
        inverse="_inverse_dunning_fetch_reference_rates",
        help="Every day, record the new ECB, Bundesbank and Bank of England reference rates "
        "from the publishers' statistics services.",
    )

    @api.depends("company_id")
    def _compute_dunning_fetch_reference_rates(self):
        cron = self.env.ref("account_dunning.ir_cron_dunning_fetch_reference_rates", False)
        # sudo: settings are for administrators; the cron record is technical data.
        self.dunning_fetch_reference_rates = bool(cron and cron.sudo().active)

    def _inverse_dunning_fetch_reference_rates(self):
        cron = self.env.ref("account_dunning.ir_cron_dunning_fetch_reference_rates", False)
        if cron:
            cron.sudo().active = self[:1].dunning_fetch_reference_rates
