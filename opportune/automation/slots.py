"""What automation shows on pages of lower apps (registered in ``AutomationConfig.ready``): the
Assignment Rules entry of the navigation, for managers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opportune.automation import access
from opportune.core.slots import NavLink


def nav_links(user: Any) -> list[NavLink]:
    if not access.can_manage_rules(user):
        return []
    url = reverse("automation:rule_list")
    return [NavLink("Assignment Rules", url, ("/assignment-rules/",), 90)]
