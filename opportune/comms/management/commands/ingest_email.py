"""Take raw messages in from files: ``python manage.py ingest_email FILE.eml [...] [--account NAME]``
(``-`` reads standard input): each threaded onto its document, a message seen before skipped."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opportune.comms.services import account_by_name, ingest_email
from opportune.core.errors import ValidationError


class Command(BaseCommand):
    help = "Take raw email messages (.eml files) in and thread them onto their documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="message files (.eml), or - for stdin")
        parser.add_argument("--account", help="the email account the messages came to")

    def handle(self, *args: object, **options: object) -> None:
        try:
            account = account_by_name(str(options["account"])) if options["account"] else None
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        for name in options["files"]:  # type: ignore[attr-defined]
            try:
                raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"{name}: {exc}") from exc
            communication, new = ingest_email(raw, account=account)
            where = (
                f"{communication.reference_doctype} {communication.reference_name}"
                if communication.reference_name
                else "no document"
            )
            state = "taken in" if new else "already taken in"
            self.stdout.write(f"{name}: {state}, on {where} (#{communication.pk})")
