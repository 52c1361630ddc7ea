"""The webhooks pages, for managers: the list with a form to register one (its signing secret
shown once), and each webhook's page with its recent deliveries (send a test, retry one, turn it
off or on, delete it). The same services as the API (webhooks.services)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opportune.core.errors import DomainError, ValidationError
from opportune.core.pages import as_http
from opportune.webhooks import access, registry, services
from opportune.webhooks.models import Webhook

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

RECENT = 50  # deliveries shown on a webhook's page


def _managers_only(request: SignedInRequest) -> None:
    if not access.can_manage_webhooks(request.user):
        raise PermissionDenied("Only managers keep the webhooks.")


@login_required
def webhook_list(request: SignedInRequest) -> HttpResponse:
    _managers_only(request)
    data: dict[str, Any] = {"name": "", "url": "", "events": [], "description": ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "url": request.POST.get("url", "").strip(),
            "events": request.POST.getlist("events"),
            "description": request.POST.get("description", ""),
        }
        try:
            webhook, secret = services.create_webhook(data=data, by=request.user)
        except ValidationError as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            # the secret is shown on this answer only (it is stored encrypted)
            return render(request, "webhooks/created.html", {"webhook": webhook, "secret": secret})
    return render(
        request,
        "webhooks/webhook_list.html",
        {
            "webhooks": Webhook.objects.order_by("name"),
            "events": sorted(registry.events().items()),
            "data": data,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@login_required
@as_http
def webhook_detail(request: SignedInRequest, name: str) -> HttpResponse:
    _managers_only(request)
    webhook = access.get_webhook_for(request.user, name)
    return render(
        request,
        "webhooks/webhook_detail.html",
        {
            "webhook": webhook,
            "events": registry.events(),
            "deliveries": webhook.deliveries.order_by("-created", "-pk")[:RECENT],
        },
    )


@login_required
@require_POST
@as_http
def webhook_action(request: SignedInRequest, name: str, action: str) -> HttpResponse:
    _managers_only(request)
    webhook = access.get_webhook_for(request.user, name)
    try:
        if action == "test":
            services.send_test(webhook, by=request.user)
            messages.success(request, "A ping is on its way.")
        elif action in ("enable", "disable"):
            services.update_webhook(
                webhook, data={"enabled": action == "enable"}, version=None, by=request.user
            )
            messages.success(request, f"Webhook {action}d.")
        elif action == "delete":
            services.delete_webhook(webhook, by=request.user)
            messages.success(request, f"Webhook {name} deleted, with its deliveries.")
            return redirect("webhooks:webhook_list")
        else:
            raise PermissionDenied("Unknown action.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("webhooks:webhook_detail", name=webhook.name)


@login_required
@require_POST
@as_http
def delivery_retry(request: SignedInRequest, delivery_id: int) -> HttpResponse:
    _managers_only(request)
    delivery = access.get_delivery_for(request.user, delivery_id)
    try:
        services.retry_delivery(delivery, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery {delivery_id} will be tried again now.")
    return redirect("webhooks:webhook_detail", name=delivery.webhook.name)
