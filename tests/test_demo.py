import re
import socket
from datetime import datetime, time

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.account_dunning.demo.demo_day import play_demo_day

# The dates of what has happened (sent, recorded, reminded, contacted), by model:
# none may be after today. Due dates, deadlines and installments are ahead by nature.
HAPPENED = {
    "account.dunning.run": ["date"],
    "account.dunning.notice": ["date"],
    "account.dunning.notice.line": ["date"],
    "account.dunning.event": ["date"],
    "account.move": ["invoice_date", "last_dunning_date"],
    "account.dunning.payment.plan": ["date_proposed", "date_active", "date_closed", "signed_on"],
    "account.dunning.payment.plan.installment": ["reminded_on", "missed_notified_on"],
    "account.dunning.worklist": ["last_contact_date"],
    "res.partner": ["dunning_statement_date"],
    "mail.message": ["date"],
}


@tagged("post_install", "-at_install")
class TestDemoDay(HttpCase):
    """What `make demo` leaves for `make serve`: its day played on the demo data
    (demo/demo_day.py), as scripts/demo_mail.py plays it."""

    def _play_the_demo_day(self):
        # The demo renders its letters through a server of its own, stopped once
        # it is done: a port where nothing listens stands for it.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            gone = f"http://127.0.0.1:{probe.getsockname()[1]}"
        lines = play_demo_day(self.env, report_url=gone)
        return gone, lines

    def test_the_demo_dates_nothing_after_today(self):
        _gone, lines = self._play_the_demo_day()
        run = self.env["account.dunning.run"].search([], limit=1)
        self.assertEqual(run.date, fields.Date.today(), "the demo runs today, not ahead")
        self.assertTrue(run.notice_ids, "\n".join(lines))
        # Each customer moved up the ladder today, as the README says.
        self.assertEqual(
            set(run.notice_ids.partner_id.mapped("name")),
            {
                "Brightline Studios",
                "Lumen Bakery",
                "Northwind Traders",
                "Cobalt Engineering",
                "Harbor Logistics",
                "Quarry Hill Builders",
                "Oakridge Logistics",
            },
        )
        # The customer without email is texted, not sent a letter to print (no IAP
        # call leaves a test: the text message is on record, failed with the reason).
        lumen = run.notice_ids.filtered(lambda notice: notice.partner_id.name == "Lumen Bakery")
        self.assertEqual(lumen.letter_state, "none")
        self.assertTrue(lumen.sms_message_id)
        self.assertIn(lumen.sms_state, ("sent", "failed"))
        today = fields.Date.today()
        # Datetimes are stored in UTC; the end of today in UTC bounds them all.
        end_of_today = datetime.combine(today, time.max)
        for model, names in HAPPENED.items():
            for name in names:
                field = self.env[model]._fields[name]
                bound = end_of_today if field.type == "datetime" else today
                future = self.env[model].search([(name, ">", bound)])
                self.assertFalse(
                    future,
                    f"{model}.{name} after today: {future.mapped(name)} on {future}",
                )

    def test_the_demo_leaves_report_url_to_the_server_the_user_starts(self):
        gone, _lines = self._play_the_demo_day()
        Report = self.env["ir.actions.report"]
        report_url = Report._get_report_url()
        self.assertNotEqual(report_url, gone, "report.url left at the demo's own server")
        # The letter the user prints from `make serve` finds its styles there.
        notice = self.env["account.dunning.notice"].search([], limit=1)
        html, _kind = Report._render_qweb_html("account_dunning.report_dunning_notice", notice.ids)
        html = html.decode()
        stylesheets = re.findall(r'href="(/web/assets/[^"]+\.css)"', html)
        self.assertTrue(stylesheets, "the letter links its stylesheets")
        for stylesheet in stylesheets:
            response = self.url_open(f"{report_url}{stylesheet}")
            self.assertEqual(response.status_code, 200, stylesheet)
            self.assertIn("text/css", response.headers["Content-Type"])

    def test_a_page_that_got_no_notification_is_not_out_of_date(self):
        """Odoo's outdated-page watcher asks, on each page load, whether the bus
        lost its last notification; without one, nothing was lost."""
        self.authenticate("admin", "admin")
        route = "/bus/has_missed_notifications"
        self.assertFalse(self.make_jsonrpc_request(route, {"last_notification_id": None}))
        self.assertFalse(self.make_jsonrpc_request(route, {}))
        # A notification the bus no longer has is still reported as missed.
        gone = self.env["bus.bus"].create({"channel": '"demo"', "message": "{}"})
        gone_id = gone.id
        gone.unlink()
        self.assertTrue(self.make_jsonrpc_request(route, {"last_notification_id": gone_id}))
