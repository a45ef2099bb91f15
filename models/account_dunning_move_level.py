from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL, split_every

# The invoice's fields kept on its row of account.dunning.move.level: {field: column}.
DUNNING_LEVEL_ROW_FIELDS = {
    "dunning_level_id": "level_id",
    "last_dunning_date": "last_dunning_date",
    "dunning_next_level_date": "next_level_date",
}


class AccountDunningMoveLevel(models.Model):
    """Where a customer invoice stands on its dunning ladder: its level, the date of
    its last notice and when it is due for its next level.

    A narrow table of its own, not columns of account_move: a run moves thousands
    of invoices at once, and an invoice row (wide, with some thirty indexes) costs
    a new version in every index on each write. The invoice shows these through
    dunning_level_id, last_dunning_date and dunning_next_level_date.
    """

    _name = "account.dunning.move.level"
    _description = "Invoice Dunning Level"
    _rec_name = "move_id"
    # Written by the run (in sets) and by the invoice's fields: the invoice's own
    # tracking keeps who changed a level by hand.
    _log_access = False

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    level_id = fields.Many2one(comodel_name="account.dunning.level", readonly=True)
    last_dunning_date = fields.Date(readonly=True)
    next_level_date = fields.Date(
        string="Next Level Due",
        compute="_compute_next_level_date",
        store=True,
        readonly=True,
        help="When the dunning run moves this invoice to its next level, if nothing holds "
        "it: the day it became due for it, or the day ahead it will be. Each run updates it.",
    )

    _sql_constraints = [
        ("move_unique", "UNIQUE (move_id)", "An invoice stands at one dunning level at a time."),
    ]

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends(
        "level_id",
        "last_dunning_date",
        "move_id.move_type",
        "move_id.state",
        "move_id.payment_state",
        "move_id.dunning_awaits_order",
        "move_id.company_id",
        "move_id.commercial_partner_id",
        "move_id.dunning_date_due",
    )
    def _compute_next_level_date(self):
        """As of today, when an invoice is posted, paid or its level set by hand; the
        run refreshes it on its date for every invoice it examines, so that changes of
        policy or of levels show after the next run (see
        account.dunning.run._write_next_level_dates)."""
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        open_moves = self.move_id.filtered_domain(Move._get_dunning_open_invoice_domain())
        # sudo: every user who posts or pays an invoice keeps its date true, whether
        # or not they may read the dunning policies.
        Policy = self.env["account.dunning.policy"].sudo()
        ladders, policy_of, default_of = {}, {}, {}
        for company, moves in open_moves.grouped("company_id").items():
            partners = moves.commercial_partner_id.sudo().with_company(company)
            default = company.sudo().dunning_policy_id
            ladders.update((partners.dunning_policy_id | default)._get_dunning_ladders())
            policy_of.update({(company.id, p.id): p.dunning_policy_id.id for p in partners})
            default_of[company.id] = default.id
        for row in self:
            move = row.move_id
            if move not in open_moves:
                row.next_level_date = False
                continue
            key = (move.company_id.id, move.commercial_partner_id.id)
            policy_id = policy_of.get(key) or default_of[move.company_id.id]
            row.next_level_date = Policy._get_next_level_date(
                ladders.get(policy_id),
                row.level_id.id,
                move.dunning_date_due,
                row.last_dunning_date,
                today,
            )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("level_id", "move_id")
    def _check_level(self):
        for row in self:
            move = row.move_id
            if move.move_type != "out_invoice":
                raise ValidationError(
                    _(
                        "%(move)s: only customer invoices can have a dunning level.",
                        move=move.display_name,
                    )
                )
            if row.level_id and row.level_id.company_id != move.company_id:
                raise ValidationError(
                    _(
                        "%(move)s: the dunning level “%(level)s” belongs to another company.",
                        move=move.display_name,
                        level=row.level_id.name,
                    )
                )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _ensure_for_moves(self, moves):
        """The rows of customer invoices `moves`, created where missing, their next
        level date computed. Returns {move: row}."""
        moves = moves.filtered(lambda move: move.move_type == "out_invoice")
        rows = self.search([("move_id", "in", moves.ids)])
        missing = moves - rows.move_id
        rows |= self.create([{"move_id": move.id} for move in missing])
        return {row.move_id: row for row in rows}

    @api.model
    def _set_from_moves(self, moves, fname):
        """Keep on their rows the value of field `fname` set on `moves`."""
        column = DUNNING_LEVEL_ROW_FIELDS[fname]
        rows = self._ensure_for_moves(moves)
        for move in moves:
            value = move._fields[fname].convert_to_write(move[fname], move)
            if move in rows:
                rows[move][column] = value
            elif value:
                # Not a customer invoice: the row's constraint says why it cannot.
                self.create({"move_id": move.id, column: value})

    @api.model
    def _get_move_domain(self, fname, operator, value):
        """The invoices whose row meets (fname, operator, value); an invoice without
        a row meets it where an empty row would."""
        condition = [(fname, operator, value)]
        domain = [("dunning_level_row_ids", "any", condition)]
        if self.sudo().new({}).filtered_domain(condition):
            domain = expression.OR([domain, [("dunning_level_row_ids", "=", False)]])
        return domain

    @api.model
    def _get_move_field_sql(self, move_alias, fname, query, flush=True):
        """Column `fname` of the rows of the invoices of `move_alias` in `query`,
        joined to it (see account.move._field_to_sql)."""
        alias = query.make_alias(move_alias, "dunning_level_row")
        query.add_join(
            "LEFT JOIN",
            alias,
            self._table,
            SQL("%s = %s", SQL.identifier(move_alias, "id"), SQL.identifier(alias, "move_id")),
        )
        return SQL.identifier(alias, fname, to_flush=self._fields[fname] if flush else None)

    @api.model
    def _get_run_columns_sql(self, query):
        """The rows' columns under their names, and whether the invoice has none
        (`without_level_row`), for the run's query of invoices (`query`)."""
        columns = [
            SQL(
                "%s AS %s",
                self._get_move_field_sql("account_move", name, query),
                SQL.identifier(name),
            )
            for name in DUNNING_LEVEL_ROW_FIELDS.values()
        ]
        row_id = self._get_move_field_sql("account_move", "id", query, flush=False)
        return SQL(", ").join([*columns, SQL("%s IS NULL AS without_level_row", row_id)])

    @api.model
    def _insert_missing(self, move_ids):
        """Rows for these invoices where they have none, with one statement: those
        posted before account_dunning was installed, or copied by SQL."""
        self.env["account.move"].flush_model(["move_type"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO account_dunning_move_level (move_id)
                SELECT m.id FROM account_move m
                 WHERE m.id = ANY(%s) AND m.move_type = 'out_invoice'
                   -- Read first: a row that another run is moving would make the
                   -- insert wait for that run's end to see the conflict.
                   AND NOT EXISTS (SELECT FROM account_dunning_move_level r
                                    WHERE r.move_id = m.id)
                ON CONFLICT (move_id) DO NOTHING
                """,
                list(move_ids),
            )
        )
        self.env["account.move"].invalidate_model(["dunning_level_row_ids"])

    @api.model
    def _create_for_posted_invoices(self):
        """Rows, with their next level date, for the posted customer invoices that
        have none: those posted before account_dunning was installed."""
        self.env["account.move"].flush_model(["move_type", "state"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO account_dunning_move_level (move_id)
                SELECT id FROM account_move
                 WHERE move_type = 'out_invoice' AND state = 'posted'
                ON CONFLICT (move_id) DO NOTHING
             RETURNING id
                """
            )
        )
        rows = self.browse(row_id for (row_id,) in self.env.cr.fetchall())
        self.env["account.move"].invalidate_model(["dunning_level_row_ids"])
        self._compute_in_batches(rows)
        return rows

    @api.model
    def _compute_in_batches(self, rows):
        """Compute and store the next level date of `rows`, a few thousand at a
        time: a database of years of invoices does not fit in one cache."""
        for batch in split_every(5000, rows.ids, self.browse):
            self.env.add_to_compute(self._fields["next_level_date"], batch)
            batch.flush_recordset()
            self.env.invalidate_all()

    @api.model
    def _resume_below(self, moves, level, levels):
        """Back on the ladder, without waiting for the level's interval: `moves`
        placed just below `level` of the ordered `levels`, so that the next run moves
        them to it (those already there or past it stay)."""
        if level in levels:
            position = levels.ids.index(level.id)
            for move in moves:
                current = move.dunning_level_id
                if current not in levels or levels.ids.index(current.id) < position - 1:
                    move.dunning_level_id = levels[position - 1] if position else False
        moves.last_dunning_date = False
