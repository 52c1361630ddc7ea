"""Header forms of the selling pages (types and widgets); the rules live in the services."""

from __future__ import annotations

from django import forms

from opportune.core.forms import DATE, TransactionForm, set_choices


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
        set_choices(self, "lost_reasons", [(r, r) for r in reasons])
        set_choices(self, "competitors", [(c, c) for c in competitors])
