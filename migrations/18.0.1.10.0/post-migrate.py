"""18.0.1.10.0: an invoice's dunning level, last dunning date and next level date
moved from columns of account_move to rows of account.dunning.move.level. They
are copied over, then the old columns are dropped. Notice lines read their
company, currency and date through their notice: their copies are dropped."""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, sql

# The old column of each row's column; the next level date was stored later.
OLD_COLUMNS = {
    "level_id": "dunning_level_id",
    "last_dunning_date": "last_dunning_date",
    "next_level_date": "dunning_next_level_date",
}


def migrate(cr, version):
    stored_next_date = sql.column_exists(cr, "account_move", "dunning_next_level_date")
    old = {
        column: SQL.identifier(old_column)
        if sql.column_exists(cr, "account_move", old_column)
        else SQL("NULL")
        for column, old_column in OLD_COLUMNS.items()
    }
    if sql.column_exists(cr, "account_move", "dunning_level_id"):
        cr.execute(
            SQL(
                """
                INSERT INTO account_dunning_move_level
                       (move_id, level_id, last_dunning_date, next_level_date)
                SELECT id, %(level_id)s, %(last_dunning_date)s, %(next_level_date)s
                  FROM account_move
                 WHERE move_type = 'out_invoice'
                   AND (state = 'posted' OR %(level_id)s IS NOT NULL)
                ON CONFLICT (move_id) DO NOTHING
                """,
                **old,
            )
        )
    for table, columns in (
        ("account_move", OLD_COLUMNS.values()),
        ("account_dunning_notice_line", ("company_id", "currency_id", "date")),
    ):
        cr.execute(
            SQL(
                "ALTER TABLE %s %s",
                SQL.identifier(table),
                SQL(", ").join(
                    SQL("DROP COLUMN IF EXISTS %s", SQL.identifier(column)) for column in columns
                ),
            )
        )
    env = api.Environment(cr, SUPERUSER_ID, {})
    Row = env["account.dunning.move.level"]
    # Rows without the old next level date (it was not stored before) get it now.
    if not stored_next_date:
        Row._compute_in_batches(Row.search([]))
    Row._create_for_posted_invoices()
