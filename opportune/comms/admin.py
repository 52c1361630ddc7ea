"""Admin: email accounts (passwords never shown; set through the API or the form below) and the
emails, read-only (they change through the services: the outbox, ingestion)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from opportune.comms.models import (
    Communication,
    CommunicationAttachment,
    CommunicationLink,
    EmailAccount,
)
from opportune.core.admin import ViewOnlyAdmin


class EmailAccountForm(forms.ModelForm):
    smtp_password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Left empty: unchanged."
    )
    imap_password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Left empty: unchanged."
    )

    class Meta:
        model = EmailAccount
        exclude: list[str] = []

    def save(self, commit: bool = True) -> Any:
        account = super().save(commit=False)
        for field in ("smtp_password", "imap_password"):
            if self.cleaned_data.get(field):
                setattr(account, field, self.cleaned_data[field])
        if commit:
            account.save()
        return account


@admin.register(EmailAccount)
class EmailAccountAdmin(admin.ModelAdmin):
    form = EmailAccountForm
    list_display = ("name", "email_id", "enable_incoming", "default_outgoing", "last_polled_on")
    readonly_fields = ("uidvalidity", "last_uid", "last_polled_on", "last_poll_error")


class AttachmentInline(admin.TabularInline):
    model = CommunicationAttachment
    extra = 0
    can_delete = False
    fields = ("filename", "content_type", "size", "content_id")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Communication)
class CommunicationAdmin(ViewOnlyAdmin):
    list_display = (
        "subject",
        "sent_or_received",
        "status",
        "reference_doctype",
        "reference_name",
        "sender",
        "communication_date",
    )
    list_filter = ("sent_or_received", "status", "is_automatic")
    search_fields = ("subject", "sender", "reference_name", "message_id")
    inlines = [AttachmentInline]


@admin.register(CommunicationLink)
class CommunicationLinkAdmin(ViewOnlyAdmin):
    list_display = ("communication", "link_doctype", "link_name", "creation")
    list_filter = ("link_doctype",)
    search_fields = ("link_name",)
    list_select_related = ("communication",)
