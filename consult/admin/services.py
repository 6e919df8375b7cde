"""Administration: users and their roles."""

from __future__ import annotations

from sqlmodel import Session, func, or_, select

from consult.errors import ValidationFailed
from consult.i18n import lazy_gettext as _l
from consult.models import Role, User


def list_users(*, session: Session, query: str = "", limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    statement = select(User).where(User.deleted_at.is_(None))
    if query:
        # autoescape: a % or _ typed by the admin is looked for as such, not as a wildcard.
        needle = query.lower()
        statement = statement.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.pseudonym).contains(needle, autoescape=True),
            )
        )
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    users = session.exec(statement.order_by(User.id).offset(offset).limit(limit)).all()
    return list(users), total


def set_role(*, session: Session, user: User, role: str, acting: User) -> None:
    if role not in set(Role):
        raise ValidationFailed({"role": _l("Rôle inconnu.")})
    if user.id == acting.id and role != Role.ADMIN:
        raise ValidationFailed({"role": _l("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")})
    user.role = role
    session.add(user)
