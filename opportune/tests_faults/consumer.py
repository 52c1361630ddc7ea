"""``python -m opportune.tests_faults.consumer [run_huey options]``: the project's consumer
(``manage.py run_huey``) with the test jobs of ``opportune.testing`` registered too, so a fault
test can kill it in the middle of one."""

import sys

import django
from django.core.management import call_command

if __name__ == "__main__":
    django.setup()
    import opportune.testing  # noqa: F401 - registers the durable jobs "tests.note" and "tests.flaky"

    call_command("run_huey", *sys.argv[1:])
