"""The production static-files storage: WhiteNoise's compressed manifest storage (hashed names,
gzip and Brotli copies, served with a year's cache), minus the rewriting of source-map comments.

The vendored libraries (Chart.js) end with ``//# sourceMappingURL=chart.umd.min.js.map`` but
their npm packages do not ship every map; Django's manifest storage then fails the whole
``collectstatic`` ("The file 'vendor/chart.umd.min.js.map' could not be found"). A source map is
a debugging aid that browsers fetch only with the developer tools open: the comment is left as it
is (a missing map is a 404 in the console, not a broken page) and the CSS ``url()`` and
``@import`` references are still rewritten to the hashed names.

Compressing every file again at each ``collectstatic`` (as ``make run`` does at each start) took
35 s of CPU (Brotli over Swagger UI and the admin); a hashed name's content never changes, so a
file whose compressed copy is already there, and newer, is not compressed again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns: Any) -> tuple[Any, ...]:
    kept = []
    for extension, rules in patterns:
        rules = tuple(
            rule
            for rule in rules
            if "sourceMappingURL" not in (rule[0] if isinstance(rule, tuple) else rule)
        )
        kept.append((extension, rules))
    return tuple(kept)


class CompressedManifestStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)

    def compress_files(self, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
        yield from super().compress_files([p for p in paths if not self._compressed_already(p)])

    def _compressed_already(self, name: str) -> bool:
        path = self.path(name)
        try:
            return os.stat(f"{path}.gz").st_mtime >= os.stat(path).st_mtime
        except FileNotFoundError:
            return False
