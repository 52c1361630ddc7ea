"""The printable quotation: HTML rendered by a template, turned into PDF by WeasyPrint."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string

from opportune.core.money import round_money
from opportune.crm.models import CRMSettings
from opportune.selling.models import Quotation


def amount(value: Decimal, precision: int) -> str:
    """1234567.5 -> '1,234,567.50' with the currency's decimals."""
    return f"{round_money(value, precision):,.{precision}f}"


def quotation_print_context(quotation: Quotation) -> dict:
    settings = CRMSettings.current()
    precision = quotation.currency.precision
    rows = [
        {
            "idx": row.idx,
            "item_code": row.item_code_id,
            "item_name": row.item_name,
            "description": row.description if row.description != row.item_name else "",
            "qty": f"{row.qty.normalize():f}",
            "uom": row.uom_id,
            "rate": amount(row.rate, precision),
            "amount": amount(row.amount, precision),
        }
        for row in quotation.items.all()
    ]
    return {
        "quotation": quotation,
        "company_name": settings.company_name,
        "currency": quotation.currency_id,
        "rows": rows,
        "net_total": amount(quotation.net_total, precision),
        "taxes": amount(quotation.total_taxes_and_charges, precision),
        "tax_rate": f"{quotation.tax_rate.normalize():f}",
        "grand_total": amount(quotation.grand_total, precision),
        "show_base": quotation.currency_id != settings.company_currency_id,
        "company_currency": settings.company_currency_id,
        "base_grand_total": amount(quotation.base_grand_total, settings.company_currency.precision),
    }


def quotation_html(quotation: Quotation) -> str:
    return render_to_string("selling/quotation_print.html", quotation_print_context(quotation))


def quotation_pdf(quotation: Quotation) -> bytes:
    # Imported here, not at the top: WeasyPrint (with Pango, fontTools, Pillow) costs about
    # 1 s and 30 MB per process, and only a PDF needs it (docs/performance.md, "Small processes").
    from weasyprint import HTML

    return HTML(string=quotation_html(quotation)).write_pdf()


def quotation_pdf_filename(quotation: Quotation) -> str:
    return f"{quotation.name}.pdf"
