"""The calendar's business rules: make, move and remove events; keep a document's event in step
with it (``sync_document_event``); the reminders due (``send_due_reminders``, exactly once per
time an event is at) and the morning digest of the day's events and due activities; the feed's token."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from opportune.accounts.time_zones import user_time_zone
from opportune.activities.models import Activity, CalendarFeedToken, Event, new_feed_token
from opportune.activities.references import reference_url
from opportune.core.company import settings_read_once
from opportune.core.errors import (
    ConflictError,
    FieldErrors,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from opportune.notifications.models import Notification
from opportune.notifications.services import Message, notify_many

if TYPE_CHECKING:
    from opportune.core.users import User

EDITABLE = frozenset({"subject", "description", "starts_on", "ends_on", "all_day"})
REMINDER_BATCH = 500
SUBJECT_MAX = 140


@dataclass(frozen=True)
class EventTimes:
    starts_on: datetime
    ends_on: datetime | None


# --- events made on the calendar ---------------------------------------------------------------
def create_event(*, data: Mapping[str, Any], by: User, now: datetime | None = None) -> Event:
    """A new event in ``by``'s own calendar, reminded at its start when that is to come."""
    now = now or timezone.now()
    unknown = set(data) - EDITABLE
    if unknown:
        raise ValidationError.for_field(sorted(unknown)[0], "This field cannot be set.")
    event = Event(owner=by, created=now, modified=now)
    _apply(event, data, creating=True)
    event.remind_at = event.starts_on if event.starts_on > now else None
    event.save()
    return event


def update_event(
    event: Event,
    *,
    data: Mapping[str, Any],
    version: int | None,
    by: User,
    now: datetime | None = None,
) -> Event:
    """Change (or move) the user's own event; a move bumps its SEQUENCE and re-arms the
    reminder at the new time. An event kept by a document is changed on the document."""
    now = now or timezone.now()
    unknown = set(data) - EDITABLE
    if unknown:
        raise ValidationError.for_field(sorted(unknown)[0], "This field cannot be set.")
    with transaction.atomic():
        locked = _lock_own(event, version=version, by=by)
        old = EventTimes(locked.starts_on, locked.ends_on)
        _apply(locked, data, creating=False)
        if EventTimes(locked.starts_on, locked.ends_on) != old:
            _moved(locked, now=now)
        locked.version += 1
        locked.modified = now
        locked.save()
    return locked


def delete_event(event: Event, *, version: int | None = None, by: User) -> None:
    with transaction.atomic():
        locked = _lock_own(event, version=version, by=by)
        locked.delete()


def _lock_own(event: Event, *, version: int | None, by: User) -> Event:
    locked = Event.objects.select_for_update().filter(pk=event.pk, owner=by).first()
    if locked is None:  # gone, or another user's: as if it did not exist
        raise NotFoundError(f"Event {event.pk} not found.")
    if locked.is_kept_by_document:
        raise ConflictError(
            f"This event follows {locked.reference_doctype} {locked.reference_name}: "
            "change its next contact there.",
            fields={"starts_on": ["kept by its document"]},
        )
    if version is not None and version != locked.version:
        raise StaleVersionError("Event", str(locked.pk), expected=version, current=locked.version)
    return locked


def _apply(event: Event, data: Mapping[str, Any], *, creating: bool) -> None:
    errors = FieldErrors()
    if "subject" in data or creating:
        subject = str(data.get("subject") or "").strip()
        if not subject:
            errors.add("subject", "Give the event a subject.")
        elif len(subject) > SUBJECT_MAX:
            errors.add("subject", f"A subject has at most {SUBJECT_MAX} characters.")
        event.subject = subject
    if "description" in data:
        event.description = str(data["description"] or "")
    if "all_day" in data:
        event.all_day = bool(data["all_day"])
    for field in ("starts_on", "ends_on"):
        if field in data:
            setattr(event, field, _aware(data[field], field, errors))
    if event.starts_on is None and "starts_on" not in errors.fields:
        errors.add("starts_on", "Give the event's start.")
    if event.starts_on and event.ends_on and event.ends_on < event.starts_on:
        errors.add("ends_on", "An event cannot end before it starts.")
    errors.raise_if_any()


def _aware(value: Any, field: str, errors: FieldErrors) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            errors.add(field, "Give a date and time (ISO 8601).")
            return None
    if not isinstance(value, datetime):
        errors.add(field, "Give a date and time (ISO 8601).")
        return None
    moment: datetime = timezone.make_aware(value) if timezone.is_naive(value) else value
    if not 1900 <= moment.year <= 9000:
        errors.add(field, "Give a date between the years 1900 and 9000.")
        return None
    return moment


def _moved(event: Event, *, now: datetime) -> None:
    """A new time: a new SEQUENCE, and a reminder at the new time when that is to come (the
    reminder's key holds the sequence, so it fires again)."""
    event.sequence += 1
    event.remind_at = event.starts_on if event.starts_on > now else None
    event.reminded_at = None


