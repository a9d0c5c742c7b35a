"""goldsphere's own `users` rows, read by id or by e-mail: who may use the admin API and the page.

The token says who the caller was when it was issued; this says who they are now, so a
demoted, blocked or deleted admin loses access at once, token or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class GoldsphereUser:
    id: UUID
    email: str
    role: str
    account_status: str

    @property
    def is_active_admin(self) -> bool:
        return self.role == "admin" and self.account_status == "active"


def find_user(engine: Engine, user_id: UUID) -> GoldsphereUser | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT id, email, role, account_status FROM users WHERE id = :id"),
            {"id": user_id},
        ).first()
    if row is None:
        return None
    return GoldsphereUser(
        id=UUID(str(row.id)), email=row.email, role=row.role, account_status=row.account_status
    )


@dataclass(frozen=True)
class UserWithPassword:
    user: GoldsphereUser
    password_hash: str = field(repr=False)


def find_user_by_email(engine: Engine, email: str) -> UserWithPassword | None:
    """The user signing in with `email` (goldsphere compares e-mails case-insensitively)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT id, email, role, account_status, passwordhash FROM users "
                "WHERE lower(email) = lower(:email) ORDER BY id LIMIT 1"
            ),
            {"email": email},
        ).first()
    if row is None:
        return None
    return UserWithPassword(
        user=GoldsphereUser(
            id=UUID(str(row.id)),
            email=row.email,
            role=row.role,
            account_status=row.account_status,
        ),
        password_hash=row.passwordhash,
    )
