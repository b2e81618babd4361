"""aiosmtpd handler for Go tests (internal/testsmtp).

Each accepted message is written to DIR/NNNNNN.json (envelope plus the raw
bytes in base64) by an atomic rename, so the Go side never reads half a file.
DIR/mode, read at every RCPT, picks the answer: "" accepts, "tempfail" says
451, "reject" says 550.
"""

import base64
import json
import os


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("store.Store wants one argument: the message directory")
        return cls(args[0])

    def mode(self):
        try:
            with open(os.path.join(self.directory, "mode")) as f:
                return f.read().strip()
        except FileNotFoundError:
            return ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode = self.mode()
        if mode == "tempfail":
            return "451 4.3.0 Mailbox busy, try again later (testsmtp)"
        if mode == "reject":
            return "550 5.1.1 Mailbox unavailable (testsmtp)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.directory, "%06d.json" % self.count)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": base64.b64encode(envelope.original_content).decode("ascii"),
        }
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK stored"
