"""Delivering one alert: by e-mail (any SMTP server) or by Telegram's Bot API.

One attempt per call; the notifier retries with backoff across passes. Every error leaves here as
a `DeliveryError` whose text went through `Redactor`: the bot's token (part of the Bot API's
URL, which httpx names in its errors) and the SMTP password never reach a log, an output or a row.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from reports.alert_rules import Smtp

logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token's URL
logging.getLogger("httpcore").setLevel(logging.WARNING)

TIMEOUT_SECONDS = 30.0
TELEGRAM_TEXT = 4096  # the Bot API's longest message
TELEGRAM_CAPTION = 1024  # and a document's longest caption


class DeliveryError(RuntimeError):
    """One attempt failed; the text is one redacted line."""


@dataclass(frozen=True)
class Redactor:
    """Replaces each secret value by *** wherever it appears."""

    secrets: tuple[str, ...] = field(default=())

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return " ".join(text.split())


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    mime: str = "application/pdf"


def send_email(smtp: Smtp, to: str, subject: str, text: str, message_id: str,
               attachment: Attachment | None, redact: Redactor) -> None:
    """One e-mail. Its Message-ID is the alert's own, the same at every attempt, so a mail system
    that received a message and lost the answer files a repeat as the same message."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = smtp.sender, to, subject
    message["Date"], message["Message-ID"] = formatdate(localtime=False), message_id
    message.set_content(text)
    if attachment is not None:
        main, sub = attachment.mime.split("/")
        message.add_attachment(attachment.content, maintype=main, subtype=sub,
                               filename=attachment.name)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            refused = server.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(redact(f"e-mail to {to}: {type(error).__name__}: {error}")) from None
    if refused:
        raise DeliveryError(redact(f"e-mail to {to}: refused: {refused}"))


def send_telegram(api_url: str, token: str, chat: str, text: str,
                  attachment: Attachment | None, redact: Redactor) -> None:
    """One Telegram message (sendMessage), or a document with the text as its caption
    (sendDocument)."""
    base = f"{api_url}/bot{token}"
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
            if attachment is None:
                response = client.post(f"{base}/sendMessage", json={
                    "chat_id": chat, "text": text[:TELEGRAM_TEXT],
                    "disable_web_page_preview": True})
            else:
                response = client.post(
                    f"{base}/sendDocument",
                    data={"chat_id": chat, "caption": text[:TELEGRAM_CAPTION]},
                    files={"document": (attachment.name, attachment.content, attachment.mime)})
    except httpx.HTTPError as error:
        raise DeliveryError(redact(f"telegram {chat}: {type(error).__name__}: {error}")) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not answer.get("ok"):
        said = answer.get("description") or response.reason_phrase
        raise DeliveryError(redact(f"telegram {chat}: HTTP {response.status_code}: {said}"))
