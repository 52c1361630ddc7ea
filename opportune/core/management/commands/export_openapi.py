"""Print the API's OpenAPI document, as committed in docs/openapi.json (``make openapi``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

# The API object is named, not imported: core sits below the apps whose routers it holds.
DEFAULT_API = "opportune.api.api"


def openapi_json(api_path: str = DEFAULT_API) -> str:
    """The OpenAPI document as stable text: keys sorted, indent 2, a final newline."""
    schema = import_string(api_path).get_openapi_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


class Command(BaseCommand):
    help = (
        "Print the OpenAPI document of the JSON API (python manage.py export_openapi > "
        "docs/openapi.json)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--api", default=DEFAULT_API, help="dotted path of the NinjaAPI")

    def handle(self, *args: Any, api: str, **options: Any) -> None:
        self.stdout.write(openapi_json(api), ending="")
