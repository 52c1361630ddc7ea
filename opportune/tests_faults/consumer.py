"""``python -m opportune.tests_faults.consumer [run_huey options]``: the project's consumer
(``manage.py run_huey``) with the test jobs of ``opportune.testing`` registered too, so a fault
test can kill it in the middle of one. With ``FAULTS_SCHEDULE=1``, the every-minute periodic job
of ``opportune.tests_faults.scheduled_jobs`` is declared too (for the schedule's test only)."""

import os
import sys

import django
from django.core.management import call_command

if __name__ == "__main__":
    django.setup()
    import opportune.testing  # registers the durable jobs "tests.note" and "tests.flaky"

    if os.environ.get("FAULTS_SCHEDULE") == "1":
        import opportune.tests_faults.scheduled_jobs  # noqa: F401 - "tests.every_minute"

    call_command("run_huey", *sys.argv[1:])
