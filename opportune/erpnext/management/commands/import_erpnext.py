"""``manage.py import_erpnext``: bring an ERPNext v15 site's CRM records over (decision 0031)."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from opportune.core.audit import IMPORT, AuditedCommand
from opportune.crm.models import CRMSettings
from opportune.erpnext.doctypes import SPECS
from opportune.erpnext.importer import migrate
from opportune.erpnext.sources import (
    DEFAULT_PAGE_SIZE,
    CsvDirSource,
    RestSource,
    Source,
    SourceError,
)


class Command(AuditedCommand):
    door = IMPORT
    help = (
        "Migrate from ERPNext (v15): masters, items, leads, customers, contacts, suppliers, "
        "opportunities, quotations and supplier quotations, from the site's REST API "
        "(--url --api-key --api-secret) or from its Data Export CSV files (--from-dir). "
        "Running it again updates what changed; a run that stopped goes on where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", help="the ERPNext site, e.g. https://erp.example.com")
        parser.add_argument("--api-key")
        parser.add_argument("--api-secret")
        parser.add_argument("--from-dir", help="a directory of Data Export CSV files")
        parser.add_argument(
            "--user",
            help="who the import is recorded as, and the owner of records whose ERPNext "
            "owner is not a user here (default: the only superuser)",
        )
        parser.add_argument(
            "--time-zone",
            help="the site's time zone (default: read from its System Settings, else CRM "
            "settings')",
        )
        parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE)
        parser.add_argument("--retries", type=int, default=4)
        parser.add_argument("--report", help="also write the report as JSON to this file")

    def handle(self, *args, **options):
        by = self._user(options["user"])
        source = self._source(options)
        zone = self._zone(options["time_zone"] or source.time_zone())
        report = migrate(
            source=source,
            by=by,
            zone=zone,
            specs=SPECS,
            progress=lambda line: self.stderr.write(line) if options["verbosity"] > 1 else None,
        )
        self.stdout.write(report.as_text())
        if options["report"]:
            Path(options["report"]).write_text(json.dumps(report.as_dict(), indent=2))
        if report.stopped:
            raise CommandError(f"Stopped: {report.stopped}")

    def _source(self, options) -> Source:
        if options["page_size"] < 1:
            raise CommandError("--page-size must be at least 1.")
        if options["from_dir"]:
            if options["url"]:
                raise CommandError("Give either --url or --from-dir, not both.")
            try:
                return CsvDirSource(options["from_dir"], page_size=options["page_size"])
            except SourceError as exc:
                raise CommandError(str(exc)) from exc
        missing = [
            f"--{n.replace('_', '-')}" for n in ("url", "api_key", "api_secret") if not options[n]
        ]
        if missing:
            raise CommandError(f"Missing {', '.join(missing)} (or give --from-dir).")
        return RestSource(
            options["url"],
            options["api_key"],
            options["api_secret"],
            page_size=options["page_size"],
            retries=options["retries"],
        )

    def _user(self, name: str | None) -> User:
        if name:
            user = (
                User.objects.filter(username=name, is_active=True).first()
                or User.objects.filter(email__iexact=name, is_active=True).first()
            )
            if user is None:
                raise CommandError(f"--user: no active user {name!r}.")
            return user
        superusers = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(superusers) != 1:
            raise CommandError("--user: say who the import is recorded as.")
        return superusers[0]

    def _zone(self, name: str | None) -> ZoneInfo:
        name = name or CRMSettings.load().time_zone
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"--time-zone: {name!r} is not a time zone.") from exc
