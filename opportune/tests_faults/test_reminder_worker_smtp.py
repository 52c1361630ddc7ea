"""Issue 9's next-contact reminder with real parts, end to end: a contact time that passed while
no worker ran is reminded, by email through a real SMTP server, once, however often the job runs.

Real processes: the project's consumer (``run_huey``, 2 worker threads) on a Redis queue of the
test's own name, on the test database (a file on SQLite, see conftest.py), its mail going to an
SMTP server in this process (aiosmtpd, ``opportune.testing.smtp_inbox``) through ``EMAIL_URL``.
The path: the consumer's startup dispatch (core.schedule) enqueues the current minute of
``crm.send_due_reminders``; the job claims the event and writes the notification waiting for its
email, which queues the outbox's drain of its time bucket (``notifications.send_emails``, due at
the bucket's end); that job sends the mail over SMTP and stamps ``emailed_at``."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from huey.storage import RedisStorage

from opportune.accounts.time_zones import user_time_zone
from opportune.activities.models import NEXT_CONTACT, Event
from opportune.core.jobs import enqueue_job
from opportune.core.models import Job, ScheduleState
from opportune.core.schedule import slot_iso
from opportune.crm import services as crm
from opportune.notifications.models import Notification
from opportune.notifications.outbox import SEND_EMAILS_JOB
from opportune.testing import make_opportunity, real_queue, smtp_inbox
from opportune.tests_faults.helpers import child_env, consumer, database_url, running, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

REMINDERS = "crm.send_due_reminders"
SITE = "http://crm.example.test"  # the consumer's SITE_URL: the links of its emails


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_a_reminder_missed_while_no_worker_ran_is_emailed_once_by_the_real_worker(tmp_path, sales):
    now = timezone.now()
    contact_at = (now - timedelta(minutes=30)).replace(second=0, microsecond=0)
    # An hour ago the next contact was set for half an hour ago: still to come then, past now
    # (no worker ran at that moment).
    with time_machine.travel(now - timedelta(hours=1)):
        opportunity = make_opportunity(sales)
        opportunity = crm.update_opportunity(
            opportunity,
            data={"contact_date": contact_at, "contact_by": sales.username},
            version=opportunity.version,
            by=sales,
        )
    [event] = Event.objects.filter(reference_doctype="Opportunity", reference_name=opportunity.name)
    assert (event.source, event.owner_id, event.starts_on, event.remind_at, event.reminded_at) == (
        NEXT_CONTACT,
        sales.pk,
        contact_at,
        contact_at,
        None,
    )
    # The reminders' job has been known for an hour: the worker's startup dispatch enqueues the
    # current minute's slot (the real path, as after an outage).
    ScheduleState.objects.create(name=REMINDERS, first_seen=now - timedelta(hours=1))

    name = f"opportune-reminder-smtp-{os.getpid()}"  # not the queue of another run on this Redis
    reminders = Notification.objects.filter(user=sales, kind=Notification.Kind.REMINDER)
    dispatched = Job.objects.filter(name=REMINDERS, key__startswith=f"schedule:{REMINDERS}:")
    with smtp_inbox() as inbox:
        env = child_env(
            tmp_path / "var",
            DATABASE_URL=database_url(connection.settings_dict),
            REDIS_URL=os.environ["REDIS_URL"],
            HUEY_NAME=name,
            EMAIL_URL=f"smtp://127.0.0.1:{inbox.port}",
            SITE_URL=SITE,
            DEFAULT_FROM_EMAIL="crm@example.test",
        )
        with (
            real_queue(RedisStorage(name, url=env["REDIS_URL"])),
            running(consumer(env, tmp_path / "consumer.log")),
        ):
            wait_for(
                lambda: (
                    inbox.messages
                    and reminders.filter(emailed_at__isnull=False).exists()
                    and dispatched.filter(status=Job.Status.DONE).exists()
                ),
                timeout=60,
                what="the dispatched job done, its email received and marked sent",
                every=0.2,
            )

            # The job again (another slot's key): nothing is due any more.
            again = f"e2e:{REMINDERS}:again"
            enqueue_job(REMINDERS, key=again, scheduled_for=slot_iso(timezone.now()))
            wait_for(
                lambda: Job.objects.filter(key=again, status=Job.Status.DONE).exists(),
                timeout=30,
                what="the second run of the reminders' job done",
                every=0.2,
            )
            received = list(zip(inbox.recipients, inbox.messages, strict=True))
            drains = Job.objects.filter(
                name=SEND_EMAILS_JOB, key__startswith="notification-emails:"
            )
            emails = list(drains.values_list("status", flat=True))

    [notification] = reminders
    event.refresh_from_db()
    subject = "Reminder: Contact customer Babbage Ltd"
    assert (notification.subject, notification.link, notification.key) == (
        subject,
        f"/crm/opportunities/{opportunity.name}/",
        f"reminder:{event.pk}:0",
    )
    # Claimed by the worker's run (after the contact time), in the transaction of its notice.
    assert event.reminded_at is not None and event.reminded_at > contact_at
    assert notification.creation == event.reminded_at
    assert notification.emailed_at is not None and notification.emailed_at >= event.reminded_at
    assert emails == ["done"]
    # Exactly one email, to the user, through SMTP.
    [(recipients, message)] = received
    assert recipients == [sales.email] == ["sales@example.com"]
    assert (message["Subject"], message["From"], message["To"]) == (
        f"[Opportune] {subject}",
        "crm@example.test",
        "sales@example.com",
    )
    assert message["Message-ID"] == (
        f"<notification-{notification.pk}.{notification.creation:%Y%m%d%H%M%S}@crm.example.test>"
    )
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    zone = user_time_zone(sales)
    when = timezone.localtime(contact_at, zone)
    link = f"{SITE}/crm/opportunities/{opportunity.name}/"
    text = plain.get_content().replace("\r\n", "\n")  # as sent over SMTP: CRLF
    assert text.split("\n--\n")[0] == (
        f"{subject}\n\n"
        f"{when:%A %d %B %Y, %H:%M} ({zone.key})\n\n"
        f"Contact customer Babbage Ltd ({opportunity.name}). By: sales.\n\n"
        f"Open it: {link}\n"
    )
    assert f'<a href="{link}">Open it in Opportune</a>' in rich.get_content()
