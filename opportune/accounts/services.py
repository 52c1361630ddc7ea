"""API tokens: issue, list, revoke, and authenticate a request's bearer token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from opportune.accounts.models import ApiToken, Profile, hash_token
from opportune.accounts.roles import remember_roles
from opportune.accounts.time_zones import is_known_time_zone
from opportune.core.errors import DomainError, NotFoundError, ValidationError
from opportune.core.statements import fetch

if TYPE_CHECKING:
    from opportune.core.users import User

# last_used is written at most this often per token, so reads do not become writes.
LAST_USED_RESOLUTION_SECONDS = 60


class TokenExpiredError(DomainError):
    """A known token past its expiry: the request is not authenticated (401), and says why."""

    code = "not_authenticated"
    http_status = 401


def _checked_expiry(expires: datetime | None) -> datetime | None:
    """An expiry in the future (a naive one is read as UTC), or None for a token that lasts."""
    if expires is None:
        return None
    if timezone.is_naive(expires):
        expires = timezone.make_aware(expires, UTC)
    if expires <= timezone.now():
        raise ValidationError.for_field("expires", "The expiry must be in the future.")
    return expires


def expiry_in_days(days: int | None) -> datetime | None:
    """The expiry of a token that lasts ``days`` days from now (None: it lasts until revoked)."""
    if days is None:
        return None
    if days < 1:
        raise ValidationError.for_field("expires_days", "At least 1 day.")
    return timezone.now() + timedelta(days=days)


def issue_api_token(
    user: User, *, label: str = "", expires: datetime | None = None, by: User
) -> tuple[ApiToken, str]:
    if user != by and not by.is_superuser:
        raise NotFoundError("User not found.")
    if len(label) > 100:
        raise ValidationError.for_field("label", "At most 100 characters.")
    return ApiToken.issue(user, label, _checked_expiry(expires))


def issue_api_token_for_username(
    username: str, *, label: str = "", expires_days: int | None = None
) -> tuple[ApiToken, str]:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFoundError(f"User '{username}' does not exist.")
    return ApiToken.issue(user, label, expiry_in_days(expires_days))


def revoke_api_token(token_id: int, *, by: User) -> None:
    deleted, _ = ApiToken.objects.filter(pk=token_id, user=by).delete()
    if not deleted:
        raise NotFoundError("Token not found.")


def user_for_token(raw: str) -> User | None:
    """The active user a raw token belongs to, or None; an expired token raises
    TokenExpiredError (401 with the reason)."""
    if not raw:
        return None
    # ONE query: the token, its user and the user's roles (a row per group of the user; the
    # roles are kept on the user for the request, accounts.roles), not a second for the roles
    rows = fetch(
        "accounts.token",
        lambda v: (
            ApiToken.objects.select_related("user")
            .filter(key_hash=v.key_hash)
            .annotate(group=F("user__groups__name"))
            .order_by()
        ),
        key_hash=hash_token(raw),
    )
    if not rows or not rows[0].user.is_active:
        return None
    token: ApiToken = rows[0]
    remember_roles(token.user, (row.group for row in rows if row.group is not None))
    now = timezone.now()
    if token.expires is not None and token.expires <= now:
        expired = token.expires.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise TokenExpiredError(
            f"This API token expired on {expired}: create a new one on your profile page."
        )
    if (
        token.last_used is None
        or (now - token.last_used).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def set_time_zone(user: User, *, time_zone: str, by: User) -> Profile:
    """The user's own time zone (an IANA name; "" for the company's)."""
    if by.pk != user.pk:
        raise NotFoundError("No such user.")
    time_zone = (time_zone or "").strip()
    if time_zone and not is_known_time_zone(time_zone):
        raise ValidationError.for_field(
            "time_zone", f"'{time_zone[:60]}' is not a known time zone (e.g. Europe/Berlin)."
        )
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return profile
