"""Credits: balance, statement, per-job reconciliation, admin grants, packages, purchases."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from service.api.auth import Principal, admin, creator, support
from service.api.errors import forbidden
from shared.ledger_schemas import Balance, GrantRequest, Reconciliation, StatementPage, Transfer
from shared.states import Role

router = APIRouter(prefix="/credits")


def _user(who: Principal, user: str | None) -> str:
    if user is None or user == who.user_id:
        return who.user_id
    if not who.has(Role.SUPPORT):
        raise forbidden("only support can read another user's credits")
    return user


@router.get("/balance", response_model=Balance)
async def balance(
    request: Request, who: Annotated[Principal, Depends(creator)], user: str | None = None
) -> Balance:
    result: Balance = await request.app.state.ctx.ledger.balance(_user(who, user))
    return result


@router.get("/statement", response_model=StatementPage)
async def statement(
    request: Request,
    who: Annotated[Principal, Depends(creator)],
    user: str | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StatementPage:
    page: StatementPage = await request.app.state.ctx.ledger.statement(
        _user(who, user), cursor, limit
    )
    return page


@router.get("/reconciliation/{job_id}", response_model=Reconciliation)
async def reconciliation(
    request: Request, job_id: uuid.UUID, _: Annotated[Principal, Depends(support)]
) -> Reconciliation:
    result: Reconciliation = await request.app.state.ctx.ledger.reconcile(str(job_id))
    return result


@router.post("/grants", response_model=Transfer, status_code=201)
async def grant(
    request: Request, body: GrantRequest, who: Annotated[Principal, Depends(admin)]
) -> Transfer:
    ctx = request.app.state.ctx
    transfer: Transfer = await ctx.ledger.grant(
        body.transfer_id or f"grant:{uuid.uuid4()}",
        body.user_id,
        body.amount,
        body.reason,
        granted_by=who.user_id,
    )
    await ctx.credits.announce(body.user_id)
    return transfer
