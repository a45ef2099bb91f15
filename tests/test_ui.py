import base64
import json
import os
from pathlib import Path

from odoo import Command, fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser, new_test_user

# Waits for a selector, clicks what it is told to, checks a chart once drawn, and
# signals success; any error in the page (a broken view, a traceback) fails the test.
SCRIPT = """
(async () => {
    const waitFor = async (selector) => {
        for (let i = 0; i < 200; i++) {
            const el = document.querySelector(selector);
            if (el) { return el; }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error("not found: " + selector);
    };
    const waitGone = async (selector) => {
        for (let i = 0; i < 200; i++) {
            if (!document.querySelector(selector)) { return; }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error("still there: " + selector);
    };
    for (const [action, selector, expected] of %(steps)s) {
        // Gone: what a click made the page take away (e.g. a button done with).
        if (action === "gone") { await waitGone(selector); continue; }
        const el = await waitFor(selector);
        if (action === "click") { el.click(); }
        if (action === "scroll") { el.scrollIntoView(); }
        // A chart's canvas, once drawn: Chart.js animates for a second.
        if (action === "chart") {
            while (!Chart.getChart(el)) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            await new Promise((resolve) => setTimeout(resolve, 1500));
        }
        // Its series (the legend) must include the expected ones.
        if (action === "series") {
            const labels = Chart.getChart(el).data.datasets.map((dataset) => dataset.label);
            for (const label of expected) {
                if (!labels.includes(label)) {
                    throw new Error(`series ${label} not in ${labels}`);
                }
            }
        }
        if (action === "points" && Chart.getChart(el).data.labels.length < expected) {
            throw new Error(`fewer than ${expected} points`);
        }
    }
    console.log("test successful");
})();
"""


