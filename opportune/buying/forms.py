"""Forms of the buying pages (types and widgets); the rules live in the services."""

from __future__ import annotations

from django import forms

from opportune.buying.models import Supplier, SupplierGroup
from opportune.core.forms import DATE, TransactionForm, currency_choices, set_choices


def supplier_choices() -> list[tuple[str, str]]:
    return list(
        Supplier.objects.filter(disabled=False)
        .order_by("supplier_name")
        .values_list("pk", "supplier_name")
    )


class SupplierForm(forms.Form):
    supplier_name = forms.CharField(max_length=140)
    supplier_group = forms.ChoiceField(required=False, choices=())
    country = forms.CharField(max_length=100, required=False)
    default_currency = forms.ChoiceField(required=False, choices=())
    email_id = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(max_length=40, required=False)
    website = forms.CharField(max_length=200, required=False)
    disabled = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "supplier_group",
            [("", "—")] + [(g, g) for g in SupplierGroup.objects.values_list("pk", flat=True)],
        )
        set_choices(self, "default_currency", [("", "Company currency"), *currency_choices()])

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("supplier_group", "default_currency"):
            data[key] = data[key] or None
        return data


class SupplierQuotationForm(TransactionForm):
    supplier = forms.ChoiceField(choices=())
    valid_till = forms.DateField(required=False, widget=DATE)

    field_order = [
        "supplier",
        "transaction_date",
        "valid_till",
        "currency",
        "conversion_rate",
        "tax_rate",
        "terms",
    ]
    plain_fields = (*TransactionForm.plain_fields, "supplier", "valid_till")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "supplier", supplier_choices())


class RequestForQuotationForm(forms.Form):
    transaction_date = forms.DateField(label="Date", widget=DATE)
    suppliers = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    message_for_supplier = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "suppliers", supplier_choices())

    def service_data(self, instance=None) -> dict:
        return dict(self.cleaned_data)


class ChooseSupplierForm(forms.Form):
    supplier = forms.ChoiceField(choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "supplier", supplier_choices())


class ChooseSuppliersForm(forms.Form):
    suppliers = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "suppliers", supplier_choices())
