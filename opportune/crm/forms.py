"""Page forms of the CRM. They only shape input for the services, which hold every rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from opportune.accounts.roles import sales_users
from opportune.core.forms import set_choices
from opportune.core.money import round_money
from opportune.crm.models import (
    Campaign,
    Customer,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityType,
    SalesStage,
)
from opportune.masters.models import Currency, CustomerGroup, Industry, Territory

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def user_choices(blank: str = "—") -> list[tuple[str, str]]:
    users = sales_users().only("username", "first_name", "last_name")
    return [("", blank)] + [(u.username, u.get_full_name() or u.username) for u in users]


def name_choices(model, blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank)] + [(n, n) for n in model.objects.values_list("pk", flat=True)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


class ServiceForm(forms.Form):
    """A form whose cleaned values go to a service as plain data (names, usernames, Decimals).

    ``changed_values()`` gives only what the user changed, so an edit sends a partial update
    and the service's defaults (e.g. the stage's probability) still apply.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        return {
            k: ("" if v is None and isinstance(self.fields[k], forms.CharField) else v)
            for k, v in data.items()
        }

    def changed_values(self) -> dict[str, Any]:
        data = self.service_data()
        return {k: v for k, v in data.items() if k in self.changed_data}

    def new_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.service_data().items() if v not in (None, "")}


def plain_decimal(value: Decimal) -> Decimal:
    """``Decimal("10.00")`` -> ``Decimal("10")`` without an exponent (``1E+1``) in the input."""
    return Decimal(f"{value.normalize():f}")


def _optional_choice(label: str, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, **kwargs)


