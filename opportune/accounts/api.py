"""JSON API of the user's own API tokens (API.md ``tokens``): list, issue, revoke.

Any signed-in user manages their own tokens, whatever their roles; another user's token
answers 404, as if it did not exist. The secret is answered once, on creation.
"""

from __future__ import annotations

from ninja import Query, Router, Status

from opportune.accounts.models import ApiToken
from opportune.accounts.schemas import TokenCreated, TokenIn, TokenOut
from opportune.accounts.services import issue_api_token, revoke_api_token
from opportune.core.api import ApiRequest, ListParams, Page, paginate
from opportune.core.schemas import ERRORS

router = Router(tags=["tokens"])

TOKEN_ORDERINGS = ("created", "label", "expires")


@router.get("/tokens", response={200: Page[TokenOut], **ERRORS})
def list_tokens(request: ApiRequest, params: Query[ListParams]):
    tokens = ApiToken.objects.filter(user=request.auth)
    return paginate(
        tokens,
        params,
        orderings=TOKEN_ORDERINGS,
        default="-created",
        search=lambda rows, text: rows.filter(label__icontains=text),
    )


@router.post("/tokens", response={201: TokenCreated, **ERRORS})
def create_token(request: ApiRequest, payload: TokenIn):
    token, raw = issue_api_token(
        request.auth, label=payload.label, expires=payload.expires, by=request.auth
    )
    return Status(
        201,
        {
            "id": token.pk,
            "label": token.label,
            "hint": token.hint,
            "created": token.created,
            "last_used": token.last_used,
            "expires": token.expires,
            "token": raw,
        },
    )


@router.delete("/tokens/{id}", response={204: None, **ERRORS})
def revoke_token(request: ApiRequest, id: int):
    revoke_api_token(id, by=request.auth)
    return Status(204, None)
