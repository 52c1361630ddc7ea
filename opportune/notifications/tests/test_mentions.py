"""@username in comments: who is told, and who is not."""

from __future__ import annotations

import pytest

from opportune.crm import services as crm
from opportune.notifications.models import Notification
from opportune.notifications.services import mentioned_names, notify_mentions
from opportune.testing import at, make_customer, make_opportunity, make_user

pytestmark = pytest.mark.django_db

NOW = at(2026, 12, 7, 9)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@ada please call", ["ada"]),
        ("Ask @ada, then @bob.", ["ada", "bob"]),
        ("(@ada) and @ada: twice", ["ada"]),
        ("@Ada.Lovelace! and @b_b?", ["ada.lovelace", "b_b"]),
        ("write to ada@example.com", []),
        ("no one @ all, just @", []),
        ("@ada's deal", ["ada"]),
        ("", []),
    ],
)
def test_mentioned_names(text, names):
    assert mentioned_names(text) == names


def _mention(text, by, **kw):
    return notify_mentions(
        text,
        reference_type="Opportunity",
        reference_name="CRM-OPP-2026-00001",
        link="/crm/opportunities/CRM-OPP-2026-00001/",
        by=by,
        key_prefix="mention:comment:1",
        now=NOW,
        **kw,
    )


def test_active_users_named_are_told_not_the_author_nor_unknown_nor_inactive(sales, sales2):
    make_user("ada", first_name="Ada")
    make_user("gone", is_active=False)
    told = _mention("@sales @ADA, @sales2. @nobody @gone see this", sales)
    assert told == ["ada", "sales2"]
    rows = Notification.objects.order_by("user__username").values_list(
        "user__username", "kind", "subject", "body", "link", "key"
    )
    body = "@sales @ADA, @sales2. @nobody @gone see this"
    link = "/crm/opportunities/CRM-OPP-2026-00001/"
    subject = "Sam Seller mentioned you on Opportunity CRM-OPP-2026-00001"
    assert [r[:5] for r in rows] == [
        ("ada", "mention", subject, body, link),
        ("sales2", "mention", subject, body, link),
    ]
    # the same comment again (a retried request) tells nobody twice
    _mention("@sales @ADA, @sales2. @nobody @gone see this", sales)
    assert Notification.objects.count() == 2


def test_who_may_not_see_the_document_is_not_told(sales, sales2, manager):
    told = _mention("@sales2 @manager", sales, visible_to=lambda u: u.username == "manager")
    assert told == ["manager"]
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["manager"]


def test_an_opportunity_comment_tells_who_it_names_and_may_see_it(sales, sales2, manager):
    opportunity = make_opportunity(sales, make_customer(sales))
    comment = crm.add_opportunity_comment(
        opportunity, content="@manager @sales2 @sales have a look", by=sales
    )
    # sales2 does not see sales's opportunity; sales wrote it
    assert list(Notification.objects.values_list("user__username", "key", "link")) == [
        (
            "manager",
            f"mention:comment:{comment.pk}:{manager.pk}",
            f"/crm/opportunities/{opportunity.name}/",
        )
    ]


def test_system_comments_tell_nobody(sales, manager):
    opportunity = make_opportunity(sales, make_customer(sales), title="@manager deal")
    crm.update_opportunity(
        opportunity, data={"title": "@manager again"}, version=opportunity.version, by=sales
    )
    assert not Notification.objects.exists()
