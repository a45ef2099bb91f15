"""18.0.1.7.0: a collection call is an activity of the addon's own type, no longer a
flag on the activity. Calls flagged before get that type; the flag's column stays
unread."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not column_exists(cr, "mail_activity", "dunning_call"):
        return
    cr.execute(
        SQL(
            """
            UPDATE mail_activity
               SET activity_type_id = (
                       SELECT res_id FROM ir_model_data
                        WHERE module = 'account_dunning'
                          AND name = 'mail_activity_type_dunning_call')
             WHERE dunning_call
            """
        )
    )
