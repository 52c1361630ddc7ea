"""The import pages (core.imports, decision 0030): upload a file, map its columns, see the dry
run's errors by field, import all or nothing or only the valid rows, follow the progress, and
download each row's outcome. An import is its user's own: another's is a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opportune.core import imports
from opportune.core.errors import ValidationError
from opportune.core.models import ImportJob, ImportRow
from opportune.core.slots import NavLink

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

PREVIEW_ROWS = 200  # rows with errors shown on the page (the result file has every row)
RECENT = 10


def nav_links(user: Any) -> list[NavLink]:
    """ "Import" in the main navigation, for those who may import something."""
    if not imports.importers_for(user):
        return []
    return [NavLink("Import", reverse("import_start"), ("/import/",), 85)]


def _signed_in(request: HttpRequest) -> SignedInRequest:
    return request  # type: ignore[return-value]


def _job_for(request: HttpRequest, id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=id, user=_signed_in(request).user).defer("rows").first()
    if job is None:
        raise Http404("No such import.")
    return job


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request).user
    choices = imports.importers_for(user)
    errors: dict[str, list[str]] = {}
    doctype = request.POST.get("doctype") or request.GET.get("doctype") or ""
    if not choices:
        return render(request, "core/import_start.html", {"choices": []}, status=403)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError.for_field("file", "Choose a CSV or XLSX file to upload.")
            if upload.size and upload.size > imports.MAX_BYTES:
                raise ValidationError.for_field(
                    "file", f"The file is larger than {imports.MAX_BYTES // 1048576} MB: split it."
                )
            data = upload.read(imports.MAX_BYTES + 1)
            job = imports.upload(
                doctype=doctype, filename=upload.name or "upload", data=data, by=user
            )
        except ValidationError as exc:
            errors = exc.fields or {"file": [exc.message]}
        else:
            return redirect("import_detail", id=job.pk)
    recent = ImportJob.objects.filter(user=user).defer("rows", "header", "mapping")
    context = {
        "choices": choices,
        "doctype": doctype,
        "errors": errors,
        "recent": recent.order_by("-created")[:RECENT],
        "max_mb": imports.MAX_BYTES // 1048576,
    }
    return render(request, "core/import_start.html", context, status=422 if errors else 200)


def _detail_context(job: ImportJob, user: Any, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"job": job, **extra}
    if job.status == ImportJob.Status.MAPPING or "mapping_errors" in extra:
        importer = imports.importer_for(user, job.doctype)
        chosen = extra.get("chosen") or imports.suggest_mapping(
            importer, job.header, imports.last_mapping(user, job.doctype)
        )
        context["columns"] = [(i, title, chosen.get(title)) for i, title in enumerate(job.header)]
        context["targets"] = imports.targets(importer)
        context["required"] = [c.label for c in importer.columns if c.required]
        context["unknown"] = [title for title in job.header if chosen.get(title) is None]
    if job.status in (
        ImportJob.Status.CHECKED,
        ImportJob.Status.DONE,
        ImportJob.Status.FAILED,
    ):
        context["problems"] = list(
            job.outcomes.filter(outcome=ImportRow.Outcome.ERROR)
            .order_by("row")
            .values("row", "last_row", "errors")[:PREVIEW_ROWS]
        )
    return context


@login_required
@require_GET
def import_detail(request: HttpRequest, id: int) -> HttpResponse:
    job = _job_for(request, id)
    user = _signed_in(request).user
    try:
        context = _detail_context(job, user)
    except ValidationError:
        raise Http404("No such import.") from None  # the user may no longer import this
    if request.headers.get("HX-Request") == "true":
        return render(request, "core/_import_progress.html", context)
    return render(request, "core/import_detail.html", context)


@login_required
@require_POST
def import_check(request: HttpRequest, id: int) -> HttpResponse:
    """The columns' mapping posted (``col-N``: the field of column N): the dry run starts."""
    job = _job_for(request, id)
    user = _signed_in(request).user
    chosen: dict[str, str | None] = {}
    for index, title in enumerate(job.header):
        value = request.POST.get(f"col-{index}")
        chosen[title] = None if value in (None, "?") else value
    try:
        imports.start_pass(job, mapping=chosen, mode="check", by=user)
    except ValidationError as exc:
        if exc.fields.get("doctype"):
            raise Http404("No such import.") from None
        job.refresh_from_db()
        context = _detail_context(job, user, mapping_errors=exc.fields, chosen=chosen)
        return render(request, "core/import_detail.html", context, status=422)
    return redirect("import_detail", id=job.pk)


@login_required
@require_POST
def import_run(request: HttpRequest, id: int) -> HttpResponse:
    job = _job_for(request, id)
    user = _signed_in(request).user
    try:
        imports.start_pass(job, mapping=None, mode=request.POST.get("mode", ""), by=user)
    except ValidationError as exc:
        if exc.fields.get("doctype"):
            raise Http404("No such import.") from None
        context = _detail_context(job, user, run_errors=exc.fields)
        return render(request, "core/import_detail.html", context, status=422)
    return redirect("import_detail", id=job.pk)


@login_required
@require_GET
def import_result(request: HttpRequest, id: int) -> StreamingHttpResponse:
    job = _job_for(request, id)
    response = StreamingHttpResponse(
        imports.result_csv(job), content_type="text/csv; charset=utf-8"
    )
    filename = f"import-{job.pk}-{job.status}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
