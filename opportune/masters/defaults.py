"""Default masters: every ISO 4217 currency with its minor unit, UOM Nos, root groups."""

from __future__ import annotations

import iso4217

UOMS = [
    ("Nos", True),
    ("Unit", True),
    ("Box", True),
    ("Hour", False),
    ("Day", False),
    ("Kg", False),
    ("Litre", False),
    ("Meter", False),
]
TERRITORIES = ["All Territories"]
CUSTOMER_GROUPS = ["All Customer Groups", "Commercial", "Government", "Individual"]
COMMON_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "CNY": "¥",
    "CHF": "CHF",
    "AUD": "A$",
    "CAD": "C$",
}


def load_master_defaults(apps) -> None:
    Currency = apps.get_model("masters", "Currency")
    UOM = apps.get_model("masters", "UOM")
    Territory = apps.get_model("masters", "Territory")
    CustomerGroup = apps.get_model("masters", "CustomerGroup")
    existing = set(Currency.objects.values_list("name", flat=True))
    Currency.objects.bulk_create(
        [
            Currency(
                name=c.code,
                currency_name=c.currency_name,
                precision=c.exponent if c.exponent is not None else 0,
                symbol=COMMON_SYMBOLS.get(c.code, ""),
                # funds, metals and testing codes (no minor unit) are kept but not offered
                enabled=c.exponent is not None,
            )
            for c in iso4217.Currency
            if c.code not in existing
        ]
    )
    for name, whole in UOMS:
        UOM.objects.get_or_create(name=name, defaults={"must_be_whole_number": whole})
    for name in TERRITORIES:
        Territory.objects.get_or_create(name=name)
    for name in CUSTOMER_GROUPS:
        CustomerGroup.objects.get_or_create(name=name)
