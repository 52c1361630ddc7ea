"""Per-user API tokens (stored hashed) and the roles of the sales team."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "opp_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    label = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="first characters, shown")
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="from then on it answers 401; empty: never"
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires is not None and self.expires <= timezone.now()

    @classmethod
    def issue(cls, user, label: str = "", expires: datetime | None = None) -> tuple[ApiToken, str]:
        """Create a token; the raw secret is returned once and never stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, label=label[:100], key_hash=hash_token(raw), hint=raw[:12], expires=expires
        )
        return token, raw


class Profile(models.Model):
    """What a user sets for themselves: their time zone (blank: the company's)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(
        max_length=60, blank=True, help_text="An IANA name; empty: the company's time zone"
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"
