from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _name_in_blocks(self, code, vals_list):
        """Name the records of `vals_list` without a name ("/") from the sequence
        `code`: one numbering path for a record made by hand and a run's thousands,
        a block of numbers per company and date, drawn at once."""
        unnamed = defaultdict(list)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                key = (vals.get("company_id") or self.env.company.id, vals.get("date"))
                unnamed[key].append(vals)
        for (company_id, date), group in unnamed.items():
            names = self.with_company(company_id)._next_block(code, len(group), date)
            for vals, name in zip(group, names, strict=True):
                vals["name"] = name

    @api.model
    def _next_block(self, code, count, sequence_date=None):
        """`count` numbers of the sequence `code` of the current company, as
        next_by_code draws them one by one, in one query for a standard sequence."""
        sequence = self._get_by_code(code)
        if not sequence:
            return ["/"] * count
        if not sequence.use_date_range:
            if sequence.implementation != "standard":
                return [sequence._next() for _index in range(count)]
            return sequence._draw_numbers(count, sequence)
        day = fields.Date.to_date(sequence_date) or fields.Date.context_today(self)
        date_range = self.env["ir.sequence.date_range"].sudo().search(
            [("sequence_id", "=", sequence.id), ("date_from", "<=", day), ("date_to", ">=", day)],
            limit=1,
        ) or sequence._create_date_range_seq(day)
        date_range = date_range.with_context(ir_sequence_date_range=date_range.date_from)
        if sequence.implementation != "standard":
            return [date_range._next() for _index in range(count)]
        return sequence._draw_numbers(count, date_range)

    @api.model
    def _get_by_code(self, code):
        """The sequence `code` of the current company, as next_by_code finds it."""
        # sudo: drawing numbers from the sequence is not a right of its own.
        return self.sudo().search(
            [("code", "=", code), ("company_id", "in", (self.env.company.id, False))],
            order="company_id",
            limit=1,
        )

    @api.model
    def _draws_concurrently(self, code, sequence_date=None):
        """Whether cursors may draw numbers of `code` at the same time: from a
        standard sequence, yes; a gapless one locks its row for each number. The
        date range of `sequence_date` is created now, once, not by each cursor."""
        sequence = self._get_by_code(code)
        if sequence.implementation != "standard":
            return not sequence
        self._next_block(code, 0, sequence_date)
        return True

    def _draw_numbers(self, count, numbered):
        """`count` formatted numbers of this standard sequence from `numbered` (itself
        or one of its date ranges): the PostgreSQL sequence ir.sequence names for it."""
        self.ensure_one()
        in_range = numbered._name == "ir.sequence.date_range"
        name = (
            f"ir_sequence_{self.id:03d}_{numbered.id:03d}"
            if in_range
            else f"ir_sequence_{self.id:03d}"
        )
        # A date range's numbers read its dates (its context) in the prefix.
        formatter = numbered.sequence_id if in_range else self
        self.env.cr.execute(
            SQL("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", name, count)
        )
        # As get_next_char formats each number, with the prefix read once for the block.
        prefix, suffix = formatter._get_prefix_suffix()
        padding = formatter.padding
        return [f"{prefix}{number:0{padding}d}{suffix}" for (number,) in self.env.cr.fetchall()]
