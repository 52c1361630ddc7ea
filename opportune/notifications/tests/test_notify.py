"""notify / notify_many: once per key, inactive users skipped, set-based; the email of each new
notification whose kind the user wants by email: written waiting in the outbox, sent with the
others of its time bucket by one job over one SMTP connection (a real server), once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opportune.core.errors import ValidationError
from opportune.core.jobs import enqueue_job, run_job
from opportune.core.models import Job
from opportune.notifications import outbox
from opportune.notifications.models import Notification, NotificationSetting
from opportune.notifications.outbox import (
    SEND_EMAIL_JOB,
    SEND_EMAILS_JOB,
    send_notification_email,
    send_pending_notification_emails,
)
from opportune.notifications.services import (
    Message,
    email_choices,
    notify,
    notify_many,
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
    email choices, the INSERT (in batches of SQLite's parameter limit), no query per row.
    (Emails wanted: the bucket's job besides, once: test_a_batch_wanting_emails_asks_one_job.)"""
    messages = [
        Message(u.pk, "auto_close", f"Closed {i}", key=f"close:{u.pk}:{i}")
        for u in (sales, sales2)
        for i in range(500)
    ]
    with CaptureQueriesContext(connection) as queries:
        notify_many(messages, now=NOW)
    inserts = 14 if connection.vendor == "sqlite" else 1  # 76 rows a statement on SQLite
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


def _assign(user, key="assign:1", now=NOW):
    notify(
        user,
        kind="assignment",
        subject="CRM-OPP-2026-00001 was assigned to you",
        body="By Maria Manager.",
        link="/crm/opportunities/CRM-OPP-2026-00001/",
        reference_type="Opportunity",
        reference_name="CRM-OPP-2026-00001",
        key=key,
        now=now,
    )


def run_email_jobs() -> list[str]:
    """Run the pending email jobs as the worker would when their time comes (under pytest a job
    due later is not run on commit), those they queue too, each batch sent once its job's
    transaction commits; answers their outcomes."""
    outcomes = []
    while job := Job.objects.filter(name=SEND_EMAILS_JOB, status="pending").order_by("pk").first():
        with TestCase.captureOnCommitCallbacks(execute=True):
            outcomes.append(run_job(job.pk, job.name))
    return outcomes


def drain() -> outbox.Delivery:
    """A drain outside any job (the minute's), its batch sent once its claim commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        delivery = send_pending_notification_emails()
    return delivery


def pending() -> list[tuple[str, bool, bool]]:
    """Each notification's key, whether its email waits, whether it was sent."""
    rows = Notification.objects.order_by("pk").values_list("key", "email_pending", "emailed_at")
    return [(key, waits, emailed is not None) for key, waits, emailed in rows]


def test_an_email_goes_through_smtp_once_even_when_its_job_runs_twice(
    sales, django_capture_on_commit_callbacks
):
    with smtp_server() as inbox:
        with django_capture_on_commit_callbacks(execute=True):
            _assign(sales)
            _assign(sales)  # the same key: nothing more
        assert pending() == [("assign:1", True, False)]
        job = Job.objects.get()
        assert (job.name, job.key.startswith("notification-emails:"), job.status) == (
            "notifications.send_emails",
            True,
            "pending",
        )
        assert run_email_jobs() == ["done"]
        # the job run again (a retry after a lost answer), a drain, the one email asked for
        Job.objects.filter(pk=job.pk).update(status="pending", attempts=0)
        assert run_job(job.pk) == "done"
        assert drain().sent == []
        notification = Notification.objects.get()
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
    assert pending() == [("assign:1", False, True)]


def test_the_emails_of_a_bucket_go_by_one_job_over_one_connection(
    sales, sales2, django_capture_on_commit_callbacks
):
    """Five assignments in the same two seconds (three transactions): one job, five emails, one
    SMTP connection, oldest first."""
    clock = at(2027, 3, 1, 8)
    with time_machine.travel(clock, tick=False), smtp_server() as inbox:
        for keys in (["a", "b"], ["c"], ["d", "e"]):
            with django_capture_on_commit_callbacks(execute=True):
                for key in keys:
                    _assign(sales2 if key == "c" else sales, key=key, now=clock)
        [job] = Job.objects.all()
        assert (job.key, job.run_after) == (
            f"notification-emails:{int(clock.timestamp()) // 2}",
            clock + timedelta(seconds=2),  # the bucket's end
        )
        assert run_email_jobs() == ["done"]
    assert [m["To"] for m in inbox.messages] == ["sales@example.com"] * 2 + [
        "sales2@example.com"
    ] + ["sales@example.com"] * 2
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    assert [m["Message-ID"] for m in inbox.messages] == [
        f"<notification-{pk}.20270301080000@127.0.0.1>" for pk in ids
    ]
    assert len(set(inbox.peers)) == 1  # one connection
    assert [waits or not sent for _key, waits, sent in pending()] == [False] * 5


