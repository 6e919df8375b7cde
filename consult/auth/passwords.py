"""Password hashing (argon2id) and the strength policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified when the account does not exist, so that the answer takes the same time either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")

COMMON_PASSWORDS = frozenset(
    {
        "motdepasse123",
        "motdepasse1234",
        "azertyuiop123",
        "azertyuiop1234",
        "123456789012",
        "password1234",
        "password12345",
        "bonjour123456",
        "soleil123456",
        "qwertyuiop123",
        "marseille1234",
        "doudou123456",
        "coucou123456",
        "azerty123456",
        "admin1234567",
    }
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, min_length: int, personal: tuple[str, ...] = ()) -> str | None:
    """Return why `password` is too weak (a French message id), or None."""
    if len(password) < min_length:
        return "too_short"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 5:
        return "common"
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 2:
        return "one_class"
    lowered = password.lower()
    if any(part and len(part) >= 4 and part.lower() in lowered for part in personal):
        return "personal"
    return None
