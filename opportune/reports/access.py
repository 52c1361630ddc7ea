"""Who sees the reports and who sets the targets. The rows of every report are those the user
may see (crm.access, selling.access: the record rules of decision 0008): a sales user's reports
count their own opportunities, a manager's everyone's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opportune.accounts.roles import is_manager
from opportune.crm.access import can_read_opportunities

if TYPE_CHECKING:
    from opportune.core.users import AnyUser


def can_view_reports(user: AnyUser) -> bool:
    return can_read_opportunities(user)


def can_set_targets(user: AnyUser) -> bool:
    return is_manager(user)
