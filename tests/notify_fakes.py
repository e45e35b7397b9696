"""What the notifier talks to, on loopback: a real SMTP server (aiosmtpd) and a stand-in for
Telegram's Bot API that records sendMessage and sendDocument as Telegram would receive them."""

from __future__ import annotations

import email
import json
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mail:
    to: list[str]
    subject: str
    text: str
    attachments: dict[str, bytes]
    message_id: str


class MailBox:
    """The SMTP server's handler: keeps every message it accepted; `refuse` answers 451 to the
    next that many messages."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.refuse = 0
        self.logins: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 try again later"
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            self.mails.append(Mail(
                to=list(envelope.rcpt_tos), subject=str(message["Subject"]),
                text=body.get_content() if body else "",
                attachments={part.get_filename(): part.get_content()
                             for part in message.iter_attachments()},
                message_id=str(message["Message-ID"])))
        return "250 OK"


def smtp_server(user: str, password: str) -> tuple[Controller, MailBox]:
    """A started SMTP server on loopback that wants `user` and `password` (AUTH LOGIN/PLAIN
    without TLS: loopback only)."""
    box = MailBox()

    def check(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
            and auth_data.password.decode() == password
        return AuthResult(success=ok)

    controller = Controller(box, hostname="127.0.0.1", port=free_port(), authenticator=check,
                            auth_require_tls=False)
    controller.start()
    return controller, box


@dataclass
class Sent:
    method: str
    chat: str
    text: str
    document: str | None = None
    size: int = 0


@dataclass
class BotApi:
    """The fake Bot API's state: what it received, and how it misbehaves."""

    token: str
    sent: list[Sent] = field(default_factory=list)
    fail: int = 0  # answer the next this many requests 502, echoing the path (with the token)
    hold_at: int | None = None  # hold the request that would be the hold_at-th recorded one
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.sent.clear()
            self.fail, self.hold_at = 0, None
            self.held.clear()
            self.release.clear()


def bot_server(token: str) -> tuple[ThreadingHTTPServer, BotApi]:
    """A started fake Bot API on loopback; its base URL is `http://127.0.0.1:{port}`."""
    api = BotApi(token)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            prefix = f"/bot{api.token}/"
            if not self.path.startswith(prefix):
                self._answer(401, {"ok": False, "description": "Unauthorized"})
                return
            method = self.path[len(prefix):]
            with api.lock:
                if api.fail:
                    api.fail -= 1
                    failing = True
                else:
                    failing = False
                hold = api.hold_at is not None and len(api.sent) + 1 == api.hold_at
            if failing:
                self._answer(502, {"ok": False, "description": f"Bad Gateway at {self.path}"})
                return
            if hold:  # the sender is killed meanwhile: the request is never completed
                api.held.set()
                api.release.wait(30)
                self._answer(500, {"ok": False, "description": "lost"})
                return
            if method == "sendMessage":
                payload = json.loads(body)
                sent = Sent(method, str(payload["chat_id"]), payload["text"])
            elif method == "sendDocument":
                parts = email.message_from_bytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n"
                    + body, policy=policy.default)
                fields = {p.get_param("name", header="content-disposition"): p
                          for p in parts.iter_parts()}
                document = fields["document"]
                content = document.get_payload(decode=True)
                sent = Sent(method, fields["chat_id"].get_content().strip(),
                            fields["caption"].get_content().strip(),
                            document.get_filename(), len(content))
                if not content.startswith(b"%PDF"):
                    self._answer(400, {"ok": False, "description": "not a document"})
                    return
            else:
                self._answer(404, {"ok": False, "description": "Not Found"})
                return
            with api.lock:
                api.sent.append(sent)
            self._answer(200, {"ok": True, "result": {"message_id": len(api.sent)}})

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, api
