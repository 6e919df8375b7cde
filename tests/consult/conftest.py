"""Factories and action helpers for the web tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from consult.auth.passwords import hash_password
from consult.models import Consultation, Role, User, utcnow

PASSWORD = "Un-mot-de-passe-s0lide"
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
