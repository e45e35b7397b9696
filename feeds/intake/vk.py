"""VK: the walls of the city's communities and the comments under their posts (API 5.199).

Each pass reads every community's wall newest first (`wall.get`) down to the watch window (and
further, down to the cursor, after a long stop), then the comments (`wall.getComments`, oldest
first) of each post in the window whose comment count changed. The cursor keeps, per community,
the newest post id taken and, per watched post, the last comment id taken and the count seen:

    {"12345": {"post": 10021, "comments": {"10014": [10044, 3]}}}

Post and comment ids grow with time, so "taken" is an id below which everything was taken. An
edited post keeps its id, so it is never taken again. Replies inside a comment's thread are not
read (VK returns them only per thread).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from feeds.answers import MAX_BYTES, REQUEST_SECONDS
from feeds.intake.api import FeedError, Retry, Secrets, call, json_of, new_client, paced
from feeds.intake.feed import Batch, Item
from feeds.intake.messages import MAX_LINE, Message, message

API_VERSION = "5.199"
PAGE = 100  # the most wall.get and wall.getComments return at once
MAX_PAGES = 100  # of one wall in one pass: 10,000 posts
WATCH = timedelta(days=7)  # how long after a post its comments are read; the first run's reach
PACE_SECONDS = 0.34  # VK allows a user's token 3 calls a second
RETRIED_ERRORS = {6: "too many requests per second", 10: "internal server error"}


def post_url(group: int, post: int) -> str:
    return f"https://vk.com/wall-{group}_{post}"


def comment_url(group: int, post: int, comment: int) -> str:
    return f"{post_url(group, post)}?reply={comment}"


class Stream:
    """Ids of one stream (a wall's posts, one post's comments) fetched this pass; `position` is
    the highest id up to which every one fetched is taken."""

    def __init__(self, position: int, ids: list[int]) -> None:
        self.position = position
        self.pending = sorted(ids)
        self.done: set[int] = set()

    def take(self, item_id: int) -> None:
        self.done.add(item_id)
        while self.pending and self.pending[0] in self.done:
            self.position = max(self.position, self.pending.pop(0))


@dataclass
class Wall:
    """One community's new posts and comments, and the state its cursor is built from."""

    group: int
    posts: Stream
    # post id: (its comments, the count seen before, the count now)
    comments: dict[int, tuple[Stream, int, int]] = field(default_factory=dict)
    items: list[tuple[datetime, int, Message | None, Any]] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        return {"post": self.posts.position, "comments": {
            str(post): [stream.position, new if not stream.pending else old]
            for post, (stream, old, new) in sorted(self.comments.items())}}


def _coordinates(post: dict) -> tuple[float | None, float | None]:
    """`geo.coordinates` as VK sends it: "lat lon", or {"latitude", "longitude"}."""
    where = (post.get("geo") or {}).get("coordinates")
    try:
        if isinstance(where, str):
            lat, lon = where.split()
            return float(lat), float(lon)
        if isinstance(where, dict):
            return float(where["latitude"]), float(where["longitude"])
    except (KeyError, TypeError, ValueError):
        pass
    return None, None


def _names(response: dict) -> dict[int, str]:
    """Authors' names from an `extended=1` answer: users by id, communities by −id."""
    names = {p["id"]: " ".join(x for x in (p.get("first_name"), p.get("last_name")) if x)
             for p in response.get("profiles") or [] if "id" in p}
    names.update({-g["id"]: g.get("name") or "" for g in response.get("groups") or [] if "id" in g})
    return names


