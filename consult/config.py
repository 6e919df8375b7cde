"""Configuration: config/default.toml, then CONSULT_* environment variables, then the test mapping."""

from __future__ import annotations

import tomllib
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot be used safely."""


def load_config(app: Flask, test_config: dict | None = None) -> None:
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
    check_config(app.config)


def resolve_database_url(url: str) -> str:
    """Make a relative SQLite path absolute from the project root, so the CLI works from any directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        path = url[len(prefix) :]
        if path and path != ":memory:":
            return prefix + str(PROJECT_ROOT / path)
    return url


def check_config(config) -> None:
    if config["ENV"] == "production" and config["SECRET_KEY"] in (DEFAULT_SECRET_KEY, "", None):
        raise ConfigError(
            "CONSULT_SECRET_KEY must be set to a long random value in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
