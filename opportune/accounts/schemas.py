"""JSON shapes of the user's API tokens: the secret goes out once, when the token is made."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from opportune.core.schemas import StrictIn


class TokenOut(Schema):
    id: int
    label: str
    hint: str = Field(..., description="The first characters of the secret, to recognise it")
    created: datetime
    last_used: datetime | None
    expires: datetime | None = Field(
        ..., description="From then on the token answers 401; null: never"
    )


class TokenCreated(TokenOut):
    token: str = Field(..., description="The secret: shown this once, stored only hashed")


class TokenIn(StrictIn):
    label: str = Field("", max_length=100, description="What the token is for")
    expires: datetime | None = Field(
        None,
        description="When the token stops working (ISO 8601, in the future; without an offset: UTC). "
        "Null or left out: it works until revoked",
    )
