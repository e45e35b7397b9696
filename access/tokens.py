"""Bearer tokens (kiosk links, sign-in sessions): 32 random bytes, given out once; the database
keeps only their SHA-256, so a copy of it opens nothing."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
