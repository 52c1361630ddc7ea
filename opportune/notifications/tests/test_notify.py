"""notify / notify_many: once per key, inactive users skipped, set-based; the email of each new
notification whose kind the user wants by email, sent through a real SMTP server, once."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportune.core.errors import ValidationError
from opportune.core.jobs import run_job
from opportune.core.models import Job
from opportune.notifications.models import Notification, NotificationSetting
from opportune.notifications.services import (
    Message,
    email_choices,
    notify,
    notify_many,
    send_notification_email,
    set_email_choices,
)
from opportune.testing import at, free_port, smtp_server

pytestmark = pytest.mark.django_db

NOW = at(2026, 12, 7, 9)


def test_the_same_key_writes_one_notification(sales):
    for _ in range(2):
        notify(sales, kind="mention", subject="Ping", key="k1", now=NOW)
    notify_many([Message(sales.pk, "mention", "Ping", key="k1")] * 2, now=NOW)
    assert list(Notification.objects.values_list("user__username", "subject", "key")) == [
        ("sales", "Ping", "k1")
    ]


def test_messages_without_a_key_are_each_written(sales):
    notify(sales, kind="mention", subject="One", now=NOW)
    notify(sales, kind="mention", subject="Two", now=NOW)
    assert sorted(Notification.objects.values_list("subject", flat=True)) == ["One", "Two"]
    assert all(k.startswith("auto:") for k in Notification.objects.values_list("key", flat=True))


def test_inactive_users_are_skipped(sales, sales2):
    sales2.is_active = False
    sales2.save()
    asked = notify_many(
        [Message(sales.pk, "auto_close", "Closed"), Message(sales2.pk, "auto_close", "Closed")],
        now=NOW,
    )
    assert asked == 2
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["sales"]


def test_a_subject_is_one_line_and_fits(sales):
    notify(sales, kind="mention", subject="Line one\nline two " + "x" * 400, now=NOW)
    subject = Notification.objects.get().subject
    assert subject.startswith("Line one line two x") and len(subject) == 300


def test_a_batch_costs_a_few_queries_however_big(sales, sales2):
    """1,000 notifications (no email wanted): the inactive users, the keys already written, the
    email choices, the INSERT (in batches of SQLite's parameter limit), no query per row."""
    messages = [
        Message(u.pk, "auto_close", f"Closed {i}", key=f"close:{u.pk}:{i}")
        for u in (sales, sales2)
        for i in range(500)
    ]
    with CaptureQueriesContext(connection) as queries:
        notify_many(messages, now=NOW)
    inserts = 12 if connection.vendor == "sqlite" else 1  # 90 rows a statement on SQLite
    # inactive users, keys already written (2 chunks), email choices, inserts
    assert len(queries) == 1 + 2 + 1 + inserts
    assert Notification.objects.count() == 1000
    assert not Job.objects.exists()


# --- what comes by email ------------------------------------------------------------------------
def test_email_choices_default_to_assignments_and_reminders(sales):
    assert email_choices(sales) == {
        "assignment": True,
        "reminder": True,
        "mention": False,
        "auto_close": False,
        "digest": False,
    }
    chosen = set_email_choices(choices={"reminder": False, "mention": True}, by=sales)
    assert chosen == {
        "assignment": True,
        "reminder": False,
        "mention": True,
        "auto_close": False,
        "digest": False,
    }
    set_email_choices(choices={"mention": False}, by=sales)
    assert sorted(NotificationSetting.objects.values_list("kind", "email")) == [
        ("mention", False),
        ("reminder", False),
    ]


def test_an_unknown_kind_is_refused_naming_it(sales):
    with pytest.raises(ValidationError) as refused:
        set_email_choices(choices={"gossip": True}, by=sales)
    assert refused.value.fields == {"gossip": ["Not a kind of notification."]}
    assert not NotificationSetting.objects.exists()


def _assign(user, key="assign:1"):
    notify(
        user,
        kind="assignment",
        subject="CRM-OPP-2026-00001 was assigned to you",
        body="By Maria Manager.",
        link="/crm/opportunities/CRM-OPP-2026-00001/",
        reference_type="Opportunity",
        reference_name="CRM-OPP-2026-00001",
        key=key,
        now=NOW,
    )


def test_an_email_goes_through_smtp_once_even_when_its_job_runs_twice(
    sales, django_capture_on_commit_callbacks
):
    with smtp_server() as inbox:
        with django_capture_on_commit_callbacks(execute=True):
            _assign(sales)
            _assign(sales)  # the same key: nothing more
        job = Job.objects.get()
        notification = Notification.objects.get()
        assert (job.name, job.key, job.status) == (
            "notifications.send_email",
            f"notification-email:{notification.pk}",
            "done",
        )
        # the job run again (a retry after a lost answer), and the send asked for again
        Job.objects.filter(pk=job.pk).update(status="pending", attempts=0)
        assert run_job(job.pk) == "done"
        assert send_notification_email(notification_id=notification.pk) is False
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert inbox.recipients == [["sales@example.com"]]
    assert message["Subject"] == "[Opportune] CRM-OPP-2026-00001 was assigned to you"
    assert message["Message-ID"] == (f"<notification-{notification.pk}.20261207090000@127.0.0.1>")
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    text, html = plain.get_content(), rich.get_content()
    link = "http://127.0.0.1:8000/crm/opportunities/CRM-OPP-2026-00001/"
    assert "By Maria Manager." in text and f"Open it: {link}" in text
    assert f'<a href="{link}">Open it in Opportune</a>' in html
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_an_email_job_costs_a_few_queries(sales, django_assert_num_queries):
    """The e-mail job runs once per assignment: its claim (one UPDATE ... RETURNING), the
    notification read with its user and locked, the send recorded, the job done, inside the
    job's transaction (here a savepoint and its release: the test's transaction)."""
    _assign(sales)
    job = Job.objects.get()
    with smtp_server() as inbox, django_assert_num_queries(6):
        assert run_job(job.pk, job.name) == "done"
    assert len(inbox.messages) == 1


def test_no_email_when_the_user_chose_the_bell_only(sales, django_capture_on_commit_callbacks):
    set_email_choices(choices={"assignment": False}, by=sales)
    with smtp_server() as inbox, django_capture_on_commit_callbacks(execute=True):
        _assign(sales)
        notify(sales, kind="mention", subject="Off by default", now=NOW)
    assert inbox.messages == []
    assert Notification.objects.count() == 2
    assert not Job.objects.exists()


def test_a_mention_comes_by_email_when_chosen(sales, django_capture_on_commit_callbacks):
    set_email_choices(choices={"mention": True}, by=sales)
    with smtp_server() as inbox, django_capture_on_commit_callbacks(execute=True):
        notify(sales, kind="mention", subject="Sam mentioned you", now=NOW)
    assert [m["Subject"] for m in inbox.messages] == ["[Opportune] Sam mentioned you"]


def test_no_email_to_a_user_without_an_address_or_made_inactive(
    sales, sales2, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=sales.pk).update(email="")
    with smtp_server() as inbox:
        _assign(sales, key="a")
        _assign(sales2, key="b")
        User.objects.filter(pk=sales2.pk).update(is_active=False)
        for job in Job.objects.order_by("pk"):
            assert run_job(job.pk) == "done"
    assert inbox.messages == []
    assert list(Notification.objects.filter(emailed_at__isnull=False)) == []


def test_a_refused_send_is_retried_and_sent_once(sales, settings):
    """No SMTP server listening: the job fails and waits for its retry; then it sends, once."""
    _assign(sales)
    job = Job.objects.get()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    assert run_job(job.pk) == "retry"
    assert Notification.objects.get().emailed_at is None
    with smtp_server() as inbox:
        assert run_job(job.pk) == "done"
    assert len(inbox.messages) == 1
    assert Notification.objects.get().emailed_at is not None


def test_the_clock_stamps_the_notification_and_its_message_id(
    sales, django_capture_on_commit_callbacks
):
    """Without ``now``, the notification is stamped by the clock (moved, never waited for)."""
    with (
        time_machine.travel(at(2027, 3, 1, 8), tick=False),
        smtp_server() as inbox,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(sales, kind="reminder", subject="Call Ada", key="reminder:1")
    notification = Notification.objects.get()
    assert notification.creation == at(2027, 3, 1, 8)
    assert notification.emailed_at == at(2027, 3, 1, 8)
    assert [m["Message-ID"] for m in inbox.messages] == [
        f"<notification-{notification.pk}.20270301080000@127.0.0.1>"
    ]
