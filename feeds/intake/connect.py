"""The connector the settings name for `python -m db intake --from vk|telegram` (its passes
are run by db/cli/intake.py; its answers bounded by `CITYDESK_FEED_MAX_MB` and
`CITYDESK_FEED_REQUEST_SECONDS`, as the sync's are), and the decisions each pass counts."""

from __future__ import annotations

from db import config
from feeds.intake.feed import Source
from feeds.intake.telegram import TelegramSource
from feeds.intake.vk import VkSource, parse_groups

SHOWN = ("ticket", "duplicate", "rejected", "ignored", "edited", "skipped")


def make_source(network: str) -> Source:
    """The connector the settings describe; ValueError names a missing or bad setting."""
    if network == "vk":
        token = config.vk_token()
        if not token:
            raise ValueError("CITYDESK_VK_TOKEN is not set: see docs/feeds.md")
        return VkSource(token, parse_groups(config.vk_groups()), config.vk_api_url(),
                        max_bytes=config.feed_max_bytes(),
                        request_seconds=config.feed_request_seconds())
    token = config.telegram_token()
    if not token:
        raise ValueError("CITYDESK_TELEGRAM_TOKEN is not set: see docs/feeds.md")
    return TelegramSource(token, config.telegram_api_url(), max_bytes=config.feed_max_bytes(),
                          request_seconds=config.feed_request_seconds())