@tagged("post_install", "-at_install")
class TestDunningUi(HttpCase):
    """The collectors' screens open in a real browser, without errors."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Browser Customer", "is_company": True, "email": "ui@example.com"}
        )
        due = fields.Date.subtract(fields.Date.today(), days=10)
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": cls.company.id,
                "partner_id": cls.customer.id,
                "invoice_date": due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Work", "quantity": 1, "price_unit": 321.0})
                ],
            }
        )
        cls.invoice.action_post()
        cls.dunning_run = (
            cls.env["account.dunning.run"]
            .with_company(cls.company)
            .create({"company_id": cls.company.id})
            ._run_dunning()
        )
        cls.notice = cls.dunning_run.notice_ids.filtered(lambda n: n.partner_id == cls.customer)

    def _check(self, url, steps, screenshot=None, login="admin"):
        code = SCRIPT % {"steps": json.dumps(steps)}
        self.browser_js(url, code, login=login, timeout=90)
        if screenshot and os.environ.get("ACCOUNT_DUNNING_SCREENSHOTS"):
            self._screenshot(url, code, login, screenshot)

    def _screenshot(self, url, code, login, name):
        """`make screenshots` keeps what the browser shows for the README: the page
        of `url` once `code` succeeded, as browser_js opens it."""
        browser = ChromeBrowser(self)
        try:
            self.authenticate(login, login, browser=browser)
            browser.navigate_to(f"{self.base_url()}{url}", wait_stop=True)
            browser._wait_code_ok(code, 90)
            image = browser._websocket_request("Page.captureScreenshot", params={})
        finally:
            browser.stop()
        folder = Path(os.environ["ACCOUNT_DUNNING_SCREENSHOTS"])
        (folder / f"{name}.png").write_bytes(base64.b64decode(image["data"]))

    def test_customer_collections_tab(self):
        self._check(
            f"/odoo/res.partner/{self.customer.id}",
            [
                ("click", ".o_notebook a[name='dunning']"),
                ("wait", "div[name='dunning_overdue_amount']"),
                ("wait", "button[name='action_view_dunning_notices']"),
            ],
        )

    def test_invoice_collections_and_history(self):
        self._check(
            f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}",
            [
                # How late and at which level: in the header, not under Other Info.
                ("wait", "div[name='dunning_status'] div[name='dunning_level_id']"),
                ("wait", "div[name='dunning_status'] div[name='dunning_days_overdue']"),
                ("click", ".o_notebook a[name='dunning_history']"),
                ("wait", "div[name='dunning_notice_line_ids'] .o_data_row"),
            ],
        )

    def test_notice_and_run(self):
        self.assertTrue(self.notice)
        self._check(
            f"/odoo/action-account_dunning.action_account_dunning_notice/{self.notice.id}",
            [("wait", "div[name='line_ids'] .o_data_row"), ("wait", ".o-mail-Chatter")],
        )
        self._check(
            f"/odoo/action-account_dunning.action_account_dunning_run/{self.dunning_run.id}",
            [("wait", ".o_form_view button[name='action_view_notices']")],
        )

    def test_run_wizard_preview(self):
        self._check(
            "/odoo/action-account_dunning.action_account_dunning_run_wizard",
            [
                ("click", ".modal button[name='action_preview']"),
                ("wait", ".modal div[name='examined_count']"),
            ],
        )

    def test_collector_logs_a_call_with_a_promise_from_the_worklist(self):
        collector = new_test_user(
            self.env,
            login="tour_collector",
            name="Tess Collector",
            groups="account_dunning.group_dunning_user,base.group_partner_manager",
            company_id=self.company.id,
        )
        customer = self.env["res.partner"].create(
            {
                "name": "Tourmaline Tiles",
                "is_company": True,
                "email": "tiles@example.com",
                "phone": "+1 555 0100",
            }
        )
        customer.with_company(self.company).dunning_responsible_id = collector
        today = fields.Date.today()
        friendly = self.company.dunning_policy_id._get_ordered_levels()[1]
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": self.company.id,
                "partner_id": customer.id,
                "invoice_date": fields.Date.subtract(today, days=50),
                "invoice_date_due": fields.Date.subtract(today, days=20),
                "invoice_line_ids": [
                    Command.create({"name": "Tiles", "quantity": 1, "price_unit": 640.0})
                ],
            }
        )
        invoice.action_post()
        invoice.write(
            {
                "dunning_level_id": friendly.id,
                "last_dunning_date": fields.Date.subtract(today, days=13),
            }
        )
        # An earlier promise was broken: its follow-up waits for the collector.
        broken = self.env["account.dunning.promise"].create(
            {
                "company_id": self.company.id,
                "partner_id": customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 640.0,
                "date": fields.Date.subtract(today, days=30),
            }
        )
        self.env["account.dunning.promise"]._action_check_due(self.company, today)
        self.assertEqual(broken.state, "broken")
        follow_up = broken.activity_id
        self.assertEqual(follow_up.user_id, collector)
        (
            self.env["account.dunning.run"]
            .with_company(self.company)
            .create({"company_id": self.company.id})
            ._run_dunning()
        )
        call = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("id", "!=", follow_up.id),
            ]
        )
        self.assertEqual(
            (call.activity_type_id, call.user_id),
            (self.env.ref("account_dunning.mail_activity_type_dunning_call"), collector),
        )

        self.start_tour(
            "/odoo/action-account_dunning.action_account_dunning_worklist",
            "account_dunning_collector_call",
            login=collector.login,
        )
        self._check(
            "/odoo/action-account_dunning.action_account_dunning_worklist",
            [("wait", ".o_data_row td[name='next_action']")],
            screenshot="worklist",
            login=collector.login,
        )
        self.assertFalse(call.exists(), "the call is done")
        self.assertFalse(
            self.env["mail.activity"].search([("id", "=", follow_up.id)]),
            "the new promise answers the broken one's follow-up",
        )
        promise = self.env["account.dunning.promise"].search(
            [("partner_id", "=", customer.id), ("state", "=", "open")]
        )
        self.assertRecordValues(
            promise,
            [
                {
                    "amount": 640.0,
                    "date": fields.Date.to_date("2099-12-24"),
                    "note": "Pays on Christmas Eve",
                    "user_id": collector.id,
                    "move_ids": invoice.ids,
                }
            ],
        )
        entry = self.env["account.dunning.event"].search(
            [("partner_id", "=", customer.id), ("kind", "=", "call")]
        )
        self.assertEqual((entry.call_outcome, entry.promise_id), ("promise", promise))
        # The customer's collection history shows the notice, the call and the promise.
        self._check(
            f"/odoo/res.partner/{customer.id}",
            [
                ("click", ".o_notebook a[name='dunning']"),
                ("wait", "div[name='dunning_event_ids'] .o_data_row"),
                ("wait", "div[name='dunning_event_ids'] td[name='call_outcome']"),
                ("scroll", ".o_notebook a[name='dunning']"),
            ],
            screenshot="customer-history",
            login=collector.login,
        )

    def test_held_final_demand_previewed_then_sent(self):
        collector = new_test_user(
            self.env,
            login="tour_final",
            name="Fin Collector",
            groups="account_dunning.group_dunning_user",
            company_id=self.company.id,
        )
        customer = self.env["res.partner"].create(
            {"name": "Final Frames", "is_company": True, "email": "frames@example.com"}
        )
        today = fields.Date.today()
        levels = self.company.dunning_policy_id._get_ordered_levels()
        second = levels.filtered(lambda level: level.letter_kind == "second")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": self.company.id,
                "partner_id": customer.id,
                "invoice_date": fields.Date.subtract(today, days=80),
                "invoice_date_due": fields.Date.subtract(today, days=50),
                "invoice_line_ids": [
                    Command.create({"name": "Frames", "quantity": 1, "price_unit": 880.0})
                ],
            }
        )
        invoice.action_post()
        invoice.write(
            {
                "dunning_level_id": second.id,
                "last_dunning_date": fields.Date.subtract(today, days=15),
            }
        )
        run = (
            self.env["account.dunning.run"]
            .with_company(self.company)
            .create({"company_id": self.company.id})
            ._run_dunning()
        )
        notice = run.notice_ids.filtered(lambda notice: notice.partner_id == customer)
        self.assertRecordValues(notice, [{"state": "draft", "letter_kind": "final"}])
        url = f"/odoo/action-account_dunning.action_account_dunning_notice/{notice.id}"
        if os.environ.get("ACCOUNT_DUNNING_SCREENSHOTS"):
            self._check(
                url,
                [
                    ("click", "button[name='action_preview_email']"),
                    ("wait", ".modal div[name='body_html'] table"),
                ],
                screenshot="held-notice-preview",
                login=collector.login,
            )

        self.start_tour(url, "account_dunning_held_notice", login=collector.login)
        self.assertRecordValues(
            notice, [{"state": "sending", "email_state": "pending", "letter_state": "to_print"}]
        )
        self.assertFalse(
            self.env["account.dunning.notice.send"]._get_kept_letters(notice),
            "a preview keeps no letter on the notice as the letter sent",
        )

    def _activity(self, partner, dunning_call):
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                # A collection call is an activity of the addon's own type; core's
                # "Call" is any other call.
                "activity_type_id": self.env.ref(
                    "account_dunning.mail_activity_type_dunning_call"
                    if dunning_call
                    else "mail.mail_activity_data_call"
                ).id,
                "summary": "Call about the overdue invoice",
                "user_id": self.env.ref("base.user_admin").id,
            }
        )

    def test_mark_done_on_a_collection_call_asks_for_its_outcome(self):
        call = self._activity(self.customer, dunning_call=True)
        self._check(
            f"/odoo/res.partner/{self.customer.id}",
            [
                ("click", ".o-mail-Activity-markDone"),
                ("wait", ".modal div[name='outcome'] input[data-value='no_answer']"),
            ],
        )
        self.assertTrue(call.exists(), "not done until its outcome is given")
        # Any other activity is marked done as Odoo does it.
        other = self.env["res.partner"].create({"name": "Plain Call Ltd", "is_company": True})
        self._activity(other, dunning_call=False)
        self._check(
            f"/odoo/res.partner/{other.id}",
            [("click", ".o-mail-Activity-markDone"), ("wait", ".o-mail-ActivityMarkAsDone")],
        )
