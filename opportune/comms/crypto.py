"""Secrets at rest (email account passwords): Fernet (AES-128-CBC + HMAC-SHA256) with a key from
the environment, ``OPPORTUNE_SECRET_KEY_EMAIL`` (a Fernet key, ``Fernet.generate_key()``), or,
when that is not set, one derived from ``SECRET_KEY`` (SHA-256 of a fixed label and the key).
docs/decisions/0016-email-engine.md says why."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

KEY_ENV = "OPPORTUNE_SECRET_KEY_EMAIL"


def _fernet() -> Fernet:
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        return Fernet(key.encode())
    digest = hashlib.sha256(b"opportune.comms.email-account:" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    """The secret, or "" when there is none or it was written with another key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