class OpportunityForm(ServiceForm):
    opportunity_from = forms.ChoiceField(
        label="Opportunity From",
        choices=Opportunity.From.choices,
        widget=forms.RadioSelect,
        initial="Lead",
    )
    party_name = forms.CharField(label="Party", max_length=140)
    title = forms.CharField(max_length=140, required=False)
    opportunity_type = forms.ChoiceField(label="Type")
    sales_stage = _optional_choice("Sales stage")
    opportunity_owner = _optional_choice("Owner")
    opportunity_amount = forms.DecimalField(
        label="Amount", required=False, min_value=0, max_digits=20, decimal_places=4
    )
    probability = forms.DecimalField(
        label="Probability (%)",
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
    )
    currency = forms.ChoiceField()
    conversion_rate = forms.DecimalField(
        label="Conversion rate",
        required=False,
        max_digits=18,
        decimal_places=9,
        min_value=Decimal("0.000000001"),
    )
    source = _optional_choice("Source")
    campaign = _optional_choice("Campaign")
    territory = _optional_choice("Territory")
    expected_closing = forms.DateField(required=False, widget=DateInput())
    contact_date = forms.DateTimeField(
        label="Next contact date", required=False, widget=DateTimeInput()
    )
    contact_by = _optional_choice("Next contact by")
    to_discuss = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    contact_email = forms.EmailField(label="Contact email", required=False)
    contact_mobile = forms.CharField(label="Contact mobile", max_length=40, required=False)
    phone = forms.CharField(max_length=40, required=False)
    job_title = forms.CharField(max_length=140, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = user_choices()
        # what the page's script needs besides the choices: read with them, once
        self.stage_probabilities = {
            s.pk: str(s.probability.normalize()) for s in SalesStage.objects.all()
        }
        self.currency_precisions = dict(
            Currency.objects.filter(enabled=True).values_list("pk", "precision")
        )
        set_choices(self, "opportunity_type", name_choices(OpportunityType)[1:])
        set_choices(self, "sales_stage", [("", "—")] + [(s, s) for s in self.stage_probabilities])
        set_choices(self, "source", name_choices(LeadSource))
        set_choices(self, "campaign", name_choices(Campaign))
        set_choices(self, "territory", name_choices(Territory))
        set_choices(self, "opportunity_owner", users)
        set_choices(self, "contact_by", users)
        set_choices(self, "currency", [(c, c) for c in self.currency_precisions])

    @staticmethod
    def initial_for(opportunity: Opportunity) -> dict[str, Any]:
        return {
            "version": opportunity.version,
            "opportunity_from": opportunity.opportunity_from,
            "party_name": opportunity.party_name,
            "title": opportunity.title,
            "opportunity_type": opportunity.opportunity_type_id,
            "sales_stage": opportunity.sales_stage_id or "",
            "opportunity_owner": opportunity.opportunity_owner.username
            if opportunity.opportunity_owner
            else "",
            "opportunity_amount": round_money(
                opportunity.opportunity_amount, opportunity.currency.precision
            ),
            "probability": plain_decimal(opportunity.probability),
            "currency": opportunity.currency_id,
            "conversion_rate": plain_decimal(opportunity.conversion_rate),
            "source": opportunity.source_id or "",
            "campaign": opportunity.campaign_id or "",
            "territory": opportunity.territory_id or "",
            "expected_closing": opportunity.expected_closing,
            "contact_date": opportunity.contact_date,
            "contact_by": opportunity.contact_by.username if opportunity.contact_by else "",
            "to_discuss": opportunity.to_discuss,
            "contact_email": opportunity.contact_email,
            "contact_mobile": opportunity.contact_mobile,
            "phone": opportunity.phone,
            "job_title": opportunity.job_title,
        }


class LeadForm(ServiceForm):
    lead_name = forms.CharField(label="Person's name", max_length=140)
    company_name = forms.CharField(max_length=140, required=False)
    email_id = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(max_length=40, required=False)
    mobile_no = forms.CharField(label="Mobile", max_length=40, required=False)
    job_title = forms.CharField(max_length=140, required=False)
    website = forms.CharField(max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    country = forms.CharField(max_length=100, required=False)
    source = _optional_choice("Source")
    campaign = _optional_choice("Campaign")
    territory = _optional_choice("Territory")
    industry = _optional_choice("Industry")
    lead_owner = _optional_choice("Lead owner")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "source", name_choices(LeadSource))
        set_choices(self, "campaign", name_choices(Campaign))
        set_choices(self, "territory", name_choices(Territory))
        set_choices(self, "industry", name_choices(Industry))
        set_choices(self, "lead_owner", user_choices())

    @staticmethod
    def initial_for(lead: Lead) -> dict[str, Any]:
        initial = {
            f: getattr(lead, f)
            for f in (
                "version",
                "lead_name",
                "company_name",
                "email_id",
                "phone",
                "mobile_no",
                "job_title",
                "website",
                "city",
                "country",
                "notes",
            )
        }
        for f in ("source", "campaign", "territory", "industry"):
            initial[f] = getattr(lead, f"{f}_id") or ""
        initial["lead_owner"] = lead.lead_owner.username if lead.lead_owner else ""
        return initial


class CustomerForm(ServiceForm):
    customer_name = forms.CharField(max_length=140)
    customer_type = forms.ChoiceField(choices=Customer.CustomerType.choices)
    customer_group = _optional_choice("Customer group")
    territory = _optional_choice("Territory")
    industry = _optional_choice("Industry")
    default_currency = _optional_choice("Default currency")
    email_id = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(max_length=40, required=False)
    mobile_no = forms.CharField(label="Mobile", max_length=40, required=False)
    website = forms.CharField(max_length=200, required=False)
    disabled = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "customer_group", name_choices(CustomerGroup))
        set_choices(self, "territory", name_choices(Territory))
        set_choices(self, "industry", name_choices(Industry))
        set_choices(
            self,
            "default_currency",
            [("", "—")]
            + [(c, c) for c in Currency.objects.filter(enabled=True).values_list("pk", flat=True)],
        )

    @staticmethod
    def initial_for(customer: Customer) -> dict[str, Any]:
        initial = {
            f: getattr(customer, f)
            for f in (
                "version",
                "customer_name",
                "customer_type",
                "email_id",
                "phone",
                "mobile_no",
                "website",
                "disabled",
            )
        }
        for f in ("customer_group", "territory", "industry", "default_currency"):
            initial[f] = getattr(customer, f"{f}_id") or ""
        return initial
