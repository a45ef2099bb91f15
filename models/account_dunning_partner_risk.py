from odoo import api, fields, models

from .account_dunning_behaviour import RISK_CLASSES


class AccountDunningPartnerRisk(models.AbstractModel):
    """How a customer pays the current company, read from its payment behaviour
    (res.partner inherits it; kept apart so the partner's file keeps to the
    ladder). A customer without a behaviour row is new."""

    _name = "account.dunning.partner.risk"
    _description = "Customer Payment Risk"

    dunning_behaviour_ids = fields.One2many(
        comodel_name="account.dunning.behaviour",
        inverse_name="partner_id",
        string="Payment Behaviour",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_days_late_avg = fields.Float(
        string="Average Days Late",
        compute="_compute_dunning_behaviour",
        search="_search_dunning_days_late_avg",
        digits=(16, 1),
        help="Over the invoices paid in the last 12 months, weighted by amount, in the"
        " current company.",
    )
    dunning_risk = fields.Selection(
        selection=RISK_CLASSES,
        string="Payment Risk",
        compute="_compute_dunning_behaviour",
        search="_search_dunning_risk",
        help="The class of the customer's payment behaviour in the current company.",
    )
    dunning_risk_reason = fields.Char(
        string="Payment Risk Reason", compute="_compute_dunning_behaviour"
    )

    @api.depends_context("company")
    def _compute_dunning_behaviour(self):
        rows = self._get_dunning_behaviour()
        for partner in self:
            row = rows.get(partner.commercial_partner_id.id)
            partner.dunning_days_late_avg = row.days_late_avg if row else 0.0
            partner.dunning_risk = row.risk if row else "new"
            partner.dunning_risk_reason = row.risk_reason if row else False

    def _search_dunning_days_late_avg(self, operator, value):
        return [("id", "in", self._search_dunning_behaviour([("days_late_avg", operator, value)]))]

    def _search_dunning_risk(self, operator, value):
        values = {value} if isinstance(value, str) else set(value or ())
        if operator in ("!=", "not in"):
            values = {risk for risk, _label in RISK_CLASSES} - values
        elif operator not in ("=", "in"):
            return NotImplemented
        found = self._search_dunning_behaviour([("risk", "in", list(values))])
        if "new" not in values:
            return [("id", "in", found)]
        # A customer without a row is new.
        return ["|", ("id", "in", found), ("id", "not in", self._search_dunning_behaviour([]))]

    def action_dunning_days_late_chart(self):
        """Days late per month of the customer's invoices paid in the current
        company, as a chart (the last 12 months by default)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Days late of %(customer)s", customer=self.display_name),
            "res_model": "account.dunning.behaviour.invoice",
            "view_mode": "graph,list",
            "domain": [
                ("partner_id", "=", self.commercial_partner_id.id),
                ("company_id", "=", self.env.company.id),
            ],
            "context": {"search_default_window": 1},
        }

    def _get_dunning_behaviour(self):
        """{commercial partner id: its behaviour row in the current company}."""
        # sudo: the risk shows to sellers on quotations; the rows are for accountants.
        rows = (
            self.env["account.dunning.behaviour"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("partner_id", "in", self.commercial_partner_id.ids),
                ]
            )
        )
        return {row.partner_id.id: row for row in rows}

    @api.model
    def _search_dunning_behaviour(self, domain):
        """Ids of the commercial partners whose row in the current company matches
        `domain`, with their contacts."""
        # sudo: as above, filtering by risk is for sellers too.
        partners = (
            self.env["account.dunning.behaviour"]
            .sudo()
            .search([("company_id", "=", self.env.company.id), *domain])
            .partner_id
        )
        return self.with_context(active_test=False)._search(
            [("commercial_partner_id", "in", partners.ids)]
        )
