"""Bearer-token authentication and a role check on every endpoint.

The local service holds one random token (in the 0600 service file) that maps to the local
profile, which has every role. On a team server each account's token is stored as a sha256
in `users.token_sha256` with its roles in `user_roles`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select

from service.api.errors import forbidden
from service.storage.tables import UserRow
from shared.errors import ErrorCode, ReelcraftError
from shared.states import Role


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles or Role.ADMIN in self.roles


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorized(message: str) -> ReelcraftError:
    return ReelcraftError(ErrorCode.INVALID_INPUT, message, detail={"status": 401})


async def authenticate(request: Request) -> Principal:
    ctx = request.app.state.ctx
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("missing bearer token")
    if hmac.compare_digest(token.encode(), ctx.local_token.encode()):
        return Principal(ctx.settings.user_id, frozenset(Role))
    async with ctx.sessions() as session:
        user = await session.scalar(
            select(UserRow).where(UserRow.token_sha256 == token_sha256(token))
        )
        if user is None:
            raise _unauthorized("invalid bearer token")
        return Principal(user.id, frozenset(Role(r.role) for r in user.roles))


def require(role: Role) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.has(role):
            raise forbidden(f"this needs the {role.value} role")
        return principal

    dependency.__name__ = f"require_{role.value}"
    return dependency


creator = require(Role.CREATOR)
support = require(Role.SUPPORT)
moderator = require(Role.MODERATOR)
admin = require(Role.ADMIN)
