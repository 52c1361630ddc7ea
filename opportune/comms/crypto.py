"""Email account passwords at rest: core.crypto's Fernet box with the key of
``OPPORTUNE_SECRET_KEY_EMAIL``, or one derived from ``SECRET_KEY``.
docs/decisions/0016-email-engine.md says why."""

from __future__ import annotations

from opportune.core.crypto import SecretBox

KEY_ENV = "OPPORTUNE_SECRET_KEY_EMAIL"
_BOX = SecretBox(label=b"opportune.comms.email-account:", key_env=KEY_ENV)


def encrypt(secret: str) -> str:
    return _BOX.encrypt(secret)


def decrypt(token: str) -> str:
    """The secret, or "" when there is none or it was written with another key."""
    return _BOX.decrypt(token)
