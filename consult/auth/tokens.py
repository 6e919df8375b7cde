"""Signed links mailed to an address: confirm it, reset the password. Expiring and single-use, with nothing stored.

A token carries the account id and a fingerprint of the account's state (address, password hash, session
version, confirmation date), signed with the secret key and timestamped. Using the link changes that state
(the address gets confirmed, the password and session version change), so the same link never works twice;
a newer link, a password change or an account deletion also make older links useless.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session

from consult.inputs import MAX_DB_INT
from consult.models import User

PURPOSES = ("confirm-email", "reset-password")


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    return URLSafeTimedSerializer(secret_key, salt=f"consult-{purpose}")


def _fingerprint(user: User) -> str:
    # Confirmed or not, rather than the date: SQLite hands dates back without their time zone.
    confirmed = user.email_verified_at is not None
    state = f"{user.id}|{user.email}|{user.password_hash}|{user.session_version}|{confirmed}"
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def make_token(user: User, *, purpose: str, secret_key: str) -> str:
    return _serializer(secret_key, purpose).dumps([user.id, _fingerprint(user)])


def read_token(token: str, *, purpose: str, secret_key: str, max_age: int, session: Session) -> User | None:
    """The active account the link was made for, if it is genuine, recent and unused; else None."""
    if len(token) > 200:
        return None
    try:
        user_id, fingerprint = _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    if type(user_id) is not int or not 1 <= user_id <= MAX_DB_INT:
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active or _fingerprint(user) != fingerprint:
        return None
    return user
