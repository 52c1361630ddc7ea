"""CRM business operations. Pages, API, jobs and commands all call these."""

from opportune.crm.services.bulk import BulkResult, bulk_update_opportunities
from opportune.crm.services.masters import update_crm_settings
from opportune.crm.services.opportunities import (
    add_opportunity_comment,
    create_opportunity,
    declare_opportunity_lost,
    delete_opportunity,
    make_opportunity_from_lead,
    recompute_opportunity_status,
    reopen_opportunity,
    set_opportunity_status,
    update_opportunity,
)
from opportune.crm.services.opportunity_draft import party_for_email
from opportune.crm.services.parties import (
    create_contact,
    create_customer,
    create_lead,
    delete_contact,
    delete_customer,
    delete_lead,
    find_party,
    make_customer_from_lead,
    make_customer_from_opportunity,
    party_customer_name,
    register_contact_party,
    update_contact,
    update_customer,
    update_lead,
)

__all__ = [
    "BulkResult",
    "bulk_update_opportunities",
    "add_opportunity_comment",
    "create_contact",
    "create_customer",
    "create_lead",
    "create_opportunity",
    "declare_opportunity_lost",
    "delete_contact",
    "delete_customer",
    "delete_lead",
    "find_party",
    "delete_opportunity",
    "make_customer_from_lead",
    "make_customer_from_opportunity",
    "make_opportunity_from_lead",
    "party_customer_name",
    "party_for_email",
    "recompute_opportunity_status",
    "register_contact_party",
    "reopen_opportunity",
    "set_opportunity_status",
    "update_contact",
    "update_crm_settings",
    "update_customer",
    "update_lead",
    "update_opportunity",
]
