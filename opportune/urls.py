from django.contrib import admin
from django.urls import include, path

from opportune.api import api
from opportune.core.views import healthz

# A database that does not answer is a 503 (retry), any other error a 500.
handler500 = "opportune.core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("opportune.accounts.urls")),
    path("notifications/", include("opportune.notifications.urls")),
    path("crm/", include("opportune.crm.urls")),
    path("selling/", include("opportune.selling.urls")),
    path("buying/", include("opportune.buying.urls")),
    path("reports/", include("opportune.reports.urls")),
    path("", include("opportune.automation.urls")),
    path("", include("opportune.webhooks.urls")),
    path("calendar/", include("opportune.activities.urls")),
    path("", include("opportune.core.urls")),
]

handler400 = "opportune.core.views.bad_request"
