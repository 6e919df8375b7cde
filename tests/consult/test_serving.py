"""The production web server (`make serve-prod`: gunicorn with config/gunicorn.conf.py) refuses unsafe set-ups.

The running stack itself (several workers on PostgreSQL and Redis, faults) is tested in tests/ops.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from consult.config import ConfigError, check_production_services

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 48
PG = "postgresql+psycopg://consult@db.internal/consult"


# What production needs besides the database and Redis (checked first), so that their checks are the ones seen.
MAIL = {
    "CONSULT_MAIL_BACKEND": "smtp",
    "CONSULT_MAIL_HOST": "localhost",
    "CONSULT_MAIL_SECURITY": "none",
    "CONSULT_PUBLIC_URL": "https://consultation.example",
}


def _serve_prod(**values: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "FLASK_"))}
    env.update(MAIL)
    env.update(values)
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        "config/gunicorn.conf.py",
        "-b",
        "127.0.0.1:0",
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_serve_prod_refuses_to_run_outside_production():
    result = _serve_prod(CONSULT_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "set CONSULT_ENV=production" in result.stderr


def test_serve_prod_refuses_sqlite_and_memory_rate_limits(tmp_path):
    result = _serve_prod(
        CONSULT_ENV="production", CONSULT_SECRET_KEY=GOOD_KEY, CONSULT_DATABASE_URL=f"sqlite:///{tmp_path}/x.db"
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for variable in ("CONSULT_DATABASE_URL", "CONSULT_RATELIMIT_STORAGE_URI", "CONSULT_REDIS_URL"):
        assert f"{variable} must be" in output
    assert "Booting worker" not in output  # refused in the master, before any worker


def test_serve_prod_refuses_the_default_key_in_production():
    result = _serve_prod(CONSULT_ENV="production", CONSULT_DATABASE_URL=PG)
    assert result.returncode != 0
    assert "CONSULT_SECRET_KEY must be set" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("database", "limits", "jobs", "refused"),
    [
        (PG, "redis://r:6379/1", "redis://r:6379/0", []),
        (PG, "rediss://r:6380/1", "redis+sentinel://r:26379/m/0", []),
        ("sqlite:////srv/consult.db", "redis://r:6379/1", "redis://r:6379/0", ["CONSULT_DATABASE_URL"]),
        (PG, "memory://", "redis://r:6379/0", ["CONSULT_RATELIMIT_STORAGE_URI"]),
        (PG, "redis://r:6379/1", "", ["CONSULT_REDIS_URL"]),
        ("sqlite://", "memory://", "", ["CONSULT_DATABASE_URL", "CONSULT_RATELIMIT_STORAGE_URI", "CONSULT_REDIS_URL"]),
    ],
)
def test_production_services_rule(database, limits, jobs, refused):
    config = {"DATABASE_URL": database, "RATELIMIT_STORAGE_URI": limits, "REDIS_URL": jobs}
    if not refused:
        check_production_services(config)
        return
    with pytest.raises(ConfigError) as error:
        check_production_services(config)
    for variable in ("CONSULT_DATABASE_URL", "CONSULT_RATELIMIT_STORAGE_URI", "CONSULT_REDIS_URL"):
        assert (f"{variable} must be" in str(error.value)) == (variable in refused)
