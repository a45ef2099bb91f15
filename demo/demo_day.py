"""The demo's day, as `make demo` plays it on the installed demo data: plans
proposed and accepted, a dunning run, its emails and a statement sent, a reminder
paid from its page. Today's date throughout: the demo invoices are dated so that
today's run moves the customers up the ladder, and nothing the user sees later is
dated after today.

`scripts/demo_mail.py` calls it in `odoo shell` (and commits); the tests call it
in a transaction that is rolled back (tests/test_demo.py).
"""

from odoo import Command, fields

# Customers who read French and German: their emails and letters are translated.
DEMO_LANGS = {
    "account_dunning.partner_harbor": "de_DE",
    "account_dunning.partner_cobalt": "fr_FR",
}


def play_demo_day(env, report_url=None):
    """Play the demo's day on `env`'s database; returns the lines to print.

    `report_url` is where wkhtmltopdf fetches the reports' styles while the demo
    renders its letters (a server of its own on a free port): set for the day
    only, then `report.url` is put back as it was, so that the PDFs of the server
    the user starts later are styled from that server.
    """
    company = env.ref("base.main_company")
    params = env["ir.config_parameter"].sudo()  # sudo: a system parameter
    previous_report_url = params.get_param("report.url")
    if report_url:
        params.set_param("report.url", report_url)
    try:
        _prepare_demo_company(env)
        lines = _agree_payment_plans(env, company)
        run = _run_dunning_today(env, company)
        lines.append(f"{run.display_name}: {len(run.notice_ids)} notice(s)")
        env["account.dunning.notice"]._cron_send_dunning_emails()
        # A statement of account, sent by hand as a collector would.
        env.ref("account_dunning.partner_harbor")._action_send_dunning_statement()
        env["mail.mail"].process_email_queue()
        lines += _pay_a_reminder_online(env, run)
    finally:
        params.set_param("report.url", previous_report_url or False)
    return lines


def _prepare_demo_company(env):
    # Deposits can be paid online on the portal, with Odoo's Demo provider (no real money).
    env.ref("payment.payment_provider_demo").write({"state": "test", "is_published": True})
    for lang in DEMO_LANGS.values():
        env["res.lang"]._activate_lang(lang)
    env["ir.module.module"]._load_module_terms(["account_dunning"], list(DEMO_LANGS.values()))
    for xmlid, lang in DEMO_LANGS.items():
        env.ref(xmlid).lang = lang


def _agree_payment_plans(env, company):
    """Both agreements go out and the collector records both acceptances;
    Oakridge's first installment is long missed, so its plan breaks."""
    customers = env.ref("account_dunning.partner_pinecrest") | env.ref(
        "account_dunning.partner_oakridge"
    )
    plans = env["account.dunning.payment.plan"].search([("partner_id", "in", customers.ids)])
    plans.action_propose()
    plans.action_accept()
    env["account.dunning.payment.plan"]._action_check_due(company, fields.Date.today())
    return [f"Payment plans: {', '.join(f'{plan.name} {plan.state}' for plan in plans)}"]


def _run_dunning_today(env, company):
    # Today's run: the demo's invoices fell due long enough ago for their
    # customers to move up the ladder now (demo/account_dunning_demo.xml).
    return (
        env["account.dunning.run"]
        .with_company(company)
        .create({"company_id": company.id, "trigger": "manual", "date": fields.Date.today()})
        ._run_dunning()
    )


def _pay_a_reminder_online(env, run):
    """A customer pays a reminder from its page with the Demo provider (no real
    money): the transaction its page makes, for what it asks now, paid and
    reconciled. Returns the lines to print."""
    payable = run.notice_ids.filtered(
        lambda notice: notice.state != "draft" and notice._get_portal_payable_amount() > 0
    )
    if not payable:
        return []
    notice = payable[0]
    tx = env["payment.transaction"].create(
        {
            "provider_id": env.ref("payment.payment_provider_demo").id,
            "payment_method_id": env.ref("payment_demo.payment_method_demo").id,
            "amount": notice._get_portal_payable_amount(),
            "currency_id": notice.currency_id.id,
            "partner_id": notice.partner_id.id,
            "invoice_ids": [Command.set(notice._get_portal_payable_moves().ids)],
            "dunning_notice_id": notice.id,
        }
    )
    tx._set_done()
    tx._post_process()
    state = "paid online" if notice.paid_online else "NOT paid"
    lines = [f"{notice.partner_id.name} paid {notice.name} from its page: {tx.amount} ({state})"]
    lines += [
        f"A reminder's page, no login needed: {other.get_base_url()}{other.get_portal_url()}"
        for other in payable[1:2]
    ]
    return lines
