"""Header forms of the selling pages (types and widgets); the rules live in the services."""

from __future__ import annotations

from django import forms

from opportune.masters.models import Currency

DATE = forms.DateInput(attrs={"type": "date"})


def currency_choices() -> list[tuple[str, str]]:
    return [(c, c) for c in Currency.objects.filter(enabled=True).values_list("pk", flat=True)]


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()

    def service_data(self, instance=None) -> dict:
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


class QuotationForm(TransactionForm):
    quotation_to = forms.ChoiceField(choices=[("Customer", "Customer"), ("Lead", "Lead")])
    party_name = forms.CharField(label="Party (customer or lead name)", max_length=140)
    title = forms.CharField(max_length=140, required=False)
    valid_till = forms.DateField(required=False, widget=DATE)
    contact_email = forms.EmailField(required=False)

    field_order = [
        "quotation_to",
        "party_name",
        "title",
        "transaction_date",
        "valid_till",
        "currency",
        "conversion_rate",
        "tax_rate",
        "contact_email",
        "terms",
    ]
    plain_fields = (
        *TransactionForm.plain_fields,
        "quotation_to",
        "party_name",
        "title",
        "valid_till",
        "contact_email",
    )


class SalesOrderForm(TransactionForm):
    customer = forms.CharField(max_length=140)
    delivery_date = forms.DateField(required=False, widget=DATE)

    field_order = [
        "customer",
        "transaction_date",
        "delivery_date",
        "currency",
        "conversion_rate",
        "tax_rate",
        "terms",
    ]
    plain_fields = (*TransactionForm.plain_fields, "customer", "delivery_date")


class DeclareLostForm(forms.Form):
    lost_reasons = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    competitors = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    order_lost_reason = forms.CharField(
        label="Detailed reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, reasons=(), competitors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lost_reasons"].choices = [(r, r) for r in reasons]
        self.fields["competitors"].choices = [(c, c) for c in competitors]
