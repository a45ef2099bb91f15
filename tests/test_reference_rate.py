from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from urllib.parse import urlparse

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import DunningTestCommon

DATA = Path(__file__).parent / "data"


@tagged("post_install", "-at_install")
class TestReferenceRate(DunningTestCommon):
    def test_history_ships_from_2013(self):
        Rate = self.env["account.dunning.reference.rate"]
        for rate_type in ("ecb", "de_base", "boe"):
            rates = Rate.search([("rate_type", "=", rate_type)])
            self.assertGreaterEqual(len(rates), 26, rate_type)
            self.assertLessEqual(min(rates.mapped("date_from")), date(2013, 1, 1))

    def test_statutory_steps_per_half_year(self):
        Rate = self.env["account.dunning.reference.rate"]
        first, last = date(2024, 6, 1), date(2024, 7, 30)
        self.assertEqual(
            Rate._get_statutory_rate_steps("eu", first, last),
            [(date(2024, 1, 1), Decimal("12.50")), (date(2024, 7, 1), Decimal("12.25"))],
        )
        self.assertEqual(
            Rate._get_statutory_rate_steps("de_b2b", first, last),
            [(date(2024, 1, 1), Decimal("12.62")), (date(2024, 7, 1), Decimal("12.37"))],
        )
        self.assertEqual(
            Rate._get_statutory_rate_steps("fr", first, last)[1],
            (date(2024, 7, 1), Decimal("14.25")),
        )
        # UK: the rate is fixed per debt, the one of the 31 December / 30 June before
        # it became overdue: overdue from 1 March 2023, the rate of 31 December 2022
        # (3.50 %) holds to the end, though the Bank Rate was 5.25 % in 2024.
        self.assertEqual(
            Rate._get_statutory_rate_steps("uk", first, last, overdue_from=date(2023, 3, 1)),
            [(first, Decimal("11.50"))],
        )

    def test_missing_rate_is_said_not_guessed(self):
        Rate = self.env["account.dunning.reference.rate"]
        with self.assertRaisesRegex(UserError, "ECB.*2040-01-01"):
            Rate._get_statutory_rate_steps("eu", date(2040, 2, 1), date(2040, 3, 1))

    def test_administrators_edit_rates_others_read_them(self):
        billing = self._create_user("rate_billing", "account.group_account_invoice")
        manager = self._create_user("rate_manager", "account_dunning.group_dunning_manager")
        admin = self._create_user("rate_admin", "base.group_system")
        Rate = self.env["account.dunning.reference.rate"]
        values = {"rate_type": "ecb", "date_from": "2027-01-01", "rate": 2}
        for user in (billing, manager):
            self.assertTrue(Rate.with_user(user).search_count([]))
            with self.assertRaises(AccessError):
                Rate.with_user(user).create(values)
        Rate.with_user(admin).create(values)
        steps = Rate._get_statutory_rate_steps("eu", date(2027, 2, 1), date(2027, 3, 1))
        self.assertEqual(steps, [(date(2027, 1, 1), Decimal("10.0"))])


class _PublisherHandler(BaseHTTPRequestHandler):
    """Serves the publishers' answers from tests/data, by path."""

    files = {
        "/ecb": "ecb_mro.xml",
        "/bundesbank": "bundesbank_su0115.xml",
        "/boe": "boe_iudbedr.xml",
    }

    def do_GET(self):
        name = self.files.get(urlparse(self.path).path)
        if not name:
            self.send_error(404)
            return
        body = (DATA / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestReferenceRateFetch(DunningTestCommon):
    """The scheduled job reads the publishers' real answer formats, here served by a
    local HTTP server on loopback."""

    def setUp(self):
        super().setUp()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _PublisherHandler)
        Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("account_dunning.reference_rate_url_ecb", f"{base}/ecb?detail=dataonly")
        params.set_param("account_dunning.reference_rate_url_de_base", f"{base}/bundesbank")
        params.set_param("account_dunning.reference_rate_url_boe", f"{base}/boe?xml.x=yes")
        self.Rate = self.env["account.dunning.reference.rate"]
        for xmlid in ("ecb_2026_07_01", "de_base_2026_07_01", "boe_2026_06_30"):
            self.env.ref(f"account_dunning.reference_rate_{xmlid}").unlink()

    def _fetch(self):
        with freeze_time("2026-11-23"):
            return self.env.ref(
                "account_dunning.ir_cron_dunning_fetch_reference_rates"
            ).method_direct_trigger()

    def _rates(self, rate_type, day):
        return self.Rate.search([("rate_type", "=", rate_type), ("date_from", "=", day)])

    def test_new_half_years_are_recorded_with_their_source(self):
        self._fetch()
        ecb = self._rates("ecb", "2026-07-01")
        self.assertEqual(ecb.rate, 2.4)
        self.assertIn("/ecb?detail=dataonly, read on 2026-11-23", ecb.source)
        self.assertEqual(self._rates("de_base", "2026-07-01").rate, 1.52)
        self.assertEqual(self._rates("boe", "2026-06-30").rate, 3.75)
        # The shipped rates stay as they were.
        self.assertIn("ECB monetary policy decisions", self._rates("ecb", "2026-01-01").source)
        # Rerun-safe: nothing new the second time.
        count = self.Rate.search_count([])
        self._fetch()
        self.assertEqual(self.Rate.search_count([]), count)

    def test_a_publisher_that_fails_does_not_stop_the_others(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_dunning.reference_rate_url_ecb",
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("account_dunning.reference_rate_url_ecb")
            .replace("/ecb", "/gone"),
        )
        with self.assertLogs(
            "odoo.addons.account_dunning.models.account_dunning_reference_rate", "WARNING"
        ) as logs:
            self._fetch()
        self.assertIn("could not read ecb", logs.output[0])
        self.assertFalse(self._rates("ecb", "2026-07-01"))
        self.assertEqual(self._rates("de_base", "2026-07-01").rate, 1.52)

    def test_a_recorded_rate_is_never_overwritten(self):
        self.env.ref("account_dunning.reference_rate_ecb_2026_01_01").rate = 2.0
        with self.assertLogs(
            "odoo.addons.account_dunning.models.account_dunning_reference_rate", "WARNING"
        ) as logs:
            self._fetch()
        self.assertEqual(self._rates("ecb", "2026-01-01").rate, 2.0)
        self.assertTrue(any("published as 2.15" in line for line in logs.output))

    def test_off_by_default_and_switched_on_in_settings(self):
        cron = self.env.ref("account_dunning.ir_cron_dunning_fetch_reference_rates")
        self.assertFalse(cron.active)
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.dunning_fetch_reference_rates)
        settings.dunning_fetch_reference_rates = True
        settings.execute()
        self.assertTrue(cron.active)
