"""The JSON API root (API.md): one NinjaAPI, each app adds its router."""

from __future__ import annotations

from ninja import NinjaAPI

from opportune.core.api import API_AUTH, install_error_handlers
from opportune.crm.api import router as crm_router

api = NinjaAPI(
    title="Opportune API",
    version="1",
    description="The sales pipeline over JSON: leads, customers, opportunities, quotations.",
    urls_namespace="api",
    auth=API_AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

api.add_router("/", crm_router)
