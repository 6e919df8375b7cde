"""Configuration sources and the `consult` administration commands."""

import pytest
from sqlmodel import select

from consult import create_app
from consult.config import ConfigError
from consult.models import Consultation, Principle, Theme, User
from tests.consult.conftest import PRODUCTION_CONFIG


def test_environment_overrides_defaults(monkeypatch, make_app):
    monkeypatch.setenv("CONSULT_RATE_LIMIT_LOGIN", "3 per minute")
    monkeypatch.setenv("CONSULT_PASSWORD_MIN_LENGTH", "14")
    app = make_app()
    assert app.config["RATE_LIMIT_LOGIN"] == "3 per minute"
    assert app.config["PASSWORD_MIN_LENGTH"] == 14


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.setenv("CONSULT_ENV", "production")
    monkeypatch.delenv("CONSULT_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="CONSULT_SECRET_KEY"):
        create_app({"SECRET_KEY": "dev-insecure-change-me"})


def test_production_sets_secure_cookie(monkeypatch, make_app):
    monkeypatch.setenv("CONSULT_ENV", "production")
    app = make_app(**PRODUCTION_CONFIG)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_session_cookie_flags(client, make_user):
    from tests.consult.conftest import PASSWORD

    user = make_user()
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_db_upgrade_loads_taxonomy(database_url):
    app = create_app({"DATABASE_URL": database_url})  # an empty database: the migrations create everything
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Taxonomie chargée : 38" in result.output
    from consult.db import get_session

    with app.app_context():
        session = get_session()
        assert len(session.exec(select(Principle)).all()) == 16
        assert len(session.exec(select(Theme)).all()) == 18
    app.extensions["consult.engine"].dispose()


def test_seed_demo_is_idempotent(runner, session):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "citoyen@demo.consultation.fr" in first.output
    users = len(session.exec(select(User)).all())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "déjà présente" in second.output
    session.expire_all()
    assert len(session.exec(select(User)).all()) == users
    assert len(session.exec(select(Consultation)).all()) == 1
    roles = {u.role for u in session.exec(select(User))}
    assert {"citizen", "moderator", "analyst", "admin"} <= roles


def test_create_user_and_set_role(runner, session):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Modo@Example.fr",
            "--pseudonym",
            "Modo",
            "--role",
            "moderator",
            "--password",
            "Un-mot-de-passe-s0lide",
        ]
    )
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email == "modo@example.fr")).one()
    assert user.role == "moderator"
    result = runner.invoke(args=["set-role", "modo@example.fr", "analyst"])
    assert result.exit_code == 0
    session.expire_all()
    assert session.get(User, user.id).role == "analyst"


def test_create_user_rejects_weak_password(runner, session):
    result = runner.invoke(
        args=["create-user", "--email", "x@example.fr", "--pseudonym", "Xavier", "--password", "faible"]
    )
    assert result.exit_code == 1
    assert "au moins 12 caractères" in result.output
    assert session.exec(select(User)).all() == []


def test_set_role_unknown_email(runner):
    result = runner.invoke(args=["set-role", "personne@example.fr", "admin"])
    assert result.exit_code == 1
    assert "aucun compte" in result.output
