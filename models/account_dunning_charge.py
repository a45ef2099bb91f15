from collections import defaultdict
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools.money import fee_less_compensation
from .res_currency import MissingExchangeRate

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
    # Days and rates are not added up when charges are grouped.
    days = fields.Integer(aggregator=None)
    base = fields.Monetary()
    rate = fields.Float(string="Rate (%)", digits=(6, 3), aggregator=None)
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
        A charge that needs a missing reference or exchange rate is left out, never
        its notice: a later notice charges it once the rate is recorded (never at 1:1,
        never twice). Returns the charges, the warnings ({notice: message}) and the
        notices whose level fee was left out."""
        awaiting = self._get_fees_awaiting_rate(notices)
        notices = notices.filtered(
            lambda notice: notice.level_id._may_charge() or awaiting.get(notice)
        )
        if not notices:
            return self, {}, notices
        facts = self._get_charge_facts(notices)
        warnings = defaultdict(list)
        values, left_out = [], notices.browse()
        for notice in notices:
            fees, fee_left_out = self._prepare_fee_values(
                notice, facts, awaiting.get(notice, ()), warnings
            )
            if fee_left_out:
                left_out |= notice
            values += self._prepare_debt_charge_values(notice, fees, facts, warnings)
        messages = {notice: "\n".join(dict.fromkeys(texts)) for notice, texts in warnings.items()}
        return self.create(values), messages, left_out

    @api.model
    def _get_charge_facts(self, notices):
        """What charging these notices reads once for the batch: the invoices' interest
        charged until, compensations and fees charged, the interest invoiced before
        (by customer and currency, then invoice), reference and exchange rates."""
        moves = notices.line_ids.filtered("dunned").move_id
        last_interest = dict(
            self._read_group(
                [("kind", "=", "interest"), ("move_id", "in", moves.ids)],
                ["move_id"],
                ["period_to:max"],
            )
        )
        compensated = self.search([("kind", "=", "compensation"), ("move_id", "in", moves.ids)])
        # Interest invoiced before on the customers' invoices, not waived: a payment
        # recorded since with an earlier date makes some of it not owed.
        charged = defaultdict(lambda: defaultdict(self.browse))
        for charge in self.search(
            [
                ("kind", "in", ("interest", "correction")),
                ("notice_id.partner_id", "in", notices.partner_id.ids),
                ("charge_move_id", "!=", False),
                ("notice_id.charges_waived", "=", False),
            ]
        ):
            move = charge.move_id
            charged[move.commercial_partner_id, move.currency_id][move] |= charge
        return {
            "last_interest": last_interest,
            "compensated": set(compensated.move_id.ids),
            "fee_charged": self._get_fees_charged(moves),
            "charged": charged,
            "known_rates": self.env["account.dunning.reference.rate"]._get_known_rates(),
            "rated": self.env["res.currency"]._get_dunning_rated_ids(notices.company_id),
        }

    @api.model
    def _prepare_debt_charge_values(self, notice, fees, facts, warnings):
        """The interest and compensation of `notice`'s dunned invoices, its `fees` (less
        the compensation where the policy says so) and corrections of interest charged
        before."""
        policy = notice.level_id.policy_id
        method = policy._get_interest_method(notice.partner_id.commercial_partner_id.is_company)
        values, compensations = [], []
        for move in notice.line_ids.filtered("dunned").move_id:
            if not move.dunning_charge_notice_id or policy.interest_on_charges:
                values += self._prepare_interest_values(notice, move, method, facts, warnings)
            if move.id not in facts["compensated"]:
                compensations += self._prepare_compensation_values(notice, move, facts, warnings)
        if policy.fee_less_compensation:
            fees = self._prepare_fee_less_compensation(notice, fees, compensations)
        values += fees + compensations
        for move, previous in facts["charged"][notice.partner_id, notice.currency_id].items():
            values += self._prepare_correction_values(notice, move, method, previous, facts)
        return values

    @api.model
    def _prepare_interest_values(self, notice, move, method, facts, warnings):
        """The interest of `move` charged with `notice`, from the day after the last
        day charged (or the due date); a missing reference rate leaves it out, said
        in `warnings`."""
        start = facts["last_interest"].get(move) or move._get_dunning_first_maturity()
        if method == "none" or notice.date <= start:
            return []
        policy = notice.level_id.policy_id
        first_day = fields.Date.add(start, days=1)
        warning = policy._get_interest_warning(
            method, move, first_day, notice.date, facts["known_rates"]
        )
        if warning:
            # The reminder still goes out; this interest waits for its rate.
            warnings[notice].append(warning)
            return []
        periods, amount = policy._compute_interest(
            method,
            move._get_dunning_open_balances(),
            fields.Date.add(move._get_dunning_first_maturity(), days=1),
            start,
            notice.date,
            notice.currency_id,
            facts["known_rates"],
        )
        if not amount:
            return []
        return [
            {
                "notice_id": notice.id,
                "kind": "interest",
                "move_id": move.id,
                "level_id": notice.level_id.id,
                "period_from": first_day,
                "period_to": notice.date,
                "days": sum(period[2] for period in periods),
                "base": float(periods[0][3]),
                "rate": float(periods[0][4]),
                "detail": "; ".join(
                    f"{first} - {last}: {days} d x {base} x {rate} %"
                    for first, last, days, base, rate in periods
                ),
                "amount": float(amount),
            }
        ]

    @api.model
    def _prepare_correction_values(self, notice, move, method, previous, facts):
        """A credit for interest of `move` charged before (`previous`: its interest and
        corrections invoiced, not waived) on money that, as now recorded, was paid by
        then: a payment entered after a notice but dated before it."""
        interest = previous.filtered(lambda charge: charge.kind == "interest")
        if method == "none" or not interest:
            return []
        currency = notice.currency_id
        owed = notice.level_id.policy_id._compute_interest_owed(
            method,
            move._get_dunning_open_balances(),
            fields.Date.add(move._get_dunning_first_maturity(), days=1),
            [(charge.period_from, charge.period_to, charge.amount) for charge in interest],
            currency,
            facts["known_rates"],
        )
        over = Decimal(str(sum(previous.mapped("amount")))) - owed
        if currency.compare_amounts(float(over), 0) <= 0:
            return []
        return [
            {
                "notice_id": notice.id,
                "kind": "correction",
                "move_id": move.id,
                "level_id": notice.level_id.id,
                "period_from": min(interest.mapped("period_from")),
                "period_to": max(interest.mapped("period_to")),
                "detail": self.env._(
                    "interest charged %(charged)s, owed %(owed)s on the payments now recorded",
                    charged=currency.format(sum(interest.mapped("amount"))),
                    owed=currency.format(float(owed)),
                ),
                "amount": -float(over),
            }
        ]

    @api.model
    def _prepare_compensation_values(self, notice, move, facts, warnings):
        """The statutory flat compensation of `move`, owed on the commercial debt once
        overdue: never on our own charge invoices."""
        if move.dunning_charge_notice_id or notice.date <= move._get_dunning_first_maturity():
            return []
        try:
            amount = notice.level_id.policy_id._compute_compensation(
                notice.partner_id.commercial_partner_id.is_company,
                move.amount_total,
                move.currency_id,
                self._get_converter(notice, facts["rated"]),
            )
        except MissingExchangeRate as error:
            description = self.env._("The fixed compensation for %(invoice)s", invoice=move.name)
            warnings[notice].append(
                self._get_missing_rate_message(notice, error.currencies, description)
            )
            return []
        if not amount:
            return []
        return [
            {
                "notice_id": notice.id,
                "kind": "compensation",
                "move_id": move.id,
                "level_id": notice.level_id.id,
                "amount": notice.currency_id.round(amount),
            }
        ]

    @api.model
    def _get_converter(self, notice, rated):
        """convert(amount, from_currency, to_currency=the notice's) on the notice's date,
        at a recorded rate only (res.currency._dunning_convert)."""

        def convert(amount, from_currency, to_currency=None):
            return from_currency._dunning_convert(
                amount, to_currency or notice.currency_id, notice.company_id, notice.date, rated
            )

        return convert

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
    def _prepare_fee_values(self, notice, facts, awaiting, warnings):
        """(fees, left out) of `notice`: its level's fee, unless charged before for its
        invoices, and the fees of the `awaiting` earlier notices whose rate is now
        recorded. A fee that needs a missing exchange rate is left out (True)."""
        level = notice.level_id
        fees, left_out = [], False
        dunned = notice.line_ids.filtered("dunned").move_id
        if not any((move.id, level.id) in facts["fee_charged"] for move in dunned):
            try:
                fees = self._prepare_level_fee_values(notice, notice, facts["rated"])
            except MissingExchangeRate as error:
                description = self.env._("The fee of %(level)s", level=level.name)
                warnings[notice].append(
                    self._get_missing_rate_message(notice, error.currencies, description)
                )
                left_out = True
        for earlier in awaiting:
            try:
                carried = self._prepare_level_fee_values(earlier, notice, facts["rated"])
            except MissingExchangeRate:
                continue  # still no rate: it waits for the next notice
            fees += [
                dict(
                    values,
                    origin_notice_id=earlier.id,
                    detail=self.env._(
                        "Fee of %(notice)s (%(level)s), left out then for a missing exchange rate",
                        notice=earlier.name,
                        level=earlier.level_id.name,
                    ),
                )
                for values in carried
            ]
        return fees, left_out

    @api.model
    def _prepare_level_fee_values(self, source, notice, rated):
        """The fee of `source`'s level on the commercial debt it dunns (our own charge
        invoices bear no fee), in its currency and on its date, charged by `notice`."""
        level = source.level_id
        base = sum(
            line.amount_residual
            for line in source.line_ids
            if line.dunned and not line.move_id.dunning_charge_notice_id
        )
        company_currency = source.company_id.currency_id
        amount = level._get_fee_amount(
            base,
            source.currency_id,
            lambda fee: company_currency._dunning_convert(
                fee, source.currency_id, source.company_id, source.date, rated
            ),
        )
        if amount is None:
            return []
        return [
            {
                "notice_id": notice.id,
                "kind": "fee",
                "level_id": level.id,
                "base": base,
                "rate": level.fee_percent,
                "amount": amount,
            }
        ]

    @api.model
    def _get_missing_rate_message(self, notice, currencies, description):
        """Why `description` (a charge) is left out of `notice`, and what to do."""
        return self.env._(
            "%(charge)s is left out of this notice: no exchange rate is recorded for"
            " %(currencies)s in %(company)s. Record one dated %(date)s or earlier; the next"
            " notice then charges it, once.",
            charge=description,
            currencies=", ".join(currencies.mapped("name")),
            company=notice.company_id.name,
            date=notice.date,
        )

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

    @api.model
    def _action_invoice(self, notices):
        """One posted customer invoice per notice for its charges (a credit note when
        its corrections outweigh them). A notice is charged by one invoice, ever: one
        made already is linked again, never made twice (the database refuses it too).
        Returns {notice: its charge invoice}."""
        notices = notices.filtered(lambda notice: notice.charge_ids and not notice.charge_move_id)
        invoiced = {
            move.dunning_charge_notice_id: move
            for move in self.env["account.move"].search(
                [("dunning_charge_notice_id", "in", notices.ids)]
            )
        }
        to_invoice = notices.filtered(lambda notice: notice not in invoiced)
        if to_invoice:
            journals = {}  # the first sales journal per company, read once
            vals_list = [
                self._prepare_charge_invoice_values(
                    notice, self._get_charge_journal(notice, journals)
                )
                for notice in to_invoice
            ]
            moves = self.env["account.move"].with_context(tracking_disable=True).create(vals_list)
            moves.action_post()
            invoiced.update(zip(to_invoice, moves, strict=True))
        for notice, move in invoiced.items():
            notice.charge_ids.charge_move_id = move
        return invoiced

    @api.model
    def _get_charge_journal(self, notice, journals):
        policy = notice.level_id.policy_id
        company = notice.company_id
        if company not in journals:
            journals[company] = self.env["account.journal"].search(
                [
                    ("type", "=", "sale"),
                    *self.env["account.journal"]._check_company_domain(company),
                ],
                limit=1,
            )
        journal = policy.charge_journal_id or journals[company]
        if not journal:
            raise UserError(
                self.env._(
                    "Dunning policy “%(policy)s”: no sales journal for charge invoices.",
                    policy=policy.name,
                )
            )
        return journal

    @api.model
    def _prepare_charge_invoice_values(self, notice, journal):
        policy = notice.level_id.policy_id
        lines = [charge._prepare_invoice_line_values(policy) for charge in notice.charge_ids]
        # Corrections larger than the new charges: a credit note for the difference.
        refund = (
            notice.currency_id.compare_amounts(
                sum(charge._get_invoiced_amount() for charge in notice.charge_ids), 0
            )
            < 0
        )
        if refund:
            lines = [dict(line, price_unit=-line["price_unit"]) for line in lines]
        return {
            "move_type": "out_refund" if refund else "out_invoice",
            "partner_id": notice.partner_id.id,
            "company_id": notice.company_id.id,
            "journal_id": journal.id,
            "currency_id": notice.currency_id.id,
            "invoice_date": notice.date,
            "invoice_origin": notice.name,
            "dunning_charge_notice_id": notice.id,
            "invoice_line_ids": [Command.create(line) for line in lines],
        }
