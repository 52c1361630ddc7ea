from django.urls import path

from opportune.selling import views

app_name = "selling"
urlpatterns = [
    path("quotations/", views.quotation_list, name="quotation_list"),
    path("quotations/new/", views.quotation_create, name="quotation_create"),
    path("quotations/<str:name>/", views.quotation_detail, name="quotation_detail"),
    path("quotations/<str:name>/edit/", views.quotation_edit, name="quotation_edit"),
    path("quotations/<str:name>/delete/", views.quotation_delete, name="quotation_delete"),
    path(
        "quotations/<str:name>/declare-lost/",
        views.quotation_declare_lost,
        name="quotation_declare_lost",
    ),
    path(
        "quotations/<str:name>/make-sales-order/",
        views.quotation_make_sales_order,
        name="quotation_make_sales_order",
    ),
    path("quotations/<str:name>/pdf/", views.quotation_pdf_view, name="quotation_pdf"),
    path("quotations/<str:name>/<slug:action>/", views.quotation_action, name="quotation_action"),
    path(
        "opportunities/<str:name>/make-quotation/",
        views.opportunity_make_quotation,
        name="opportunity_make_quotation",
    ),
    path("sales-orders/", views.sales_order_list, name="sales_order_list"),
    path("sales-orders/new/", views.sales_order_create, name="sales_order_create"),
    path("sales-orders/<str:name>/", views.sales_order_detail, name="sales_order_detail"),
    path("sales-orders/<str:name>/edit/", views.sales_order_edit, name="sales_order_edit"),
    path("sales-orders/<str:name>/delete/", views.sales_order_delete, name="sales_order_delete"),
    path(
        "sales-orders/<str:name>/<slug:action>/",
        views.sales_order_action,
        name="sales_order_action",
    ),
]
