"""18.0.1.10.0: an invoice's dunning level, last dunning date and next level date
moved from columns of account_move to rows of account.dunning.move.level. They
are copied over, then the old columns are dropped. Notice lines read their
company, currency and date through their notice: their copies are dropped."""

from odoo import SUPERUSER_ID, api
from odoo.tools import sql


def migrate(cr, version):
    if sql.column_exists(cr, "account_move", "dunning_level_id"):
        cr.execute(
            """
            INSERT INTO account_dunning_move_level
                   (move_id, level_id, last_dunning_date, next_level_date)
            SELECT id, dunning_level_id, last_dunning_date, dunning_next_level_date
              FROM account_move
             WHERE move_type = 'out_invoice'
               AND (state = 'posted' OR dunning_level_id IS NOT NULL
                    OR last_dunning_date IS NOT NULL)
            ON CONFLICT (move_id) DO NOTHING
            """
        )
        cr.execute(
            """
            ALTER TABLE account_move
                DROP COLUMN dunning_level_id,
                DROP COLUMN last_dunning_date,
                DROP COLUMN dunning_next_level_date
            """
        )
    cr.execute(
        """
        ALTER TABLE account_dunning_notice_line
            DROP COLUMN IF EXISTS company_id,
            DROP COLUMN IF EXISTS currency_id,
            DROP COLUMN IF EXISTS date
        """
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["account.dunning.move.level"]._create_for_posted_invoices()
