"""A local SMTP sink for `make demo`: accepts every message on loopback and
appends one JSON line per message (recipients, subject, attachment names, and the
link to the customer's page that pays it, when the email has one)."""

import argparse
import email
import email.policy
import json
import re
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("html", "plain"))
        link = re.search(
            r'href="([^"]*/my/(?:dunning|payment_plans|statement)/[^"]*)"',
            body.get_content() if body else "",
        )
        record = {
            "to": envelope.rcpt_tos,
            # A long subject is folded onto its own line ("Subject:\r\n <text>"), which
            # the parser keeps as a leading space: the subject is its words.
            "subject": " ".join(str(message["subject"]).split()),
            "attachments": [part.get_filename() for part in message.iter_attachments()],
            "pay_link": link and link.group(1).replace("&amp;", "&"),
        }
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    controller = Controller(Sink(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        while True:
            time.sleep(1)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
