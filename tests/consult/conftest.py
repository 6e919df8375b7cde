"""Factories and action helpers for the web tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from consult.auth.passwords import hash_password
from consult.models import Consultation, Contribution, ContributionStatus, Role, User, utcnow

PASSWORD = "Un-mot-de-passe-s0lide"
# What production requires of the configuration (besides the SMTP server, which the test config points at).
PRODUCTION_CONFIG = {"ENV": "production", "SECRET_KEY": "p" * 48, "PUBLIC_URL": "https://consultation.example.fr"}
_counter = itertools.count(1)
_HASH = None


def _password_hash() -> str:
    # argon2 is deliberately slow: hash the shared test password once per process.
    global _HASH
    _HASH = _HASH or hash_password(PASSWORD)
    return _HASH


@pytest.fixture
def make_user(session):
    def make(role: str = Role.CITIZEN, **fields) -> User:
        n = next(_counter)
        user = User(
            email=fields.pop("email", f"user{n}@example.fr"),
            pseudonym=fields.pop("pseudonym", f"Participant {n}"),
            password_hash=_password_hash(),
            role=role,
            privacy_consent_at=utcnow(),
            email_verified_at=fields.pop("email_verified_at", utcnow()),
            **fields,
        )
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def make_consultation(session):
    def make(**fields) -> Consultation:
        n = next(_counter)
        now = utcnow()
        consultation = Consultation(
            slug=fields.pop("slug", f"consultation-{n}"),
            title=fields.pop("title", f"Consultation {n}"),
            summary=fields.pop("summary", "Résumé de la consultation."),
            question=fields.pop("question", "Qu'en pensez-vous ?"),
            description=fields.pop("description", "Une **description**."),
            opens_at=fields.pop("opens_at", now - timedelta(days=1)),
            closes_at=fields.pop("closes_at", now + timedelta(days=30)),
            **fields,
        )
        session.add(consultation)
        session.commit()
        return consultation

    return make


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user: User, password: str = PASSWORD):
        return self.client.post("/connexion", data={"email": user.email, "password": password})

    def logout(self):
        return self.client.post("/deconnexion")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def make_contribution(session, make_user, make_consultation):
    """Create a contribution (published by default) with a new author and consultation unless given."""

    def make(consultation: Consultation | None = None, author: User | None = None, **fields) -> Contribution:
        n = next(_counter)
        contribution = Contribution(
            consultation_id=(consultation or make_consultation()).id,
            author_id=(author or make_user()).id,
            title=fields.pop("title", f"Proposition {n}"),
            body=fields.pop("body", f"Le texte de la proposition {n}."),
            status=fields.pop("status", ContributionStatus.PUBLISHED),
            **fields,
        )
        session.add(contribution)
        session.commit()
        return contribution

    return make


@pytest.fixture
def sign_in(client):
    """Sign a user in by writing the session cookie directly (no argon2 round, for speed)."""

    def sign_in(user):
        with client.session_transaction() as http_session:
            http_session["user_id"] = user.id
            http_session["user_version"] = user.session_version
        return user

    return sign_in


@pytest.fixture
def contribution(make_contribution):
    return make_contribution()


# Fixtures defined beside their helpers, shared by several test modules.
from tests.consult.analysis_support import corpus  # noqa: E402, F401


def link_in(message) -> str:
    """The path of the (last) link of this site in a received e-mail."""
    import re
    from urllib.parse import urlsplit

    links = re.findall(r"https?://\S+", message.get_content())
    assert links, message.get_content()
    return urlsplit(links[-1]).path
