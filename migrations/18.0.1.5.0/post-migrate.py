"""18.0.1.5.0: the final demand has an email template. Final-demand levels without
one get it, ready to use: their email channel is left as each company set it."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    template = env.ref("account_dunning.mail_template_dunning_final", raise_if_not_found=False)
    if not template:
        return
    levels = (
        env["account.dunning.level"]
        .with_context(active_test=False)
        .search([("letter_kind", "=", "final"), ("mail_template_id", "=", False)])
    )
    levels.mail_template_id = template
