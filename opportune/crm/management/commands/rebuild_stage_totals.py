"""Recompute the board's summary (crm_stagetotal) from the opportunities: after a restore or a
load that went around the triggers (decision 0034). Safe to run at any time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from opportune.crm.stage_totals import rebuild_stage_totals


class Command(BaseCommand):
    help = "Recompute the board's per-stage summary from the opportunities."

    def handle(self, *args: Any, **options: Any) -> None:
        keys = rebuild_stage_totals()
        self.stdout.write(f"Board summary rebuilt: {keys} (stage, status) totals.")
