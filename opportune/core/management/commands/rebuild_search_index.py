"""Write the text search's entries (core.search) of every searchable document again:
``python manage.py rebuild_search_index`` (all document types) or ``... Opportunity``. For
after a bulk load that bypassed the saves (a COPY, a restore), or to repair; reads the
documents in batches, never all at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opportune.core.search import rebuild, searchable_models


class Command(BaseCommand):
    help = "Write the search entries of every searchable document (or of the named doctypes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("doctypes", nargs="*", help="e.g. Opportunity; default: all")

    def handle(self, *args: Any, **options: Any) -> None:
        models = {model.doctype: model for model in searchable_models()}
        wanted = options["doctypes"] or list(models)
        unknown = sorted(set(wanted) - set(models))
        if unknown:
            raise CommandError(f"Not searchable: {', '.join(unknown)} (known: {', '.join(models)})")
        for doctype in wanted:
            count = rebuild(models[doctype])
            if options["verbosity"]:
                self.stdout.write(f"{doctype}: {count:,} entries written")
