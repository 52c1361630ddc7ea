from django.urls import path

from opportune.buying import views

app_name = "buying"
urlpatterns = [
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/new/", views.supplier_form, name="supplier_create"),
    path("suppliers/<str:name>/", views.supplier_detail, name="supplier_detail"),
    path("suppliers/<str:name>/edit/", views.supplier_form, name="supplier_edit"),
    path("supplier-groups/", views.supplier_groups, name="supplier_groups"),
    path("supplier-quotations/", views.supplier_quotation_list, name="supplier_quotation_list"),
    path(
        "supplier-quotations/new/",
        views.supplier_quotation_create,
        name="supplier_quotation_create",
    ),
    path(
        "supplier-quotations/<str:name>/",
        views.supplier_quotation_detail,
        name="supplier_quotation_detail",
    ),
    path(
        "supplier-quotations/<str:name>/edit/",
        views.supplier_quotation_edit,
        name="supplier_quotation_edit",
    ),
    path(
        "supplier-quotations/<str:name>/delete/",
        views.supplier_quotation_delete,
        name="supplier_quotation_delete",
    ),
    path(
        "supplier-quotations/<str:name>/<slug:action>/",
        views.supplier_quotation_action,
        name="supplier_quotation_action",
    ),
    path("requests-for-quotation/", views.rfq_list, name="rfq_list"),
    path("requests-for-quotation/new/", views.rfq_create, name="rfq_create"),
    path("requests-for-quotation/<str:name>/", views.rfq_detail, name="rfq_detail"),
    path("requests-for-quotation/<str:name>/edit/", views.rfq_edit, name="rfq_edit"),
    path("requests-for-quotation/<str:name>/delete/", views.rfq_delete, name="rfq_delete"),
    path(
        "requests-for-quotation/<str:name>/make-supplier-quotation/",
        views.rfq_make_supplier_quotation,
        name="rfq_make_supplier_quotation",
    ),
    path("requests-for-quotation/<str:name>/<slug:action>/", views.rfq_action, name="rfq_action"),
    path(
        "opportunities/<str:name>/make-supplier-quotation/",
        views.opportunity_make_supplier_quotation,
        name="opportunity_make_supplier_quotation",
    ),
    path(
        "opportunities/<str:name>/make-request-for-quotation/",
        views.opportunity_make_request_for_quotation,
        name="opportunity_make_request_for_quotation",
    ),
    path(
        "opportunities/<str:name>/supplier-quotation-comparison/",
        views.opportunity_comparison,
        name="opportunity_comparison",
    ),
]
