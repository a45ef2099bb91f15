# Run inside `odoo shell` by `make demo`: send the demo's dunning emails through the
# local SMTP sink. SMTP_PORT comes from the environment.
import os

from odoo import Command, fields

env = globals()["env"]  # given by `odoo shell`
company = env.ref("base.main_company")
env["ir.mail_server"].search([]).active = False
env["ir.mail_server"].create(
    {
        "name": "Local SMTP sink (make demo)",
        "smtp_host": "127.0.0.1",
        "smtp_port": int(os.environ["SMTP_PORT"]),
        "smtp_encryption": "none",
    }
)
env["ir.config_parameter"].set_param("report.url", os.environ["REPORT_URL"])
# Deposits can be paid online on the portal, with Odoo's Demo provider (no real money).
env.ref("payment.payment_provider_demo").write({"state": "test", "is_published": True})
# Customers who read French and German: their emails and letters are translated.
for lang in ("fr_FR", "de_DE"):
    env["res.lang"]._activate_lang(lang)
env["ir.module.module"]._load_module_terms(["account_dunning"], ["fr_FR", "de_DE"])
env.ref("account_dunning.partner_harbor").lang = "de_DE"
env.ref("account_dunning.partner_cobalt").lang = "fr_FR"
# Payment plans: both agreements go out and the collector records both acceptances;
# Oakridge's first installment is long missed, so its plan breaks.
customers = env.ref("account_dunning.partner_pinecrest") | env.ref(
    "account_dunning.partner_oakridge"
)
plans = env["account.dunning.payment.plan"].search([("partner_id", "in", customers.ids)])
plans.action_propose()
plans.action_accept()
env["account.dunning.payment.plan"]._action_check_due(company, fields.Date.today())
print(f"Payment plans: {', '.join(f'{p.name} {p.state}' for p in plans)}")
# Two weeks from now, the demo's customers have moved up the ladder.
run = (
    env["account.dunning.run"]
    .with_company(company)
    .create(
        {
            "company_id": company.id,
            "trigger": "manual",
            "date": fields.Date.add(fields.Date.today(), days=14),
        }
    )
    ._run_dunning()
)
print(f"Dunning run {run.display_name}: {len(run.notice_ids)} notice(s)")
env["account.dunning.notice"]._cron_send_dunning_emails()
# A statement of account, sent by hand as a collector would.
env.ref("account_dunning.partner_harbor")._action_send_dunning_statement()
env["mail.mail"].process_email_queue()
env.cr.commit()
# A customer pays a reminder from its page with the Demo provider (no real money):
# the transaction its page makes, for what it asks now, paid and reconciled.
payable = run.notice_ids.filtered(
    lambda notice: notice.state != "draft" and notice._get_portal_payable_amount() > 0
)
if payable:
    notice = payable[0]
    amount = notice._get_portal_payable_amount()
    tx = env["payment.transaction"].create(
        {
            "provider_id": env.ref("payment.payment_provider_demo").id,
            "payment_method_id": env.ref("payment_demo.payment_method_demo").id,
            "amount": amount,
            "currency_id": notice.currency_id.id,
            "partner_id": notice.partner_id.id,
            "invoice_ids": [Command.set(notice._get_portal_payable_moves().ids)],
            "dunning_notice_id": notice.id,
        }
    )
    tx._set_done()
    tx._post_process()
    state = "paid online" if notice.paid_online else "NOT paid"
    print(f"{notice.partner_id.name} paid {notice.name} from its page: {tx.amount} ({state})")
    for other in payable[1:2]:
        print(f"A reminder's page, no login needed: {other.get_base_url()}{other.get_portal_url()}")
env.cr.commit()
