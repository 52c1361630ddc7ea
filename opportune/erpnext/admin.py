from django.contrib import admin

from opportune.erpnext.models import Checkpoint, ImportedRecord


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ["doctype", "source", "next_start", "done", "updated"]
    list_filter = ["done"]


@admin.register(ImportedRecord)
class ImportedRecordAdmin(admin.ModelAdmin):
    list_display = ["doctype", "name", "modified", "imported"]
    list_filter = ["doctype"]
    search_fields = ["name"]
