"""Form parts every document page shares (types and widgets); the rules live in the services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from opportune.core.items import get_catalog

DATE = forms.DateInput(attrs={"type": "date"})


def set_choices(form: forms.BaseForm, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Give a choice field of ``form`` its options, read from the database when it is made."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in get_catalog().currency_codes()]


class TransactionForm(forms.Form):
    """Fields every priced document's form has; subclasses add their party and dates."""

    transaction_date = forms.DateField(label="Date", widget=DATE)
    currency = forms.ChoiceField(choices=())
    conversion_rate = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=9,
        help_text="To the company currency; looked up when left as it is.",
    )
    tax_rate = forms.DecimalField(
        label="Tax rate (%)",
        required=False,
        min_value=0,
        max_value=100,
        max_digits=6,
        decimal_places=3,
    )
    terms = forms.CharField(
        label="Terms and conditions", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    # Fields passed to the service as they are (None clears an optional value).
    plain_fields: tuple[str, ...] = ("transaction_date", "currency", "tax_rate", "terms")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())

    def service_data(self, instance: Any = None) -> dict[str, Any]:
        """The cleaned values as the service's plain input."""
        data = {k: self.cleaned_data.get(k) for k in self.plain_fields if k in self.fields}
        if data.get("tax_rate") is None:
            data.pop("tax_rate", None)
        if data.get("terms") is None:
            data["terms"] = ""
        rate = self.cleaned_data.get("conversion_rate")
        currency_moved = instance is not None and instance.currency_id != data.get("currency")
        unchanged = instance is not None and rate == instance.conversion_rate
        if rate is not None and not (currency_moved and unchanged):
            data["conversion_rate"] = rate
        return data
