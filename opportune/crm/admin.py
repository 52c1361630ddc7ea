"""Admin of the CRM.

Masters and the CRM settings are edited here (the settings' version goes up with every save,
so an API client holding the old one is refused). Leads, customers, contacts and opportunities
are read-mostly: list, search, filter, read and their history, but not added, changed or
deleted, because those writes must go through the services (status rules, totals, timeline,
optimistic locking) that the admin would bypass. Use the pages or the API to change them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import F
from django.http import HttpResponseRedirect
from django.urls import reverse

from opportune.accounts.time_zones import is_known_time_zone
from opportune.core.admin import ReadOnlyHistoryAdmin
from opportune.core.business_hours import (
    check_holidays,
    check_working_hours,
    normalised_holidays,
    normalised_working_hours,
)
from opportune.core.errors import FieldErrors
from opportune.crm.models import (
    Campaign,
    Competitor,
    Contact,
    CRMSettings,
    Customer,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityItem,
    OpportunityLostReason,
    OpportunityType,
    SalesStage,
    StageTotal,
)
from opportune.crm.services.masters import CRM_SETTINGS_HELP
from opportune.masters.admin import MasterAdmin


# --- masters -----------------------------------------------------------------------------------
@admin.register(SalesStage)
class SalesStageAdmin(MasterAdmin):
    list_display = ("name", "idx", "probability", "stale_after_days")
    list_editable = ("idx", "probability", "stale_after_days")


@admin.register(Competitor)
class CompetitorAdmin(MasterAdmin):
    list_display = ("name", "website")


for _model in (OpportunityType, LeadSource, Campaign, OpportunityLostReason):
    admin.site.register(_model, MasterAdmin)


# --- settings ----------------------------------------------------------------------------------
class CRMSettingsForm(forms.ModelForm):
    class Meta:
        model = CRMSettings
        fields = (
            "company_name",
            "company_currency",
            "time_zone",
            "close_opportunity_after_days",
            "default_valid_till",
            "carry_forward_communication_and_comments",
            "auto_creation_of_contact",
            "allow_lead_duplication_based_on_emails",
            "sales_users_see_all",
            "working_hours",
            "holidays",
            "first_response_target_minutes",
        )
        help_texts = CRM_SETTINGS_HELP

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        if not is_known_time_zone(value):
            raise forms.ValidationError(
                "Not a known time zone (use an IANA name such as Europe/Berlin)."
            )
        return value

    def clean(self):
        """The business hours as strictly as the API reads them (core.business_hours): each
        message names the place in the data (``working_hours.mon[0].end``)."""
        cleaned = super().clean() or {}
        errors = FieldErrors()
        hours = check_working_hours(cleaned.get("working_hours") or {}, errors)
        check_holidays(cleaned.get("holidays") or [], errors)
        if cleaned.get("first_response_target_minutes") is not None and not any(hours):
            errors.add(
                "first_response_target_minutes",
                "A target in business minutes needs working hours on at least one weekday.",
            )
        for path, messages in errors.fields.items():
            field = path.split(".")[0].split("[")[0]
            self.add_error(field, [f"{path}: {m}" if path != field else m for m in messages])
        if not errors:
            cleaned["working_hours"] = normalised_working_hours(cleaned.get("working_hours") or {})
            cleaned["holidays"] = normalised_holidays(cleaned.get("holidays") or [])
        return cleaned


@admin.register(CRMSettings)
class CRMSettingsAdmin(admin.ModelAdmin):
    """The one row: the list goes straight to it; it is neither added nor deleted."""

    form = CRMSettingsForm
    readonly_fields = ("version",)

    def changelist_view(self, request, extra_context=None):
        settings = CRMSettings.load()
        return HttpResponseRedirect(reverse("admin:crm_crmsettings_change", args=[settings.pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        CRMSettings.objects.filter(pk=obj.pk).update(version=F("version") + 1)


# --- documents (read-mostly) ------------------------------------------------------------------
class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OpportunityItemInline(ReadOnlyMixin, admin.TabularInline):
    model = OpportunityItem
    extra = 0
    fields = ("idx", "item_code", "item_name", "qty", "uom", "rate", "amount", "base_amount")


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyMixin, ReadOnlyHistoryAdmin):
    list_display = (
        "name",
        "title",
        "party_name",
        "status",
        "sales_stage",
        "opportunity_owner",
        "currency",
        "opportunity_amount",
        "expected_closing",
        "modified",
    )
    list_filter = (
        "status",
        "opportunity_type",
        "sales_stage",
        "opportunity_from",
        "source",
        "territory",
    )
    search_fields = ("name", "title", "party_name", "customer_name", "contact_email")
    date_hierarchy = "transaction_date"
    list_select_related = ("sales_stage", "opportunity_owner", "currency")
    inlines = (OpportunityItemInline,)


@admin.register(Lead)
class LeadAdmin(ReadOnlyMixin, ReadOnlyHistoryAdmin):
    list_display = (
        "name",
        "lead_name",
        "company_name",
        "email_id",
        "status",
        "lead_owner",
        "modified",
    )
    list_filter = ("status", "source", "territory", "disabled")
    search_fields = ("name", "lead_name", "company_name", "email_id")
    list_select_related = ("lead_owner",)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyMixin, ReadOnlyHistoryAdmin):
    list_display = (
        "name",
        "customer_name",
        "customer_type",
        "customer_group",
        "territory",
        "disabled",
    )
    list_filter = ("customer_type", "customer_group", "territory", "disabled")
    search_fields = ("name", "customer_name", "email_id")


@admin.register(Contact)
class ContactAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "first_name", "last_name", "email_id", "link_doctype", "link_name")
    list_filter = ("link_doctype", "is_primary_contact")
    search_fields = ("name", "first_name", "last_name", "email_id", "link_name")


@admin.register(StageTotal)
class StageTotalAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The board's summary (decision 0034): written by triggers only; shown to look at."""

    list_display = ("id", "sales_stage", "status", "count", "amount", "weighted")
    list_filter = ("status",)
