from django.urls import path

from opportune.buying import views

app_name = "buying"
# A document's own pages come before its generic ones (whose <name>/<action>/ takes any such path).
urlpatterns = [
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/new/", views.supplier_form, name="supplier_create"),
    path("suppliers/<str:name>/", views.supplier_detail, name="supplier_detail"),
    path("suppliers/<str:name>/edit/", views.supplier_form, name="supplier_edit"),
    path("supplier-groups/", views.supplier_groups, name="supplier_groups"),
    *views.SUPPLIER_QUOTATION_PAGES.urlpatterns("supplier-quotations/"),
    path(
        "requests-for-quotation/<str:name>/make-supplier-quotation/",
        views.rfq_make_supplier_quotation,
        name="rfq_make_supplier_quotation",
    ),
    *views.RFQ_PAGES.urlpatterns("requests-for-quotation/"),
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
