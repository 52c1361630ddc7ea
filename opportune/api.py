"""The JSON API root (API.md): one NinjaAPI, each app adds its router."""

from __future__ import annotations

from ninja import NinjaAPI

from opportune.accounts.api import router as accounts_router
from opportune.accounts.auth import API_AUTH
from opportune.activities.api import router as activities_router
from opportune.automation.api import router as automation_router
from opportune.buying.api import router as buying_router
from opportune.comms.api import router as comms_router
from opportune.core.api import install_error_handlers, read_only_page
from opportune.core.api_audit import router as audit_router
from opportune.core.api_saved_views import router as saved_views_router
from opportune.core.api_search import router as search_router
from opportune.core.renderers import RENDERER
from opportune.crm.api import router as crm_router
from opportune.crm.api_communications import router as crm_communications_router
from opportune.crm.api_masters import router as crm_masters_router
from opportune.masters.api import router as masters_router
from opportune.notifications.api import router as notifications_router
from opportune.reports.api import router as reports_router
from opportune.selling.api import router as selling_router
from opportune.webhooks.api import router as webhooks_router

api = NinjaAPI(
    title="Opportune API",
    version="1",
    description="The sales pipeline over JSON: leads, customers, opportunities, quotations.",
    urls_namespace="api",
    auth=API_AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=read_only_page,
    renderer=RENDERER,
)
install_error_handlers(api)

api.add_router("/", crm_router)
api.add_router("/", masters_router)
api.add_router("/", crm_masters_router)
api.add_router("/", accounts_router)
api.add_router("/", selling_router)
api.add_router("/", buying_router)
api.add_router("/", audit_router)
api.add_router("/", search_router)
api.add_router("/", saved_views_router)
api.add_router("/", notifications_router)
api.add_router("/", automation_router)
api.add_router("/", activities_router)
api.add_router("/", crm_communications_router)
api.add_router("/", comms_router)
api.add_router("/", reports_router)
api.add_router("/", webhooks_router)
