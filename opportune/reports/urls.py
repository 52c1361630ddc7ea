from django.urls import path

from opportune.reports import views
from opportune.reports.registry import REPORTS

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("targets/", views.targets, name="targets"),
    *(
        path(f"{slug}/", views.REPORT_VIEWS[slug], name=spec.url_name.split(":")[1])
        for slug, spec in REPORTS.items()
    ),
]
