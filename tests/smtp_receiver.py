"""A minimal SMTP receiver on loopback for delivery tests (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""

from __future__ import annotations

import socketserver
import threading


class SmtpReceiver:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())

            def handle(self) -> None:
                self.reply("220 loopback ESMTP")
                mail: dict = {"from": None, "to": [], "data": b""}
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    cmd = raw.decode("utf-8", "replace").strip()
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250-loopback")
                        self.reply("250 8BITMIME")
                    elif verb == "MAIL":
                        mail = {"from": cmd[10:], "to": [], "data": b""}
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        mail["to"].append(cmd[8:])
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        lines = []
                        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            lines.append(line)
                        mail["data"] = b"".join(lines)
                        receiver.messages.append(mail)
                        self.reply("250 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = (f"mailto://127.0.0.1:{self.port}?mode=insecure&from=policywatch@example.org"
                    "&to=ana@example.org")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
