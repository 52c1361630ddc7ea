"""JSON API of the saved views (API.md ``saved-views``, decision 0027): the user's own and the
shared ones; each addressed by its ``name`` (its id). Only its owner changes or deletes a view;
only managers share one."""

# No ``from __future__ import annotations``: ninja reads the views' annotations as classes.

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from opportune.core import saved_views
from opportune.core.api import ApiRequest, ListParams, paginate
from opportune.core.api_documents import created, no_content, ok, page, payload_data
from opportune.core.fields import reject_nul
from opportune.core.models import SavedView
from opportune.core.saved_views import Resource
from opportune.core.schemas import StrictIn

router = Router(tags=["saved-views"])


class SavedViewOut(Schema):
    name: str = Field(description="The view's id, as a string")
    label: str
    resource: str
    query: str = Field(description="The URL query it stands for (without cursor and format)")
    shared: bool
    is_default: bool
    owner: str
    created: datetime
    modified: datetime

    @staticmethod
    def resolve_name(obj: SavedView) -> str:
        return str(obj.pk)

    @staticmethod
    def resolve_owner(obj: SavedView) -> str:
        return obj.user.get_username()

    @staticmethod
    def resolve_created(obj: SavedView) -> datetime:
        return obj.creation


class SavedViewFields(StrictIn):
    label: str | None = Field(None, min_length=1, max_length=saved_views.MAX_LABEL)
    query: str | None = Field(None, max_length=saved_views.MAX_QUERY)
    shared: bool | None = Field(None, description="Shared with the team: managers only")
    is_default: bool | None = Field(
        None, description="Opened when the list is opened bare; unsets the user's other default"
    )


class SavedViewCreate(SavedViewFields):
    label: str = Field(..., min_length=1, max_length=saved_views.MAX_LABEL)
    resource: Resource
    query: str = Field("", max_length=saved_views.MAX_QUERY)


class SavedViewParams(ListParams):
    resource: Resource | None = None

    _no_nul_resource = field_validator("resource", mode="before")(reject_nul)


@router.get("/saved-views", response=page(SavedViewOut), operation_id="list_saved_views")
def list_saved_views(request: ApiRequest, params: Query[SavedViewParams]) -> dict[str, Any]:
    """The user's own views and the shared ones, of one list (``resource``) or all."""
    views = saved_views.visible(request.auth, params.resource)
    return paginate(views, params, orderings=("label", "modified"), default="label")


@router.post("/saved-views", response=created(SavedViewOut), operation_id="create_saved_view")
def create_saved_view(request: ApiRequest, payload: SavedViewCreate) -> Status[Any]:
    view = saved_views.create_view(data=payload_data(payload), by=request.auth)
    return Status(201, view)


@router.get("/saved-views/{name}", response=ok(SavedViewOut), operation_id="get_saved_view")
def get_saved_view(request: ApiRequest, name: str) -> SavedView:
    return saved_views.get_for(request.auth, name)


@router.patch("/saved-views/{name}", response=ok(SavedViewOut), operation_id="update_saved_view")
def update_saved_view(request: ApiRequest, name: str, payload: SavedViewFields) -> SavedView:
    view = saved_views.get_for(request.auth, name)
    return saved_views.update_view(view, data=payload_data(payload), by=request.auth)


@router.delete("/saved-views/{name}", response=no_content(), operation_id="delete_saved_view")
def delete_saved_view(request: ApiRequest, name: str) -> Status[None]:
    saved_views.delete_view(saved_views.get_for(request.auth, name), by=request.auth)
    return Status(204, None)
