"""API tokens: issue, list, revoke, and authenticate a request's bearer token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils import timezone

from opportune.accounts.models import ApiToken, hash_token
from opportune.core.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from opportune.core.users import User

# last_used is written at most this often per token, so reads do not become writes.
LAST_USED_RESOLUTION_SECONDS = 60


def issue_api_token(user: User, *, label: str = "", by: User) -> tuple[ApiToken, str]:
    if user != by and not by.is_superuser:
        raise NotFoundError("User not found.")
    if len(label) > 100:
        raise ValidationError.for_field("label", "At most 100 characters.")
    return ApiToken.issue(user, label)


def issue_api_token_for_username(username: str, *, label: str = "") -> tuple[ApiToken, str]:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFoundError(f"User '{username}' does not exist.")
    return ApiToken.issue(user, label)


def revoke_api_token(token_id: int, *, by: User) -> None:
    deleted, _ = ApiToken.objects.filter(pk=token_id, user=by).delete()
    if not deleted:
        raise NotFoundError("Token not found.")


def user_for_token(raw: str) -> User | None:
    """The active user a raw token belongs to, or None."""
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
        if raw
        else None
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if (
        token.last_used is None
        or (now - token.last_used).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user
