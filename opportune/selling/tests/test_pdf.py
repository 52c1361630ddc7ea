"""The printable quotation: a real PDF whose text carries the names and totals."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from opportune.crm.models import CRMSettings
from opportune.selling import services
from opportune.testing import at, make_item, make_opportunity

pytestmark = pytest.mark.django_db


def test_quotation_pdf_has_company_party_items_taxes_totals_validity_terms(sales, api_as):
    CRMSettings.objects.filter(pk=1).update(company_name="Opportune Widgets GmbH")
    make_item("W1", rate="1234.5", name="Industrial Widget")
    opp = make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}])
    q = services.make_quotation_from_opportunity(opp, by=sales, now=at(2026, 3, 15))
    q = services.update_quotation(
        q,
        data={"tax_rate": "19", "terms": "Payment within 30 days.", "valid_till": "2031-03-15"},
        version=q.version,
        by=sales,
    )
    r = api_as(sales).get(f"quotations/{q.name}/pdf")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == f'attachment; filename="{q.name}.pdf"'
    text = " ".join(PdfReader(io.BytesIO(r.content)).pages[0].extract_text().split())
    for expected in (
        "Opportune Widgets GmbH",
        "QUOTATION",
        q.name,
        "Babbage Ltd",
        "Industrial Widget",
        "2,469.00",
        "Tax (19%)",
        "469.11",
        "USD 2,938.11",
        "valid until 15 March 2031",
        "Payment within 30 days.",
        opp.name,
    ):
        assert expected in text, (expected, text)


def test_pdf_of_an_invisible_quotation_is_404(sales, outsider, api_as):
    opp = make_opportunity(sales)
    q = services.make_quotation_from_opportunity(opp, by=sales)
    assert api_as(outsider).get(f"quotations/{q.name}/pdf").status_code == 404
