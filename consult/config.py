"""Configuration: config/default.toml, then CONSULT_* environment variables, then the test mapping."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import click
from flask import Flask
from flask.cli import FlaskGroup

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULT_SECRET_KEY = "dev-insecure-change-me"
MIN_SECRET_KEY_LENGTH = 32
# Environments where the demo accounts may exist and sign in.
DEVELOPMENT_ENVS = ("development", "testing")

# How a process uses the app: "wsgi" serves it (gunicorn or any other WSGI server), "development" is
# `consult run` / `flask run` (the Werkzeug development server), "none" serves nothing (other commands,
# background workers).
Server = Literal["wsgi", "development", "none"]


class ConfigError(RuntimeError):
    """The configuration cannot be used safely."""


def load_config(app: Flask, test_config: dict | None = None, *, server: Server | None = None) -> None:
    """Fill app.config from the TOML defaults, the environment and `test_config`, then check it."""
    app.config.from_file(str(CONFIG_DIR / "default.toml"), load=tomllib.load, text=False)
    if test_config is not None:
        app.config.from_file(str(CONFIG_DIR / "test.toml"), load=tomllib.load, text=False)
    app.config.from_prefixed_env("CONSULT")
    if test_config is not None:
        app.config.update(test_config)
    app.config["DATABASE_URL"] = resolve_database_url(app.config["DATABASE_URL"])
    if app.config["ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    server = server or detect_server()
    check_config(app.config, server=server)
    if server == "wsgi" and app.config["ENV"] == "production" and test_config is None:
        check_production_services(app.config)


def resolve_database_url(url: str) -> str:
    """Make a relative SQLite path absolute from the project root, so the CLI works from any directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        path = url[len(prefix) :]
        if path and path != ":memory:":
            return prefix + str(PROJECT_ROOT / path)
    return url


def detect_server() -> Server:
    """Tell how this process uses the app, failing closed: anything unknown is a WSGI server.

    Only the `consult` / `flask` command line is recognised: its `run` command is the development
    server, its other commands serve nothing. gunicorn (or uwsgi, waitress…) imports create_app outside
    any such command, so it counts as a server.
    """
    context = click.get_current_context(silent=True)
    if context is None or not isinstance(context.find_root().command, FlaskGroup):
        return "wsgi"
    return "development" if context.command.name == "run" else "none"


def check_config(config, *, server: Server = "wsgi") -> None:
    """Refuse what would be unsafe to serve: the secret key, then the e-mail settings."""
    check_secret_key(config, server=server)
    check_mail(config)


def check_mail(config) -> None:
    """A known mail backend; production sends real e-mails, over TLS unless to a relay on this machine."""
    backend = config["MAIL_BACKEND"]
    if backend not in ("console", "folder", "smtp"):
        raise ConfigError(f"CONSULT_MAIL_BACKEND must be console, folder or smtp, not {backend!r}.")
    if config["MAIL_SECURITY"] not in ("starttls", "ssl", "none"):
        raise ConfigError("CONSULT_MAIL_SECURITY must be starttls, ssl or none.")
    if config["ENV"] != "production":
        return
    if backend != "smtp":
        raise ConfigError(
            "CONSULT_MAIL_BACKEND=smtp is required in production: account confirmation and password reset links "
            "must reach their owners, not a console or a folder."
        )
    if config["MAIL_SECURITY"] == "none" and config["MAIL_HOST"] not in ("localhost", "127.0.0.1", "::1"):
        raise ConfigError("CONSULT_MAIL_SECURITY=none is allowed only for a relay on this machine (localhost).")
    if not str(config.get("PUBLIC_URL") or "").startswith("https://"):
        raise ConfigError(
            "CONSULT_PUBLIC_URL (https://…) is required in production: links in e-mails are built from it, never "
            "from the Host header of a request."
        )


def check_secret_key(config, *, server: Server = "wsgi") -> None:
    """Refuse a known, empty or short secret key in production and on any server but the development one."""
    key = config["SECRET_KEY"]
    weak = not key or key == DEFAULT_SECRET_KEY or len(str(key)) < MIN_SECRET_KEY_LENGTH
    if not weak:
        return
    if config["ENV"] != "production":
        if config.get("TESTING") or config["ENV"] == "testing" or server != "wsgi":
            return
    raise ConfigError(
        f"CONSULT_SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(48))'): the default key is accepted only by "
        "the development server (consult run) and by commands that serve nothing."
    )


REDIS_SCHEMES = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://")


def check_production_services(config) -> None:
    """A production web server runs several workers, maybe on several hosts: what they share must live outside them.

    PostgreSQL for the data, Redis for the rate limits (memory:// would count each worker apart and forget
    everything at each restart) and for the background jobs (an analysis run inside a web worker dies with it).
    Sessions are signed cookies checked against the account's session version: nothing to share.
    """
    problems = []
    if not str(config["DATABASE_URL"]).startswith("postgresql"):
        problems.append("CONSULT_DATABASE_URL must be a PostgreSQL address (postgresql+psycopg://…), not SQLite")
    if not str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(REDIS_SCHEMES):
        problems.append("CONSULT_RATELIMIT_STORAGE_URI must be a Redis address (redis://…/1), not memory://")
    if not str(config.get("REDIS_URL") or "").startswith(REDIS_SCHEMES):
        problems.append("CONSULT_REDIS_URL must be a Redis address (redis://…/0) served by `consult worker` processes")
    if problems:
        raise ConfigError(
            "A production web server (CONSULT_ENV=production) shares its state across workers; "
            + "; ".join(problems)
            + " (README, 'Running in production')."
        )
