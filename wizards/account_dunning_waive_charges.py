from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class AccountDunningWaiveCharges(models.TransientModel):
    _name = "account.dunning.waive.charges"
    _description = "Waive Dunning Charges"

    notice_id = fields.Many2one(comodel_name="account.dunning.notice", required=True)
    currency_id = fields.Many2one(related="notice_id.currency_id")
    amount = fields.Monetary(related="notice_id.charge_move_id.amount_total", string="Charged")
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.dunning.notice":
            values.setdefault("notice_id", self.env.context.get("active_id"))
        return values

    def action_waive(self):
        self.ensure_one()
        error = self._waive_error_message()
        if error:
            raise UserError(error)
        self._action_waive()
        return {"type": "ir.actions.act_window_close"}

    def _waive_error_message(self):
        if not self.reason or not self.reason.strip():
            return _("Give the reason for waiving the charges.")
        notice = self.notice_id
        if not notice.charge_move_id or notice.charges_waived:
            return _("Notice %(notice)s has no charges left to waive.", notice=notice.name)
        return False

    def _action_waive(self):
        # Checked here too: the wizard's access rights are not the only way in.
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(_("Only dunning managers may waive charges."))
        notice = self.notice_id
        charge_move = notice.charge_move_id
        # sudo: a manager of dunning need not be an accountant to reverse its charges.
        credit_note = charge_move.sudo()._reverse_moves(
            default_values_list=[
                {
                    "ref": _(
                        "Waiver of %(notice)s: %(reason)s", notice=notice.name, reason=self.reason
                    ),
                    "invoice_date": fields.Date.context_today(self),
                }
            ],
            cancel=True,
        )
        # sudo: the waiver is the only way these facts of the notice change.
        notice.sudo().write(
            {
                "charges_waived": True,
                "charge_waiver_reason": self.reason,
                "charge_refund_id": credit_note.id,
            }
        )
        message = _(
            "Charges of %(amount)s waived by %(user)s: %(reason)s",
            amount=notice.currency_id.format(charge_move.amount_total),
            user=self.env.user.name,
            reason=self.reason,
        )
        notice.message_post(body=message)
        charge_move.sudo().message_post(body=message)
        self.env["account.dunning.event"]._record(
            [
                {
                    "company_id": notice.company_id.id,
                    "partner_id": notice.partner_id.id,
                    "kind": "waiver",
                    "notice_id": notice.id,
                    "summary": message,
                }
            ]
        )
        return credit_note