# --- events kept by a document ------------------------------------------------------------------
def sync_document_event(
    *,
    reference_doctype: str,
    reference_name: str,
    source: str,
    owner: User,
    subject: str,
    description: str,
    starts_on: datetime,
    now: datetime,
) -> Event | None:
    """The one event ``source`` keeps for a document: made (when its time is still to come),
    moved (a new owner or time: new SEQUENCE, reminder re-armed) or left as it is. Answers the
    event, or None when none is made for a time already past."""
    subject = subject[:SUBJECT_MAX]
    event = (
        Event.objects.select_for_update()
        .filter(reference_doctype=reference_doctype, reference_name=reference_name, source=source)
        .first()
    )
    if event is None:
        if starts_on <= now:
            return None  # a next contact already past is history: no event, no late reminder
        return Event.objects.create(
            reference_doctype=reference_doctype,
            reference_name=reference_name,
            source=source,
            owner=owner,
            subject=subject,
            description=description,
            starts_on=starts_on,
            remind_at=starts_on,
            created=now,
            modified=now,
        )
    if event.starts_on != starts_on or event.owner_id != owner.pk:
        event.starts_on, event.owner = starts_on, owner
        event.ends_on = None
        _moved(event, now=now)
    elif (event.subject, event.description) == (subject, description):
        return event
    event.subject, event.description = subject, description
    event.version += 1
    event.modified = now
    event.save()
    return event


def delete_document_event(
    *, reference_doctype: str, reference_name: str, source: str, after: datetime | None = None
) -> int:
    """Remove the event ``source`` keeps for a document (only if it starts after ``after``, when
    given: past ones stay in the calendar). Answers how many were removed."""
    events = Event.objects.filter(
        reference_doctype=reference_doctype, reference_name=reference_name, source=source
    )
    if after is not None:
        events = events.filter(starts_on__gt=after)
    deleted, _ = events.delete()
    return deleted


def delete_future_document_events(
    *, reference_doctype: str, reference_names: Any, source: str, after: datetime
) -> int:
    """Set-based: remove the future events ``source`` keeps for many documents at once
    (``reference_names``: a list or a subquery of names), as a job that ends them needs."""
    deleted, _ = Event.objects.filter(
        reference_doctype=reference_doctype,
        reference_name__in=reference_names,
        source=source,
        starts_on__gt=after,
    ).delete()
    return deleted


def upcoming_document_event_names(
    *, reference_doctype: str, reference_names: Sequence[str], source: str, after: datetime
) -> list[str]:
    """The names among ``reference_names`` that have an event of ``source`` after ``after``."""
    return list(
        Event.objects.filter(
            reference_doctype=reference_doctype,
            reference_name__in=reference_names,
            source=source,
            starts_on__gt=after,
        )
        .order_by()
        .values_list("reference_name", flat=True)
        .distinct()
    )


def delete_document_events(*, reference_doctype: str, reference_name: str) -> int:
    """Every event kept by a document that is being deleted."""
    deleted, _ = (
        Event.objects.filter(reference_doctype=reference_doctype, reference_name=reference_name)
        .exclude(source="")
        .delete()
    )
    return deleted