def test_the_next_bucket_has_its_own_job(sales, django_capture_on_commit_callbacks):
    clock = at(2027, 3, 1, 8)
    for seconds, key in ((0, "a"), (1, "b"), (2, "c")):
        with (
            time_machine.travel(clock + timedelta(seconds=seconds), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            _assign(sales, key=key, now=clock)
    bucket = int(clock.timestamp()) // 2
    assert list(Job.objects.order_by("pk").values_list("key", flat=True)) == [
        f"notification-emails:{bucket}",
        f"notification-emails:{bucket + 1}",
    ]


def test_a_full_batch_queues_the_next(sales, monkeypatch, django_capture_on_commit_callbacks):
    """Seven emails, batches of three: three jobs (the bucket's, then one per full batch)."""
    monkeypatch.setattr(outbox, "EMAIL_BATCH", 3)
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(7):
            _assign(sales, key=f"k{i}")
    with smtp_server() as inbox:
        run_email_jobs()  # each full batch's job handed (run here) once its claim commits
    assert list(Job.objects.order_by("pk").values_list("status", flat=True)) == ["done"] * 3
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    assert [m["Message-ID"] for m in inbox.messages] == [
        f"<notification-{pk}.20261207090000@127.0.0.1>" for pk in ids
    ]
    assert [
        key.split(":", 1)[1] for key in Job.objects.order_by("pk").values_list("key", flat=True)
    ][1:] == [f"after:{ids[2]}", f"after:{ids[5]}"]


def test_a_batch_whose_worker_died_is_sent_again_after_the_lease_and_none_lost(
    sales, sales2, monkeypatch, django_capture_on_commit_callbacks
):
    """The worker dies after the SMTP server took the batch, before it was recorded: the batch
    stays claimed, so no drain sends it again at once; after the claim's lease a drain sends it
    again (the same Message-IDs: a mailbox tells the duplicates), then never again."""
    with django_capture_on_commit_callbacks(execute=True):
        _assign(sales, key="a")
        _assign(sales2, key="b")
    record = outbox._record

    def crash(delivery, claimed_at, *, sent_at):
        monkeypatch.setattr(outbox, "_record", record)
        raise SystemExit("killed before the record")

    monkeypatch.setattr(outbox, "_record", crash)
    with smtp_server() as inbox:
        with pytest.raises(SystemExit):
            run_email_jobs()
        assert pending() == [("a", True, False), ("b", True, False)]
        assert drain().claimed == []  # claimed by the dead worker: left alone
        with time_machine.travel(timezone.now() + outbox.EMAIL_CLAIM_LEASE + timedelta(seconds=1)):
            assert len(drain().sent) == 2
            assert drain().claimed == []
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == 4 and ids[:2] == ids[2:]
    assert pending() == [("a", False, True), ("b", False, True)]


def test_an_email_job_costs_a_few_queries_a_batch(
    sales, sales2, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Per batch, whatever its size: the job's claim (one UPDATE ... RETURNING), the waiting
    rows read with their users and locked, the batch claimed in one UPDATE, the job done, in
    the job's transaction (here a savepoint and its release: the test's transaction); then,
    once that commits, the batch recorded in one UPDATE."""
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            _assign(sales if i % 2 else sales2, key=f"k{i}")
    job = Job.objects.get()
    with smtp_server() as inbox:
        with django_assert_num_queries(6), django_capture_on_commit_callbacks() as after:
            assert run_job(job.pk, job.name) == "done"
        assert inbox.messages == []  # nothing goes before the claim commits
        with django_assert_num_queries(1):
            for callback in after:
                callback()
    assert len(inbox.messages) == 5
    assert [waits or not sent for _key, waits, sent in pending()] == [False] * 5


def test_a_notification_wanting_an_email_adds_no_query(
    sales, sales2, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """notify: one INSERT that reads the user's email choice too; the bucket's job once per
    process (an INSERT that adds nothing when another write of the bucket added it)."""
    with time_machine.travel(at(2027, 3, 1, 8), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            with django_assert_num_queries(2):  # the notification, the bucket's job
                _assign(sales, key="a")
            with django_assert_num_queries(2):  # the job's key taken (not committed yet)
                _assign(sales2, key="b")
        with django_assert_num_queries(1):  # committed: this process knows the bucket's job
            _assign(sales, key="c")
        with django_assert_num_queries(1):  # no email wanted
            notify(sales, kind="mention", subject="Hi", key="d", now=NOW)
    assert Job.objects.count() == 1
    assert [waits for _key, waits, _sent in pending()] == [True, True, True, False]


def test_a_batch_wanting_emails_asks_one_job(sales, sales2, django_assert_num_queries):
    messages = [
        Message(u.pk, "reminder", f"Call {i}", key=f"r:{u.pk}:{i}")
        for u in (sales, sales2)
        for i in range(3)
    ]
    messages.append(Message(sales.pk, "mention", "Hi", key="m"))
    # inactive users, keys already written, email choices, the INSERT, the bucket's job
    with django_assert_num_queries(5):
        notify_many(messages, now=NOW)
    assert Job.objects.count() == 1
    assert [waits for _key, waits, _sent in pending()] == [True] * 6 + [False]


def test_no_email_when_the_user_chose_the_bell_only(sales, django_capture_on_commit_callbacks):
    set_email_choices(choices={"assignment": False}, by=sales)
    with smtp_server() as inbox, django_capture_on_commit_callbacks(execute=True):
        _assign(sales)
        notify(sales, kind="mention", subject="Off by default", now=NOW)
        notify_many([Message(sales.pk, "assignment", "Many", key="many")], now=NOW)
    assert inbox.messages == []
    assert [waits for _key, waits, _sent in pending()] == [False] * 3
    assert not Job.objects.exists()


def test_a_mention_comes_by_email_when_chosen(sales, django_capture_on_commit_callbacks):
    set_email_choices(choices={"mention": True}, by=sales)
    with smtp_server() as inbox:
        with django_capture_on_commit_callbacks(execute=True):
            notify(sales, kind="mention", subject="Sam mentioned you", now=NOW)
        run_email_jobs()
    assert [m["Subject"] for m in inbox.messages] == ["[Opportune] Sam mentioned you"]


def test_no_email_to_a_user_without_an_address_or_made_inactive(
    sales, sales2, manager, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=sales.pk).update(email="")
    sales.refresh_from_db()
    with smtp_server() as inbox:
        with django_capture_on_commit_callbacks(execute=True):
            _assign(sales, key="a")  # no address: not even waiting
            _assign(sales2, key="b")
            notify_many([Message(sales.pk, "reminder", "Call", key="c")], now=NOW)
        User.objects.filter(pk=sales2.pk).update(is_active=False)
        assert run_email_jobs() == ["done"]
    assert inbox.messages == []
    assert pending() == [("a", False, False), ("b", False, False), ("c", False, False)]


def test_a_batch_the_server_did_not_take_waits_for_the_next_drain(sales, settings):
    """No SMTP server listening: the job is done, its batch released, still waiting; the next
    drain (the minute's) sends it, once."""
    _assign(sales)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    assert run_email_jobs() == ["done"]
    assert pending() == [("assign:1", True, False)]
    assert Notification.objects.get().email_claimed_at is None
    with smtp_server() as inbox:
        assert len(drain().sent) == 1
        assert drain().claimed == []
    assert len(inbox.messages) == 1
    assert pending() == [("assign:1", False, True)]


def test_an_address_refused_for_good_is_dropped_and_the_others_sent(sales, sales2):
    _assign(sales, key="a")
    _assign(sales2, key="b")
    with smtp_server(refuse={"sales@example.com": "550 No such user"}) as inbox:
        assert run_email_jobs() == ["done"]
    assert inbox.recipients == [["sales2@example.com"]]
    assert pending() == [("a", False, False), ("b", False, True)]


def test_a_recipient_refused_for_now_waits_and_the_others_go(sales, sales2, manager):
    for key, user in (("a", sales), ("b", sales2), ("c", manager)):
        _assign(user, key=key)
    with smtp_server(refuse={"sales2@example.com": "451 Try again later"}) as inbox:
        assert run_email_jobs() == ["done"]
        assert pending() == [("a", False, True), ("b", True, False), ("c", False, True)]
        inbox.refuse.clear()
        assert drain().sent == [Notification.objects.get(key="b").pk]
    assert inbox.recipients == [
        ["sales@example.com"],
        ["manager@example.com"],
        ["sales2@example.com"],
    ]
    assert len(set(inbox.peers[:2])) == 1


def test_a_recipient_refused_for_now_for_a_day_is_given_up(sales, sales2):
    _assign(sales, key="a")
    _assign(sales2, key="b")
    Notification.objects.filter(key="b").update(creation=timezone.now() - timedelta(days=2))
    with smtp_server(refuse={"sales2@example.com": "451 Try again later"}) as inbox:
        assert run_email_jobs() == ["done"]
    assert inbox.recipients == [["sales@example.com"]]
    assert pending() == [("a", False, True), ("b", False, False)]


def test_a_server_failing_mid_batch_keeps_what_went_and_the_rest_waits(sales, sales2, manager):
    """The server closes the connection at the second message (421): the first is recorded
    sent, the others wait, and the next drain (the minute's) sends them, none twice."""
    for key, user in (("a", sales), ("b", sales2), ("c", manager)):
        _assign(user, key=key)
    with smtp_server(refuse={"sales2@example.com": "421 Closing the connection"}) as inbox:
        assert run_email_jobs() == ["done"]
        assert pending() == [("a", False, True), ("b", True, False), ("c", True, False)]
        inbox.refuse.clear()
        assert len(drain().sent) == 2
    assert inbox.recipients == [
        ["sales@example.com"],
        ["sales2@example.com"],
        ["manager@example.com"],
    ]
    assert [waits for _key, waits, _sent in pending()] == [False] * 3


def test_the_minute_drain_sends_what_its_bucket_missed(sales, django_capture_on_commit_callbacks):
    """A notification committed after its bucket's job ran: the scheduled drain sends it."""
    with django_capture_on_commit_callbacks(execute=True):
        _assign(sales, key="a")
    assert run_email_jobs() == ["done"]
    with django_capture_on_commit_callbacks(execute=True):
        _assign(sales, key="late")  # this process knows the bucket's job: none asked
    assert Job.objects.filter(status="pending").count() == 0
    with smtp_server() as inbox, django_capture_on_commit_callbacks(execute=True):
        job = enqueue_job(
            "notifications.send_missed_emails", scheduled_for="2026-12-07T09:01:00+00:00"
        )
    assert Job.objects.get(pk=job).status == "done"
    assert [m["Message-ID"] for m in inbox.messages] == [
        f"<notification-{Notification.objects.get(key='late').pk}.20261207090000@127.0.0.1>"
    ]


def test_an_email_job_of_before_the_outbox_still_sends_its_email(sales):
    """A ``notifications.send_email`` job left in a ledger sends its notification, once."""
    _assign(sales)
    pk = Notification.objects.get().pk
    with smtp_server() as inbox:
        job = enqueue_job(SEND_EMAIL_JOB, key=f"notification-email:{pk}", notification_id=pk)
        assert run_job(job) == "done"
        assert run_email_jobs() == ["done"]  # the bucket's: nothing more to send
    assert len(inbox.messages) == 1
    assert pending() == [("assign:1", False, True)]


def test_the_clock_stamps_the_notification_and_its_message_id(
    sales, django_capture_on_commit_callbacks
):
    """Without ``now``, the notification is stamped by the clock (moved, never waited for)."""
    with (
        time_machine.travel(at(2027, 3, 1, 8), tick=False),
        smtp_server() as inbox,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            notify(sales, kind="reminder", subject="Call Ada", key="reminder:1")
        run_email_jobs()
    notification = Notification.objects.get()
    assert notification.creation == at(2027, 3, 1, 8)
    assert notification.emailed_at == at(2027, 3, 1, 8)
    assert [m["Message-ID"] for m in inbox.messages] == [
        f"<notification-{notification.pk}.20270301080000@127.0.0.1>"
    ]


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_the_server_answers(sales, monkeypatch):
    """The batch is sent after its claim committed, outside any transaction (decision 0046):
    SQLite's write lock (the whole database's) and PostgreSQL's row locks are not held while a
    slow SMTP server answers, so the users' writes do not wait on it."""
    seen = []
    send = outbox._send

    def watched(notifications, delivery, *, give_up_before):
        seen.append(connection.in_atomic_block)
        return send(notifications, delivery, give_up_before=give_up_before)

    monkeypatch.setattr(outbox, "_send", watched)
    _assign(sales)
    with smtp_server() as inbox:
        assert run_email_jobs() == ["done"]
    assert seen == [False]
    assert len(inbox.messages) == 1
    assert pending() == [("assign:1", False, True)]
