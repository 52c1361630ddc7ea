"""Building blocks for list filters shared by pages and the API (one definition per list)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def split_commas(value: Any) -> Any:
    """``"Open,Lost"`` or ``["Open", "Lost,Closed"]`` -> ``["Open", "Lost", "Closed"]``."""
    if value is None or value == "":
        return None
    items = value if isinstance(value, list | tuple) else [value]
    out = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    return out or None


CommaList = Annotated[list[str] | None, BeforeValidator(split_commas)]
