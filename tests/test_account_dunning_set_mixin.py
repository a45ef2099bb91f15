from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import DUE, DunningTestCommon, day


@tagged("post_install", "-at_install")
@freeze_time("2026-03-31")
class TestRecordsAsSets(DunningTestCommon, HttpCase):
    """A run's notices and history entries go in as sets (account.dunning.set.mixin),
    stored as create() stores them, and only the server inserts them so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._create_collector("set_collector")
        cls.manager = cls._create_user("set_manager", "account_dunning.group_dunning_manager")
        cls.salesman = cls._create_user("set_salesman", "sales_team.group_sale_salesman")

    def test_a_runs_notices_are_stored_as_create_stores_them(self):
        self._create_dunning_invoice(self.customer, 100.0, DUE)
        run = self._run_dunning(day(7))
        notice = run.notice_ids
        self.assertEqual(len(notice), 1)
        self.assertRegex(notice.name, r"^DUN/2026/\d+$", "numbered by its sequence")
        self.assertEqual(notice.user_id, self.collector)
        self.assertEqual(notice.company_id, self.company)
        self.assertEqual(notice.sms_state, "none", "a default")
        self.assertEqual((notice.create_uid, notice.write_uid), (self.env.user, self.env.user))
        self.assertTrue(notice.create_date)
        self.env.flush_all()
        self.env.cr.flush()  # mail.thread's tracking is written before a commit
        self.assertEqual(notice.state, "sending")
        self.assertFalse(notice.message_follower_ids, "its collector is not subscribed")
        self.assertFalse(notice.message_ids, "nor is its sending tracked: the run is its record")
        entry = self.env["account.dunning.event"].search([("notice_id", "=", notice.id)])
        self.assertEqual(entry.partner_id, self.customer)
        self.assertEqual(entry.kind, "notice")
        self.assertIn(notice.name, entry.summary)

    def test_a_level_of_another_company_is_refused_and_nothing_goes_in(self):
        other = self.setup_other_company(name="Other Supplies")["company"]
        foreign_level = other.dunning_policy_id.level_ids[:1]
        self.assertTrue(foreign_level)
        Notice = self.env["account.dunning.notice"].sudo()
        before = Notice.search_count([])
        values = {
            "company_id": self.company.id,
            "partner_id": self.customer.id,
            "currency_id": self.company.currency_id.id,
            "level_id": foreign_level.id,
            "date": day(7),
        }
        with self.assertRaises(UserError):
            Notice._insert_set([values])
        self.assertEqual(Notice.search_count([]), before)
        run = self.env["account.dunning.run"].sudo().create({"company_id": self.company.id})
        self.assertFalse(run.notice_ids)
        notice = Notice._insert_set(
            [{**values, "level_id": self.level_friendly.id, "run_id": run.id}]
        )
        self.assertEqual(notice.level_id, self.level_friendly)
        self.assertEqual(notice.state, "draft", "a default")
        self.assertEqual(run.notice_ids, notice, "its run lists it at once")

    def test_a_history_entry_goes_to_the_commercial_customer(self):
        entry = self.env["account.dunning.event"]._record(
            [{"partner_id": self.customer_contact.id, "kind": "call", "summary": "Called"}]
        )
        self.assertEqual(entry.partner_id, self.customer)
        self.assertEqual(entry.company_id, self.env.company)
        self.assertEqual(entry.user_id, self.env.user)
        self.assertTrue(entry.date)
        self.assertIn(entry, self.customer.dunning_event_ids)

    def test_no_role_inserts_a_set_over_rpc(self):
        values = {
            "company_id": self.company.id,
            "partner_id": self.customer.id,
            "currency_id": self.company.currency_id.id,
            "level_id": self.level_friendly.id,
            "date": str(day(7)),
        }
        calls = [
            ("account.dunning.notice", "_insert_set", [[values]]),
            ("account.dunning.event", "_insert_set", [[{"kind": "call", "summary": "x"}]]),
            ("account.dunning.event", "_record", [[{"kind": "call", "summary": "x"}]]),
        ]
        before = self.env["account.dunning.notice"].sudo().search_count([])
        for user in (self.manager, self.collector, self.salesman):
            self.authenticate(user.login, user.login)
            for model, method, args in calls:
                with (
                    self.subTest(user=user.login, method=method),
                    self.assertRaises(JsonRpcException) as refused,
                    mute_logger("odoo.http"),
                ):
                    self.make_jsonrpc_request(
                        f"/web/dataset/call_kw/{model}/{method}",
                        {"model": model, "method": method, "args": args, "kwargs": {}},
                    )
                self.assertEqual(str(refused.exception), "odoo.exceptions.AccessError")
        self.assertEqual(self.env["account.dunning.notice"].sudo().search_count([]), before)

    def test_each_entry_gets_the_defaults_it_leaves_out(self):
        Event = self.env["account.dunning.event"]
        earlier = fields.Datetime.to_datetime("2026-03-01 09:00:00")
        dated, undated = Event._record(
            [
                {"partner_id": self.customer.id, "kind": "call", "summary": "a", "date": earlier},
                {"partner_id": self.customer.id, "kind": "call", "summary": "b"},
            ]
        )
        self.assertEqual(dated.date, earlier)
        self.assertEqual(undated.date, fields.Datetime.now(), "its default, not NULL")
        with self.assertRaises(ValueError):
            Event._record(
                [{"partner_id": self.customer.id, "kind": "call", "summary": "c", "x": 1}]
            )
