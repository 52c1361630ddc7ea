from django.urls import path

from opportune.selling import views

app_name = "selling"
# A document's own pages come before its generic ones (whose <name>/<action>/ takes any such path).
urlpatterns = [
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
    *views.QUOTATION_PAGES.urlpatterns("quotations/"),
    path(
        "opportunities/<str:name>/make-quotation/",
        views.opportunity_make_quotation,
        name="opportunity_make_quotation",
    ),
    *views.SALES_ORDER_PAGES.urlpatterns("sales-orders/"),
]
