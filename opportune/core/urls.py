from django.urls import path

from opportune.core import audit_views, import_views, saved_views_pages, search_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search_page, name="search"),
    path("views/save/", saved_views_pages.saved_view_create, name="saved_view_create"),
    path("views/<int:id>/", saved_views_pages.saved_view_change, name="saved_view_change"),
    path("views/<int:id>/delete/", saved_views_pages.saved_view_delete, name="saved_view_delete"),
    path("audit/", audit_views.audit_log_page, name="audit_log"),
    path("audit/deleted/", audit_views.deleted_documents_page, name="deleted_documents"),
    path("audit/deleted/<int:id>/", audit_views.deleted_document_page, name="deleted_document"),
    path(
        "audit/deleted/<int:id>/restore/",
        audit_views.deleted_document_restore,
        name="deleted_document_restore",
    ),
    path("import/", import_views.import_start, name="import_start"),
    path("import/<int:id>/", import_views.import_detail, name="import_detail"),
    path("import/<int:id>/check/", import_views.import_check, name="import_check"),
    path("import/<int:id>/run/", import_views.import_run, name="import_run"),
    path("import/<int:id>/result/", import_views.import_result, name="import_result"),
]
