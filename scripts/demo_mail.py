# Run inside `odoo shell` by `make demo`: the demo's day (demo/demo_day.py), its emails
# sent through the local SMTP sink. SMTP_PORT and REPORT_URL come from the environment.
import os

from odoo.addons.account_dunning.demo.demo_day import play_demo_day

env = globals()["env"]  # given by `odoo shell`
env["ir.mail_server"].search([]).active = False
env["ir.mail_server"].create(
    {
        "name": "Local SMTP sink (make demo)",
        "smtp_host": "127.0.0.1",
        "smtp_port": int(os.environ["SMTP_PORT"]),
        "smtp_encryption": "none",
    }
)
for line in play_demo_day(env, report_url=os.environ["REPORT_URL"]):
    print(line)
env.cr.commit()
