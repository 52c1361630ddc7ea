"""What a migration run says: per doctype, what came, what was updated, what was unchanged since
the last run and what was skipped and why (with a few of the names), and notes on values that
came over changed (an owner not known here, an invalid address cleared)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EXAMPLES = 5


@dataclass
class DoctypeReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, name: str) -> None:
        self.skipped[reason] += 1
        self._example(reason, name)

    def note(self, note: str, name: str) -> None:
        self.notes[note] += 1
        self._example(note, name)

    def _example(self, key: str, name: str) -> None:
        names = self.examples.setdefault(key, [])
        if len(names) < EXAMPLES:
            names.append(name)


@dataclass
class Report:
    source: str
    doctypes: dict[str, DoctypeReport] = field(default_factory=dict)
    stopped: str = ""  # why the run stopped before the end ("" when it finished)
    # doctype -> the row it went on from (-1: done by the run that stopped)
    resumed: dict[str, int] = field(default_factory=dict)

    def of(self, doctype: str) -> DoctypeReport:
        return self.doctypes.setdefault(doctype, DoctypeReport())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "finished": not self.stopped,
            "stopped": self.stopped,
            "resumed": self.resumed,
            "doctypes": {
                doctype: {
                    "read": r.read,
                    "created": r.created,
                    "updated": r.updated,
                    "unchanged": r.unchanged,
                    "skipped": sum(r.skipped.values()),
                    "skipped_why": [
                        {"reason": reason, "count": count, "examples": r.examples.get(reason, [])}
                        for reason, count in r.skipped.most_common()
                    ],
                    "notes": [
                        {"note": note, "count": count, "examples": r.examples.get(note, [])}
                        for note, count in r.notes.most_common()
                    ],
                }
                for doctype, r in self.doctypes.items()
            },
        }

    def as_text(self) -> str:
        width = max([len(d) for d in self.doctypes] + [8])
        lines = [
            f"ERPNext migration from {self.source}",
            f"{'doctype':<{width}}  {'read':>7} {'created':>7} {'updated':>7} "
            f"{'same':>7} {'skipped':>7}",
        ]
        for doctype, r in self.doctypes.items():
            lines.append(
                f"{doctype:<{width}}  {r.read:>7} {r.created:>7} {r.updated:>7} "
                f"{r.unchanged:>7} {sum(r.skipped.values()):>7}"
            )
        for doctype, r in self.doctypes.items():
            for reason, count in r.skipped.most_common():
                names = ", ".join(r.examples.get(reason, []))
                lines.append(f"  skipped {count} {doctype}: {reason} (e.g. {names})")
            for note, count in r.notes.most_common():
                names = ", ".join(r.examples.get(note, []))
                lines.append(f"  note, {count} {doctype}: {note} (e.g. {names})")
        for doctype, start in self.resumed.items():
            if start < 0:
                lines.append(f"  {doctype}: done by the run that stopped, not read again")
            else:
                lines.append(
                    f"  went on with {doctype} from row {start} (the last run stopped there)"
                )
        if self.stopped:
            lines.append(f"STOPPED: {self.stopped}")
            lines.append("Run the same command again to go on from where it stopped.")
        return "\n".join(lines)