def _usable(item: object) -> bool:
    """An item (post, comment) with a whole-number id and a date a message can have: a poison
    one (an id of 5,000 digits, a date of 10^20) is passed over, never the pass."""
    if not isinstance(item, dict):
        return False
    key, date = item.get("id"), item.get("date")
    if not isinstance(key, int) or isinstance(key, bool) or not 0 < key < 2 ** 53:
        return False
    try:
        datetime.fromtimestamp(int(date), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    return True


def _message(item: dict, url: str, names: dict[int, str]) -> Message | None:
    text = item.get("text") or ""
    text = text.strip() if isinstance(text, str) else ""
    if not text or item.get("deleted") or len(text) > MAX_LINE:
        return None
    lat, lon = _coordinates(item)
    author = names.get(item.get("from_id") or 0) or (
        f"id{item['from_id']}" if item.get("from_id") else None)
    return message(None, "vk", author, text, url, datetime.fromtimestamp(int(item["date"]), UTC),
                   lat, lon)


@dataclass
class VkSource:
    """`fetch` what the communities posted since the cursor (see the module's docstring)."""

    token: str
    groups: tuple[int, ...]
    api_url: str
    watch: timedelta = WATCH
    pace_seconds: float = PACE_SECONDS
    name: str = "vk"
    max_bytes: int = MAX_BYTES  # of one answer, after decompression
    request_seconds: float = REQUEST_SECONDS  # of one request, its body included

    def __post_init__(self) -> None:
        self._secrets = Secrets((self.token,))
        self._gate = paced(self.pace_seconds)

    def _call(self, client: httpx.Client, method: str, **params: Any) -> dict:
        def read(response: httpx.Response) -> dict:
            if response.status_code == 429:
                raise Retry("HTTP 429", _seconds(response.headers.get("Retry-After")))
            data = json_of(response)
            error = data.get("error") if isinstance(data, dict) else None
            if error:
                code, text = error.get("error_code"), error.get("error_msg") or ""
                if code in RETRIED_ERRORS:
                    raise Retry(f"VK error {code}: {text}")
                raise FeedError(f"VK error {code}: {text}")
            if response.status_code >= 400:
                raise FeedError(f"HTTP {response.status_code}")
            if not isinstance(data, dict) or not isinstance(data.get("response"), dict):
                raise ValueError("no response object")
            return data["response"]

        self._gate()
        form = {k: str(v) for k, v in params.items()} | {
            "v": API_VERSION, "access_token": self.token}
        # The token goes in the form body, never in the URL.
        return call(client, "POST", f"{self.api_url.rstrip('/')}/{method}", self._secrets, read,
                    method, max_bytes=self.max_bytes, request_seconds=self.request_seconds,
                    data=form)

    def _wall(self, client: httpx.Client, group: int, state: dict | None,
              now: datetime) -> Wall:
        since = (state or {}).get("post")
        horizon = now - self.watch
        posts: list[dict] = []
        names: dict[int, str] = {}
        offset = 0
        for _ in range(MAX_PAGES):
            page = self._call(client, "wall.get", owner_id=-group, offset=offset, count=PAGE,
                              extended=1)
            raw = page.get("items") or []
            items = [p for p in raw if _usable(p)]
            names |= _names(page)
            posts += [p for p in items if p.get("post_type") not in ("postpone", "suggest")]
            offset += len(raw)
            older = [p for p in items if not p.get("is_pinned")
                     and datetime.fromtimestamp(int(p["date"]), UTC) < horizon
                     and (since is None or p["id"] <= since)]
            if not raw or older or offset >= int(page.get("count") or 0):
                break

        def is_new(p: dict) -> bool:
            if since is not None:
                return p["id"] > since
            return datetime.fromtimestamp(int(p["date"]), UTC) >= horizon

        # The first run starts above the newest post it leaves to the past.
        start = since if since is not None else max(
            (p["id"] for p in posts if not is_new(p)), default=0)
        wall = Wall(group, Stream(start, []))
        watched = {}
        for p in posts:
            recent = datetime.fromtimestamp(int(p["date"]), UTC) >= horizon
            new = is_new(p)
            if new:
                wall.posts.pending.append(p["id"])
                wall.items.append((datetime.fromtimestamp(int(p["date"]), UTC), p["id"],
                                   _message(p, post_url(group, p["id"]), names), ("post", p["id"])))
            if recent or new:
                watched[p["id"]] = p
        wall.posts.pending.sort()
        known = (state or {}).get("comments") or {}
        for post_id, p in sorted(watched.items()):
            last, seen = (known.get(str(post_id)) or [0, 0])[:2]
            count = int((p.get("comments") or {}).get("count") or 0)
            stream = Stream(last, [])
            wall.comments[post_id] = (stream, seen, count)
            if count == seen:
                continue
            for comment, msg in self._comments(client, group, post_id):
                if comment["id"] <= last:
                    continue
                stream.pending.append(comment["id"])
                wall.items.append((datetime.fromtimestamp(int(comment["date"]), UTC),
                                   comment["id"], msg, ("comment", post_id, comment["id"])))
            stream.pending.sort()
        return wall

    def _comments(self, client: httpx.Client, group: int,
                  post: int) -> list[tuple[dict, Message | None]]:
        """Every top-level comment of a post, oldest first, with the message it carries."""
        found: list[tuple[dict, Message | None]] = []
        offset = 0
        for _ in range(MAX_PAGES):
            page = self._call(client, "wall.getComments", owner_id=-group, post_id=post,
                              offset=offset, count=PAGE, sort="asc", extended=1)
            raw = page.get("items") or []
            items = [c for c in raw if _usable(c)]
            names = _names(page)
            found += [(c, _message(c, comment_url(group, post, c["id"]), names)) for c in items]
            offset += len(raw)
            if not raw or offset >= int(page.get("count") or 0):
                break
        return found

    def fetch(self, cursor: dict[str, Any] | None, now: datetime) -> Batch:
        state = copy.deepcopy(cursor or {})
        walls: list[Wall] = []
        errors = []
        with new_client() as http:
            for group in self.groups:
                try:
                    walls.append(self._wall(http, group, state.get(str(group)), now))
                except FeedError as error:
                    errors.append(f"community {group}: {error}")
                except (KeyError, TypeError, ValueError) as error:
                    errors.append(self._secrets.scrub(
                        f"community {group}: an answer not in VK's documented shape ({error!r})"))

        def snapshot() -> dict[str, Any]:
            for wall in walls:
                state[str(wall.group)] = wall.state()
            return copy.deepcopy(state)

        entries = sorted(((at, wall.group, kind_id, message, ref)
                          for wall in walls for at, kind_id, message, ref in wall.items),
                         key=lambda e: (e[0], e[1], e[4][0] == "comment", e[2]))
        by_group = {wall.group: wall for wall in walls}
        items = []
        for _, group, _, msg, ref in entries:
            def taken(wall: Wall = by_group[group], ref: tuple = ref) -> dict[str, Any]:
                if ref[0] == "post":
                    wall.posts.take(ref[1])
                else:
                    wall.comments[ref[1]][0].take(ref[2])
                return snapshot()
            items.append(Item(msg, taken))
        return Batch(items, snapshot, errors)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def parse_groups(value: str) -> tuple[int, ...]:
    """`12345,67890` (a leading `-`, `club` or `public` is allowed): the community ids."""
    groups = []
    for part in value.split(","):
        part = part.strip().lower().removeprefix("-").removeprefix("club").removeprefix("public")
        if not part:
            continue
        if not part.isdigit() or int(part) == 0:
            raise ValueError(f"CITYDESK_VK_GROUPS: {part!r} is not a community id "
                             "(comma-separated numbers, e.g. 12345,67890)")
        groups.append(int(part))
    if not groups:
        raise ValueError("CITYDESK_VK_GROUPS is empty: name the city's communities "
                         "(comma-separated ids, e.g. 12345,67890)")
    return tuple(dict.fromkeys(groups))
