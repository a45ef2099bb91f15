from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL


class AccountDunningNoticeLine(models.Model):
    _name = "account.dunning.notice.line"
    _description = "Dunning Notice Line"
    _order = "notice_id, invoice_date_due, id"
    _check_company_auto = True
    # A line is made by its notice's run, which keeps who and when, and only the
    # server changes it after (what is left owed, read again before sending): no
    # create/write columns, whose foreign keys each line insert would check.
    _log_access = False

    notice_id = fields.Many2one(
        comodel_name="account.dunning.notice", required=True, index=True, ondelete="cascade"
    )
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        index=True,
        check_company=True,
    )
    # The notice's, read through it: a run inserts thousands of lines, and each
    # stored reference costs each of them a foreign key check.
    company_id = fields.Many2one(related="notice_id.company_id")
    currency_id = fields.Many2one(related="notice_id.currency_id")
    date = fields.Date(related="notice_id.date")
    partner_id = fields.Many2one(related="notice_id.partner_id")
    notice_state = fields.Selection(related="notice_id.state", string="Notice Status")
    level_id = fields.Many2one(comodel_name="account.dunning.level")
    previous_level_id = fields.Many2one(comodel_name="account.dunning.level")
    dunned = fields.Boolean(
        help="The invoice reached the notice's level with this notice; other lines only list "
        "the customer's other overdue invoices.",
    )
    amount_total = fields.Monetary(string="Original Amount")
    amount_residual = fields.Monetary(string="Amount Due")
    invoice_date = fields.Date()
    invoice_date_due = fields.Date(string="Due Date")
    days_overdue = fields.Integer(aggregator=None)  # days are not added up

    _sql_constraints = [
        (
            "move_level_dunned_once",
            "EXCLUDE (move_id WITH =, level_id WITH =) WHERE (dunned)",
            "An invoice can be dunned only once at each level.",
        ),
    ]

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _insert_for_notices(self, notices, notice_lines):
        """Insert the lines of new `notices` with one statement: thousands per batch.
        `notice_lines`: per notice, its (invoice row, dunned) pairs."""
        columns = defaultdict(list)
        for notice, lines in zip(notices, notice_lines, strict=True):
            for row, dunned in lines:
                columns["notice_id"].append(notice.id)
                columns["move_id"].append(row["move_id"])
                columns["dunned"].append(dunned)
                columns["level_id"].append(row["level_id"] if dunned else None)
                columns["previous_level_id"].append(
                    (row.get("previous_level_id") or None) if dunned else None
                )
                columns["amount_total"].append(row["amount_total"])
                columns["amount_residual"].append(row["amount_residual"])
                columns["invoice_date"].append(row["invoice_date"])
                columns["invoice_date_due"].append(row["invoice_date_due"])
                columns["days_overdue"].append(max(row["days_late"], 0))
        if not columns:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO account_dunning_notice_line (
                    notice_id, move_id, dunned, level_id, previous_level_id, amount_total,
                    amount_residual, invoice_date, invoice_date_due, days_overdue)
                SELECT line.*
                  FROM UNNEST(
                    %(notice_id)s::int[], %(move_id)s::int[], %(dunned)s::bool[],
                    %(level_id)s::int[], %(previous_level_id)s::int[],
                    %(amount_total)s::numeric[], %(amount_residual)s::numeric[],
                    %(invoice_date)s::date[], %(invoice_date_due)s::date[],
                    %(days_overdue)s::int[]) AS line
                """,
                **columns,
            )
        )
        self.invalidate_model()
        notices.invalidate_recordset(["line_ids"])
