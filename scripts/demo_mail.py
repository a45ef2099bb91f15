# Run inside `odoo shell` by `make demo`: the demo's day (demo/demo_day.py), its emails
# sent through the local SMTP sink and its text messages through a local stand-in for
# Odoo's SMS service, so that nothing leaves the machine. SMTP_PORT and REPORT_URL
# come from the environment.
import json
import os
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.addons.account_dunning.demo.demo_day import play_demo_day


class SmsSink(BaseHTTPRequestHandler):
    """Answers as Odoo's SMS service does (/api/sms/3/send, JSON-RPC): each message
    accepted, and printed."""

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        results = []
        for message in request["params"]["messages"]:
            for number in message["numbers"]:
                print(f"SMS to {number['number']}: {message['content']}")
                results.append({"uuid": number["uuid"], "state": "success", "credit": 1})
        body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": results})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@contextmanager
def local_sms_service(env):
    """Odoo's SMS endpoint pointed at the sink for the day, then put back."""
    params = env["ir.config_parameter"].sudo()  # sudo: a system parameter
    previous = params.get_param("sms.endpoint")
    server = ThreadingHTTPServer(("127.0.0.1", 0), SmsSink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    params.set_param("sms.endpoint", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield
    finally:
        params.set_param("sms.endpoint", previous or False)
        server.shutdown()


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
with local_sms_service(env):
    for line in play_demo_day(env, report_url=os.environ["REPORT_URL"]):
        print(line)
env.cr.commit()
