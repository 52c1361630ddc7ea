"""Run one scheduled job (core.schedule) now, in this process: ``python manage.py
run_scheduled_job selling.expire_quotations`` (for its latest slot) or ``--for`` a given slot.
Its changes are recorded as made by a command. Handlers are idempotent, so running a slot the
worker already ran is harmless; the schedule's own record (which slots were enqueued) is left
as it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from opportune.core.audit import AuditedCommand
from opportune.core.schedule import company_zone, latest_slot, schedule, scheduled_job, slot_iso


class Command(AuditedCommand):
    help = "Run one scheduled job now, for its latest slot (or --for an ISO datetime)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the job's name, e.g. selling.expire_quotations")
        parser.add_argument(
            "--for",
            dest="slot",
            default="",
            help="the slot to run it for (ISO datetime with its offset); default: its latest",
        )

    def handle(self, *args: Any, name: str, slot: str, **options: Any) -> None:
        job = scheduled_job(name)
        if job is None:
            known = ", ".join(j.name for j in schedule()) or "none"
            raise CommandError(f"No scheduled job is named {name!r} (known: {known}).")
        if slot:
            try:
                moment = datetime.fromisoformat(slot)
            except ValueError as exc:
                raise CommandError(f"--for {slot!r} is not an ISO datetime.") from exc
            if timezone.is_naive(moment):
                raise CommandError(f"--for {slot!r} has no UTC offset (e.g. +00:00).")
        else:
            moment = latest_slot(job.cron, company_zone(), timezone.now())
        scheduled_for = slot_iso(moment)
        with transaction.atomic():
            result = job.handler(scheduled_for=scheduled_for)
        self.stdout.write(f"{name} for {scheduled_for}: {result}")
