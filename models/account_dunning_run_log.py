import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

SKIP_REASONS = [
    ("excluded", "Customer excluded from dunning"),
    ("stage", "Customer on a payment plan, at a collection agency or in legal proceedings"),
    ("held", "Notice of the current level waiting for its check"),
    ("blocked", "Invoice blocked or disputed"),
    ("promise", "Promise to pay not yet due"),
    ("plan", "In an active payment plan"),
    ("minimum", "Open amount not above the policy minimum"),
    ("credits", "Covered by the customer's credits"),
    ("interval", "Minimum interval since the last notice not reached"),
    ("low_risk", "Low risk: no reminder before the due date"),
    ("no_policy", "No dunning policy"),
    ("locked", "Being processed by another run"),
]
LOG_KINDS = [
    ("skip", "Skipped"),
    ("fallback", "Fallback"),
    ("warning", "Warning"),
    ("error", "Error"),
]


class AccountDunningRunLog(models.Model):
    """What a run, or a notice of it sent later, could not do as planned: the one
    place where the run and the notices record it; the run's counters read it."""

    _name = "account.dunning.run.log"
    _description = "Dunning Run Log"
    _order = "run_id desc, id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    run_id = fields.Many2one(
        comodel_name="account.dunning.run", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    kind = fields.Selection(selection=LOG_KINDS, required=True)
    reason = fields.Selection(selection=SKIP_REASONS)
    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer", index=True)
    move_id = fields.Many2one(comodel_name="account.move", string="Invoice")
    notice_id = fields.Many2one(comodel_name="account.dunning.notice", ondelete="set null")
    message = fields.Char()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _log_skips(self, run, skips):
        """`skips`: (partner id, invoice id, reason) of invoices the run left alone."""
        if not skips or not run:
            return
        labels = dict(SKIP_REASONS)
        self._log(
            run,
            [
                {
                    "kind": "skip",
                    "reason": reason,
                    "partner_id": partner_id,
                    "move_id": move_id,
                    "message": labels[reason],
                }
                for partner_id, move_id, reason in skips
            ],
        )

    @api.model
    def _log_problems(self, problems):
        """`problems`: (kind, notice, message) that notices and charges returned to
        their caller: each said on its notice and logged on the notice's run."""
        for _kind, notice, message in problems:
            notice.message_post(body=message)
        # sudo: what went wrong is recorded whoever sent the notice (see _log_error).
        return self.sudo().create(
            [
                {
                    "run_id": notice.run_id.id,
                    "kind": kind,
                    "partner_id": notice.partner_id.id,
                    "notice_id": notice.id,
                    "message": message,
                }
                for kind, notice, message in problems
                if notice.run_id
            ]
        )

    @api.model
    def _log_error(self, run, partner, error):
        """Record that `partner` failed, on the run and the customer; never raises, so
        that the other customers go on."""
        message = (
            error
            if isinstance(error, str)
            else self.env._("Dunning failed for this customer: %(error)s", error=error)
        )
        _logger.warning("Dunning run %s: customer %s failed: %s", run.id, partner.id, error)
        try:
            # sudo: the error is recorded whoever started the run or sent the notice.
            with self.env.cr.savepoint():
                if run:
                    self.sudo()._log(
                        run, [{"kind": "error", "partner_id": partner.id, "message": message}]
                    )
                partner.sudo().message_post(body=message)
        except Exception:
            _logger.exception("Dunning run %s: could not record the error above", run.id)

    @api.model
    def _log(self, run, vals_list):
        return self.create([dict(vals, run_id=run.id) for vals in vals_list])
