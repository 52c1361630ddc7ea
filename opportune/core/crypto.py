"""Secrets at rest (email account passwords, webhook signing secrets): Fernet (AES-128-CBC +
HMAC-SHA256) with a key from the environment (a Fernet key, ``Fernet.generate_key()``), or, when
that is not set, one derived from ``SECRET_KEY`` (SHA-256 of a fixed label and the key). Each use
has its own label and variable, so that one key leaking or changing leaves the others' secrets.
docs/decisions/0016-email-engine.md says why."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@dataclass(frozen=True)
class SecretBox:
    """Encrypts and decrypts the secrets of one use: ``label`` derives the default key,
    ``key_env`` names the variable that gives it instead."""

    label: bytes
    key_env: str

    def _fernet(self) -> Fernet:
        key = os.environ.get(self.key_env, "").strip()
        if key:
            return Fernet(key.encode())
        digest = hashlib.sha256(self.label + settings.SECRET_KEY.encode())
        return Fernet(base64.urlsafe_b64encode(digest.digest()))

    def encrypt(self, secret: str) -> str:
        return self._fernet().encrypt(secret.encode()).decode() if secret else ""

    def decrypt(self, token: str) -> str:
        """The secret, or "" when there is none or it was written with another key."""
        if not token:
            return ""
        try:
            return self._fernet().decrypt(token.encode()).decode()
        except InvalidToken:
            return ""
