from django.urls import path

from opportune.crm.views import (
    board,
    emails,
    masters,
    merge,
    opportunities,
    opportunity_form,
    parties,
)

app_name = "crm"
urlpatterns = [
    path("opportunities/", opportunities.opportunity_list, name="opportunity_list"),
    path("opportunities/bulk/", opportunities.opportunity_bulk, name="opportunity_bulk"),
    path("opportunities/board/", board.opportunity_board, name="opportunity_board"),
    path("opportunities/board/move/", board.opportunity_board_move, name="opportunity_board_move"),
    path("opportunities/new/", opportunity_form.opportunity_create, name="opportunity_create"),
    path("opportunities/parties/", opportunity_form.party_search, name="party_search"),
    path("opportunities/items/", opportunity_form.item_search, name="item_search"),
    path("opportunities/exchange-rate/", opportunity_form.exchange_rate, name="exchange_rate"),
    path("opportunities/<str:name>/", opportunities.opportunity_detail, name="opportunity_detail"),
    path(
        "opportunities/<str:name>/edit/", opportunity_form.opportunity_edit, name="opportunity_edit"
    ),
    path(
        "opportunities/<str:name>/declare-lost/",
        opportunities.opportunity_declare_lost,
        name="opportunity_declare_lost",
    ),
    path(
        "opportunities/<str:name>/reopen/",
        opportunities.opportunity_reopen,
        name="opportunity_reopen",
    ),
    path(
        "opportunities/<str:name>/close/", opportunities.opportunity_close, name="opportunity_close"
    ),
    path(
        "opportunities/<str:name>/assign/",
        opportunities.opportunity_assign,
        name="opportunity_assign",
    ),
    path(
        "opportunities/<str:name>/comment/",
        opportunities.opportunity_comment,
        name="opportunity_comment",
    ),
    path(
        "opportunities/<str:name>/make-customer/",
        opportunities.opportunity_make_customer,
        name="opportunity_make_customer",
    ),
    path("opportunities/<str:name>/email/", emails.opportunity_email, name="opportunity_email"),
    path("leads/<str:name>/email/", emails.lead_email, name="lead_email"),
    path("emails/attachments/<int:pk>/", emails.email_attachment, name="email_attachment"),
    path("leads/", parties.lead_list, name="lead_list"),
    path("leads/new/", parties.lead_form, name="lead_create"),
    path("leads/<str:name>/", parties.lead_detail, name="lead_detail"),
    path("leads/<str:name>/edit/", parties.lead_form, name="lead_edit"),
    path("leads/<str:name>/make-customer/", parties.lead_make_customer, name="lead_make_customer"),
    path("leads/<str:name>/comment/", parties.lead_comment, name="lead_comment"),
    path("leads/<str:name>/merge/", merge.lead_merge, name="lead_merge"),
    path("customers/", parties.customer_list, name="customer_list"),
    path("customers/new/", parties.customer_form, name="customer_create"),
    path("customers/<str:name>/", parties.customer_detail, name="customer_detail"),
    path("customers/<str:name>/edit/", parties.customer_form, name="customer_edit"),
    path("customers/<str:name>/merge/", merge.customer_merge, name="customer_merge"),
    path("masters/", masters.masters_index, name="masters"),
]
