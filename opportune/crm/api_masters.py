"""JSON API of the CRM's masters and settings (API.md). Thin: access, service, schema.

Masters follow masters/api.py (every staff role reads, Sales Managers write, no role: empty
lists and 404). ``settings/crm`` is read by every staff role and changed by Sales Managers,
with the version read (body or If-Match); a user without a role gets 404.
"""

from __future__ import annotations

from ninja import Router

from opportune.core.api import ApiRequest, version_from
from opportune.core.api_documents import payload_data
from opportune.core.schemas import ERRORS
from opportune.crm import services
from opportune.crm.models import CRMSettings
from opportune.crm.schemas_masters import (
    CampaignCreate,
    CampaignOut,
    CompetitorCreate,
    CompetitorOut,
    CompetitorPatch,
    CRMSettingsOut,
    CRMSettingsPatch,
    DescribedCreate,
    DescribedOut,
    DescribedPatch,
    LeadSourceCreate,
    LeadSourceOut,
    LeadSourcePatch,
    LostReasonCreate,
    LostReasonOut,
    SalesStageCreate,
    SalesStageOut,
    SalesStagePatch,
)
from opportune.crm.services import masters as specs
from opportune.masters import access
from opportune.masters.api import MasterResource, add_master_routes, writers_only
from opportune.masters.filters import search_on

router = Router()

MASTERS = (
    MasterResource(
        "opportunity-types", specs.OPPORTUNITY_TYPE, DescribedOut, DescribedCreate, DescribedPatch
    ),
    MasterResource(
        "lead-sources", specs.LEAD_SOURCE, LeadSourceOut, LeadSourceCreate, LeadSourcePatch
    ),
    MasterResource(
        "campaigns",
        specs.CAMPAIGN,
        CampaignOut,
        CampaignCreate,
        DescribedPatch,
        search=search_on("name", "description"),
    ),
    MasterResource(
        "sales-stages",
        specs.SALES_STAGE,
        SalesStageOut,
        SalesStageCreate,
        SalesStagePatch,
        orderings=("idx", "name", "probability"),
        default_ordering="idx",
    ),
    MasterResource("lost-reasons", specs.LOST_REASON, LostReasonOut, LostReasonCreate),
    MasterResource(
        "competitors", specs.COMPETITOR, CompetitorOut, CompetitorCreate, CompetitorPatch
    ),
)
for _resource in MASTERS:
    add_master_routes(router, _resource)


def _settings_for(user, *, write: bool = False) -> CRMSettings:
    """The settings row (made by the first migration) if the user may read masters, and write
    them when ``write``: one query."""
    return access.get_master_for(user, CRMSettings, 1, label="CRM Settings", write=write)


@router.get("/settings/crm", response={200: CRMSettingsOut, **ERRORS}, tags=["settings"])
def get_crm_settings(request: ApiRequest):
    return _settings_for(request.auth)


@router.patch(
    "/settings/crm",
    auth=writers_only(access.can_manage_masters, "CRM Settings"),
    response={200: CRMSettingsOut, **ERRORS},
    tags=["settings"],
)
def update_crm_settings(request: ApiRequest, payload: CRMSettingsPatch):
    _settings_for(request.auth, write=True)
    version = version_from(request, payload.version)
    return services.update_crm_settings(
        data=payload_data(payload), version=version, by=request.auth
    )
