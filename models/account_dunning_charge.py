from collections import defaultdict
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools.money import fee_less_compensation
from .account_dunning_notice import MissingExchangeRate

CHARGE_KINDS = [
    ("fee", "Fee"),
    ("interest", "Interest"),
    ("correction", "Interest Correction"),
    ("compensation", "Compensation"),
]


class AccountDunningCharge(models.Model):
    """What a notice charges: a fee, the interest of one invoice over a period, or the
    statutory compensation of one invoice. The database refuses to charge the same
    invoice twice for the same level or period."""

    _name = "account.dunning.charge"
    _description = "Dunning Charge"
    _order = "notice_id, kind, move_id, period_from"

    notice_id = fields.Many2one(
        comodel_name="account.dunning.notice", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="notice_id.company_id", store=True)
    currency_id = fields.Many2one(related="notice_id.currency_id", store=True)
    kind = fields.Selection(selection=CHARGE_KINDS, required=True)
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        index=True,
        help="The overdue invoice charged for; empty for the fee of the notice.",
    )
    level_id = fields.Many2one(comodel_name="account.dunning.level")
    period_from = fields.Date()
    period_to = fields.Date()
    days = fields.Integer()
    base = fields.Monetary()
    rate = fields.Float(string="Rate (%)", digits=(6, 3))
    detail = fields.Char(help="Each period of constant base and rate, as computed.")
    amount = fields.Monetary(required=True)
    charge_move_id = fields.Many2one(
        comodel_name="account.move", string="Charge Invoice", index="btree_not_null"
    )
    origin_notice_id = fields.Many2one(
        comodel_name="account.dunning.notice",
        string="Left Out Of",
        index="btree_not_null",
        ondelete="set null",
        help="The earlier notice whose level fee this charge carries: it was left out of"
        " that notice for a missing exchange rate.",
    )

    _sql_constraints = [
        (
            "fee_once_per_notice",
            "EXCLUDE (notice_id WITH =) WHERE (kind = 'fee' AND origin_notice_id IS NULL)",
            "A notice charges its fee once.",
        ),
        (
            "carried_fee_once",
            "UNIQUE (origin_notice_id)",
            "A fee left out of a notice is charged by one later notice only.",
        ),
        (
            # Overlapping periods too: a range per invoice, without the btree_gist
            # extension (the invoice as a one-value range).
            "interest_once_per_period",
            "EXCLUDE USING gist (int4range(move_id, move_id, '[]') WITH &&, "
            "daterange(period_from, period_to, '[]') WITH &&) WHERE (kind = 'interest')",
            "The interest of an invoice is charged once for each day.",
        ),
        (
            "compensation_once_per_invoice",
            "EXCLUDE (move_id WITH =) WHERE (kind = 'compensation')",
            "The flat compensation of an invoice is charged once, ever.",
        ),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoiced(self):
        # An invoiced charge is a fact, waived or not: deleting it would free its
        # period, or its level's fee, to be charged again.
        if any(charge.charge_move_id for charge in self):
            raise UserError(self.env._("An invoiced charge stays on record: waive it instead."))

    @api.model
    def _create_for_notices(self, notices):
        """Fees, interest and statutory compensation of new notices, computed once.
        A charge left out for a missing reference or exchange rate is said on the
        notice and logged on its run: the notice goes out without it, and a later
        notice charges it once the rate is recorded (never at 1:1, never twice)."""
        Charge = self
        awaiting = Charge._get_fees_awaiting_rate(notices)
        notices = notices.filtered(
            lambda notice: (
                notice.level_id.fee_fixed
                or notice.level_id.fee_percent
                or notice.level_id.fee_min
                or notice.level_id.policy_id.interest_method != "none"
                or awaiting.get(notice)
            )
        )
        if not notices:
            return Charge
        dunned_lines = notices.line_ids.filtered("dunned")
        moves = dunned_lines.move_id
        last_interest = dict(
            Charge._read_group(
                [("kind", "=", "interest"), ("move_id", "in", moves.ids)],
                ["move_id"],
                ["period_to:max"],
            )
        )
        compensated = set(
            Charge.search([("kind", "=", "compensation"), ("move_id", "in", moves.ids)]).move_id.ids
        )
        fee_charged = Charge._get_fees_charged(moves)
        # Interest invoiced before on the customers' invoices, not waived: a payment
        # recorded since with an earlier date makes some of it not owed.
        # By (customer, currency), then invoice: what each notice may correct.
        charged = defaultdict(lambda: defaultdict(lambda: Charge))
        for charge in Charge.search(
            [
                ("kind", "in", ("interest", "correction")),
                ("notice_id.partner_id", "in", notices.partner_id.ids),
                ("charge_move_id", "!=", False),
                ("notice_id.charges_waived", "=", False),
            ]
        ):
            move = charge.move_id
            charged[move.commercial_partner_id, move.currency_id][move] |= charge
        known_rates = self.env["account.dunning.reference.rate"]._get_known_rates()
        rated = self.env["account.dunning.notice"]._get_rated_currency_ids(notices.company_id)
        warnings = defaultdict(list)
        values = []
        for notice in notices:
            policy = notice.level_id.policy_id
            fees = Charge._prepare_notice_fee_values(
                notice, rated, fee_charged, awaiting.get(notice, ()), warnings
            )
            compensations = []
            for line in notice.line_ids.filtered("dunned"):
                move = line.move_id
                if not move.dunning_charge_notice_id or policy.interest_on_charges:
                    values += policy._prepare_interest_charge_values(
                        notice, move, last_interest.get(move), known_rates, warnings
                    )
                if move.id not in compensated:
                    compensations += (
                        Charge._convert_or_leave_out(
                            notice,
                            lambda notice=notice, move=move, policy=policy: (
                                policy._prepare_compensation_charge_values(notice, move, rated)
                            ),
                            self.env._("The fixed compensation for %(invoice)s", invoice=move.name),
                            warnings,
                        )
                        or []
                    )
            if policy.fee_less_compensation:
                fees = self._prepare_fee_less_compensation(notice, fees, compensations)
            values += fees + compensations
            for move, previous in charged[notice.partner_id, notice.currency_id].items():
                values += policy._prepare_interest_correction_values(
                    notice, move, previous, known_rates
                )
        self.env["account.dunning.run.log"]._log_notices(
            "warning",
            {notice: "\n".join(dict.fromkeys(messages)) for notice, messages in warnings.items()},
        )
        return Charge.create(values)

    @api.model
    def _get_fees_charged(self, moves):
        """{(invoice id, level id)} whose level fee is invoiced: a level's fee is charged
        once per invoice, ever, also after a waiver and the notice's cancellation put the
        invoice back at the level before."""
        return {
            (move.id, charge.level_id.id)
            for charge in self.search(
                [
                    ("kind", "=", "fee"),
                    ("charge_move_id", "!=", False),
                    "|",
                    ("notice_id.line_ids.move_id", "in", moves.ids),
                    ("origin_notice_id.line_ids.move_id", "in", moves.ids),
                ]
            )
            # The lines the fee was charged for: those that reached its level (a
            # cancelled notice keeps their level, not their `dunned` flag), on the
            # notice it was left out of when a later one carried it.
            for move in (charge.origin_notice_id or charge.notice_id)
            .line_ids.filtered(lambda line, charge=charge: line.level_id == charge.level_id)
            .move_id
        }

    @api.model
    def _get_fees_awaiting_rate(self, notices):
        """{notice: earlier notices of its customer, company and currency whose level
        fee was left out for a missing exchange rate and is not charged yet}. Only the
        first of `notices` for a customer carries them."""
        earlier = self.env["account.dunning.notice"].search(
            [
                ("fee_left_out", "=", True),
                ("carried_fee_ids", "=", False),
                ("state", "!=", "cancel"),
                ("charges_waived", "=", False),
                ("partner_id", "in", notices.partner_id.ids),
                ("id", "not in", notices.ids),
            ],
            order="date, id",
        )
        by_key = earlier.grouped(
            lambda notice: (notice.company_id, notice.partner_id, notice.currency_id)
        )
        awaiting = {}
        for notice in notices:
            key = (notice.company_id, notice.partner_id, notice.currency_id)
            if by_key.get(key):
                awaiting[notice] = by_key.pop(key)
        return awaiting

    @api.model
    def _prepare_notice_fee_values(self, notice, rated, fee_charged, awaiting, warnings):
        """The fee of `notice`'s level, unless charged before for its invoices, and the
        fees of the `awaiting` earlier notices whose rate is now recorded. A fee that
        needs a missing exchange rate is left out and the notice remembers it."""
        level = notice.level_id
        fees = []
        left_out = False
        if not any(
            (line.move_id.id, level.id) in fee_charged
            for line in notice.line_ids.filtered("dunned")
        ):
            fees = self._convert_or_leave_out(
                notice,
                lambda: level._prepare_fee_charge_values(notice, rated),
                self.env._("The fee of %(level)s", level=level.name),
                warnings,
            )
            left_out = fees is None
            fees = fees or []
        for earlier in awaiting:
            try:
                carried = earlier.level_id._prepare_fee_charge_values(earlier, rated)
            except MissingExchangeRate:
                continue  # still no rate: it waits for the next notice
            fees += [
                dict(
                    values,
                    notice_id=notice.id,
                    origin_notice_id=earlier.id,
                    detail=self.env._(
                        "Fee of %(notice)s (%(level)s), left out then for a missing exchange rate",
                        notice=earlier.name,
                        level=earlier.level_id.name,
                    ),
                )
                for values in carried
            ]
        if notice.fee_left_out != left_out:
            # sudo: what the notice could not charge is the server's record.
            notice.sudo().fee_left_out = left_out
        return fees

    @api.model
    def _convert_or_leave_out(self, notice, prepare, description, warnings):
        """`prepare()`'s charge values, or None when they need an exchange rate that is
        not recorded: then `description` is left out, said in `warnings`."""
        try:
            return prepare()
        except MissingExchangeRate as error:
            warnings[notice].append(notice._get_missing_rate_message(error.currencies, description))
            return None

    @api.model
    def _prepare_fee_less_compensation(self, notice, fees, compensations):
        """The fee charged beside a statutory flat compensation is only what it
        exceeds it by (recovery costs beyond the fixed sum)."""
        compensation = sum(values["amount"] for values in compensations)
        if not fees or not compensation:
            return fees
        kept = []
        remaining = Decimal(str(compensation))  # one compensation, deducted once
        for values in fees:
            fee = Decimal(str(values["amount"]))
            amount = fee_less_compensation(fee, remaining)
            remaining -= fee - amount
            if notice.currency_id.compare_amounts(float(amount), 0) > 0:
                kept.append(
                    dict(
                        values,
                        amount=float(amount),
                        detail=self.env._(
                            "%(fee)s less the fixed compensation of %(compensation)s",
                            fee=notice.currency_id.format(values["amount"]),
                            compensation=notice.currency_id.format(compensation),
                        ),
                    )
                )
        return kept

    def _get_invoiced_amount(self):
        """What the charge invoice asks for this charge: a fee with its tax; interest
        and statutory compensation are damages, not supplies, and bear none."""
        self.ensure_one()
        tax = self.level_id.fee_tax_id if self.kind == "fee" else self.env["account.tax"]
        if not tax:
            return self.amount
        taxes = tax.compute_all(self.amount, currency=self.currency_id, quantity=1.0)
        return taxes["total_included"]

    def _prepare_invoice_line_values(self, policy):
        """The line of the charge invoice for this charge."""
        self.ensure_one()
        charge = self
        if charge.kind == "fee":
            name = self.env._("Late payment fee (%(level)s)", level=charge.level_id.name)
        elif charge.kind == "correction":
            name = self.env._(
                "Correction of the late payment interest on %(invoice)s, %(start)s to %(end)s:"
                " payments recorded after it was charged",
                invoice=charge.move_id.name,
                start=charge.period_from,
                end=charge.period_to,
            )
        elif charge.kind == "interest":
            name = self.env._(
                "Late payment interest on %(invoice)s, %(start)s to %(end)s",
                invoice=charge.move_id.name,
                start=charge.period_from,
                end=charge.period_to,
            )
        else:
            name = self.env._(
                "Fixed compensation for recovery costs (%(invoice)s)", invoice=charge.move_id.name
            )
        values = {
            "name": name,
            "quantity": 1,
            "price_unit": charge.amount,
            "tax_ids": [
                Command.set(charge.level_id.fee_tax_id.ids if charge.kind == "fee" else [])
            ],
        }
        if policy.charge_product_id:
            values["product_id"] = policy.charge_product_id.id
        if policy.charge_account_id:
            values["account_id"] = policy.charge_account_id.id
        return values
