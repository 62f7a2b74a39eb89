"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

Usage: smtp_sink.py PORT OUTDIR. Prints "ready" once it listens; stops when stdin closes.
Each message becomes OUTDIR/NNNN.json with the envelope and the message as Python's own
e-mail parser decodes it (subject, plain text, HTML), plus the raw Subject header.
"""

import email
import json
import os
import sys
from email import policy

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.content
        msg = email.message_from_bytes(raw, policy=policy.default)
        plain = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "subject": str(msg["subject"]),
            "raw_subject": email.message_from_bytes(raw)["Subject"],
            "text": plain.get_content() if plain is not None else None,
            "html": html.get_content() if html is not None else None,
            "content_type": msg.get_content_type(),
        }
        self.n += 1
        path = os.path.join(self.out, "%04d.json" % self.n)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return "250 OK"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Keep(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
