"""What the ERPNext migration remembers between runs (decision 0031): where each doctype's
import stands (to go on after an interruption) and which records came from ERPNext, with the
``modified`` they had (a record unchanged since the last run is not written again)."""

from __future__ import annotations

from django.db import models


class Checkpoint(models.Model):
    """The next page of ``doctype`` to read from ``source`` (a site URL or a directory)."""

    source = models.CharField(max_length=300)
    doctype = models.CharField(max_length=60)
    next_start = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "doctype"], name="erpnext_checkpoint_once")
        ]

    def __str__(self) -> str:
        state = "done" if self.done else f"from row {self.next_start}"
        return f"{self.doctype} of {self.source}: {state}"


class ImportedRecord(models.Model):
    """One record brought over from ERPNext: its doctype, its name here and ERPNext's
    ``modified`` as the site sent it."""

    doctype = models.CharField(max_length=60)
    name = models.CharField(max_length=140)
    modified = models.CharField(max_length=40, blank=True)
    # links to records that had not come over yet when it was written ({attname: name}), set
    # at the end of the run (a customer's opportunity_name: the opportunities come after it)
    deferred = models.JSONField(default=dict, blank=True)
    imported = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["doctype", "name"], name="erpnext_record_once")
        ]

    def __str__(self) -> str:
        return f"{self.doctype} {self.name}"
