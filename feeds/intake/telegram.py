"""Telegram: what a bot sees in the city's groups and channels, through the Bot API's getUpdates.

The cursor is the update offset, `{"offset": N}`: the next update wanted. Telegram forgets the
updates below the offset a call names, and the offset is stored with each message's decision, so
each page is taken before the next is asked for. An edit arrives as an update of its own and is
never a new complaint. Private chats with the bot are not read: the city's groups and channels are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from feeds.answers import MAX_BYTES, REQUEST_SECONDS
from feeds.intake.api import FeedError, Retry, Secrets, call, json_of, new_client
from feeds.intake.feed import Batch, Item
from feeds.intake.messages import MAX_LINE, Message, message

PAGE = 100  # the most getUpdates returns at once
UPDATES = {"message": False, "channel_post": False,
           "edited_message": True, "edited_channel_post": True}  # kind: is an edit
CHATS = ("group", "supergroup", "channel")


def message_url(chat: dict, message_id: int) -> str | None:
    """`https://t.me/<username>/<id>`; a private supergroup's or channel's `t.me/c/` link; None
    for a basic group, which has no links."""
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None


def _author(post: dict) -> str | None:
    sender = post.get("from") or {}
    if sender.get("username"):
        return "@" + sender["username"]
    name = " ".join(x for x in (sender.get("first_name"), sender.get("last_name")) if x)
    return name or post.get("author_signature") or (post.get("chat") or {}).get("title")


def read_update(update: dict) -> tuple[Message | None, bool]:
    """The message an update carries (None: nothing to decide) and whether it is an edit."""
    kind = next((k for k in UPDATES if isinstance(update.get(k), dict)), None)
    if kind is None:
        return None, False
    post, edited = update[kind], UPDATES[kind]
    chat = post.get("chat") or {}
    text = (post.get("text") or post.get("caption") or "").strip()
    if chat.get("type") not in CHATS or not text or "message_id" not in post \
            or len(text) > MAX_LINE:  # 4,096 characters at most on Telegram: not a message
        return None, edited
    posted = datetime.fromtimestamp(int(post.get("date") or 0), UTC)
    return message(None, "telegram", _author(post), text,
                   message_url(chat, int(post["message_id"])), posted), edited


def _read(response: httpx.Response) -> list:
    data = json_of(response)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if response.status_code == 429 or data.get("error_code") == 429:
        asked = (data.get("parameters") or {}).get("retry_after") or response.headers.get(
            "Retry-After")
        raise Retry("Telegram: too many requests", float(asked) if asked else None)
    if not data.get("ok"):
        raise FeedError(f"Telegram error {data.get('error_code') or response.status_code}: "
                        f"{data.get('description') or 'refused'}")
    if not isinstance(data.get("result"), list):
        raise ValueError("no result list")
    return data["result"]


@dataclass
class TelegramSource:
    """`fetch` one page of updates after the cursor's offset."""

    token: str
    api_url: str
    name: str = "telegram"
    max_bytes: int = MAX_BYTES  # of one answer, after decompression
    request_seconds: float = REQUEST_SECONDS  # of one request, its body included

    def fetch(self, cursor: dict[str, Any] | None, now: datetime) -> Batch:
        offset = (cursor or {}).get("offset")
        params: dict[str, Any] = {"limit": PAGE, "timeout": 0,
                                  "allowed_updates": json.dumps(list(UPDATES))}
        if offset is not None:
            params["offset"] = offset
        url = f"{self.api_url.rstrip('/')}/bot{self.token}/getUpdates"
        with new_client() as http:
            result = call(http, "GET", url, Secrets((self.token,)), _read, "getUpdates",
                          max_bytes=self.max_bytes, request_seconds=self.request_seconds,
                          params=params)
        state = {"offset": offset} if offset is not None else {}
        items = []
        updates = sorted((u for u in result if isinstance(u, dict) and _is_id(u.get("update_id"))),
                         key=lambda u: u["update_id"])
        for update in updates:
            update_id = int(update["update_id"])
            if offset is not None and update_id < offset:
                continue
            try:
                msg, edited = read_update(update)
            except (KeyError, TypeError, ValueError, OverflowError, OSError):
                msg, edited = None, False  # not in the documented shape: passed over

            def taken(update_id: int = update_id) -> dict[str, Any]:
                state["offset"] = update_id + 1
                return dict(state)
            items.append(Item(msg, taken, edited))
        # Telegram promises no full pages: the pass reads on until an answer brings nothing
        return Batch(items, lambda: dict(state), more=bool(updates))


def _is_id(value: object) -> bool:
    """An update_id as Telegram gives it: a whole number (a 52-bit one at most)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 53