# --- reminders and digest -------------------------------------------------------------------------
def send_due_reminders(*, now: datetime) -> int:
    """Every reminder due by ``now`` and not yet sent, also those due while no worker ran: each
    claimed (``reminded_at`` set by a conditional UPDATE) in the same transaction that writes
    its notification, so it is sent exactly once. Answers how many were sent."""
    sent = 0
    while True:
        with transaction.atomic(), settings_read_once():
            due = list(
                Event.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(remind_at__lte=now, reminded_at__isnull=True, owner__is_active=True)
                .select_related("owner", "owner__profile")
                .order_by("remind_at", "pk")[:REMINDER_BATCH]
            )
            claimed = Event.objects.filter(
                pk__in=[e.pk for e in due], reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed != len(due):  # pragma: no cover - the row locks make this impossible
                raise ConflictError("Reminders were claimed meanwhile; run again.")
            notify_many([_reminder(event) for event in due], now=now)
        sent += len(due)
        if len(due) < REMINDER_BATCH:
            return sent


def _reminder(event: Event) -> Message:
    zone = user_time_zone(event.owner)
    when = timezone.localtime(event.starts_on, zone)
    body = f"{when:%A %d %B %Y, %H:%M} ({zone.key})"
    if event.description:
        body += f"\n\n{event.description}"
    return Message(
        user_id=event.owner_id,
        kind=Notification.Kind.REMINDER,
        subject=f"Reminder: {event.subject}",
        body=body,
        link=event_link(event),
        reference_type=event.reference_doctype,
        reference_name=event.reference_name,
        key=f"reminder:{event.pk}:{event.sequence}",
    )


def event_link(event: Event) -> str:
    """The page to open from a reminder: the event's document, else the event."""
    return reference_url(event.reference_doctype, event.reference_name) or reverse(
        "activities:event_detail", args=[event.pk]
    )


def send_morning_digest(*, now: datetime) -> int:
    """One notification per user with events on ``now``'s day (in the user's time zone), or
    activities due that day or overdue, listing them; keyed by user and day, so a second run
    adds nothing. Answers how many."""
    with settings_read_once():
        candidates = (
            Event.objects.filter(
                starts_on__gte=now - timedelta(days=2),
                starts_on__lt=now + timedelta(days=2),
                owner__is_active=True,
            )
            .select_related("owner", "owner__profile")
            .order_by("starts_on", "pk")
        )
        days: dict[int, date] = {}
        users: dict[int, User] = {}
        by_owner: dict[int, list[Event]] = defaultdict(list)
        for event in candidates:
            day = _day_of(event.owner, now, days, users)
            zone = user_time_zone(event.owner)
            if timezone.localtime(event.starts_on, zone).date() == day:
                by_owner[event.owner_id].append(event)
        due, overdue = _due_activities(now, days, users)
        wanted = sorted(set(by_owner) | set(due) | set(overdue))
        messages = [
            _digest(users[u], days[u], by_owner.get(u, []), due.get(u, []), overdue.get(u, 0))
            for u in wanted
        ]
    notify_many(messages, now=now)
    return len(messages)


def _day_of(user: User, now: datetime, days: dict[int, date], users: dict[int, User]) -> date:
    users.setdefault(user.pk, user)
    return days.setdefault(user.pk, timezone.localtime(now, user_time_zone(user)).date())


def _due_activities(
    now: datetime, days: dict[int, date], users: dict[int, User]
) -> tuple[dict[int, list[Activity]], dict[int, int]]:
    """Each user's open activities due on their day (listed), and how many are overdue
    (counted by the database, however many there are)."""
    utc_day = now.astimezone(UTC).date()
    open_rows = Activity.objects.filter(status=Activity.Status.OPEN, allocated_to__is_active=True)
    near = (
        open_rows.filter(
            due_date__gte=utc_day - timedelta(days=1), due_date__lte=utc_day + timedelta(days=1)
        )
        .select_related("activity_type", "allocated_to", "allocated_to__profile")
        .order_by("due_date", "name")
    )
    due: dict[int, list[Activity]] = defaultdict(list)
    overdue: dict[int, int] = defaultdict(int)
    for activity in near:
        day = _day_of(activity.allocated_to, now, days, users)
        if activity.due_date == day:
            due[activity.allocated_to_id].append(activity)
        elif activity.due_date < day:
            overdue[activity.allocated_to_id] += 1
    older = (
        open_rows.filter(due_date__lt=utc_day - timedelta(days=1))
        .order_by()
        .values("allocated_to")
        .annotate(n=Count("pk"))
    )
    counts = {row["allocated_to"]: row["n"] for row in older}
    for user in (
        get_user_model().objects.filter(pk__in=set(counts) - set(users)).select_related("profile")
    ):
        _day_of(user, now, days, users)
    for user_id, n in counts.items():
        overdue[user_id] += n
    return due, overdue


def _digest(
    owner: User, day: date, events: list[Event], due: list[Activity], overdue: int
) -> Message:
    zone = user_time_zone(owner)
    lines = [
        ("all day" if e.all_day else f"{timezone.localtime(e.starts_on, zone):%H:%M}")
        + f"  {e.subject}"
        for e in events
    ]
    count = len(events)
    subject = f"Your {count} event{'s' if count != 1 else ''} today, {day:%A %d %B}"
    link = reverse("activities:calendar") + f"?view=agenda&date={day.isoformat()}"
    if due or overdue:
        parts = [f"{count} event{'s' if count != 1 else ''}"] if events else []
        parts.append(f"{len(due)} activit{'ies' if len(due) != 1 else 'y'} due")
        if overdue:
            parts.append(f"{overdue} overdue")
        subject = f"Your day, {day:%A %d %B}: {', '.join(parts)}"
        if lines:
            lines.append("")
        lines += [f"{a.activity_type.icon} {a.activity_type_id}: {a.summary}" for a in due]
        if overdue:
            lines.append(f"{overdue} overdue activit{'ies' if overdue != 1 else 'y'}")
        if not events:
            link = reverse("activities:activity_list")
    return Message(
        user_id=owner.pk,
        kind=Notification.Kind.DIGEST,
        subject=subject,
        body="\n".join(lines),
        link=link,
        key=f"digest:{owner.pk}:{day.isoformat()}",
    )


# --- the private feed --------------------------------------------------------------------------
def feed_token_of(user: User) -> CalendarFeedToken:
    """The user's feed token, made the first time it is asked for."""
    token, _ = CalendarFeedToken.objects.get_or_create(user=user)
    return token


def regenerate_feed_token(*, by: User) -> CalendarFeedToken:
    """A new secret for ``by``'s feed: the old address stops working at once."""
    token, created = CalendarFeedToken.objects.get_or_create(user=by)
    if not created:
        CalendarFeedToken.objects.filter(pk=token.pk).update(
            token=new_feed_token(), created=timezone.now()
        )
        token.refresh_from_db()
    return token
