"""Fail closed: the default secret key and the demo accounts never reach a real server (issue 10, defects 1 and 2).

The servers are real processes: gunicorn as the README's production section runs it, and `consult run`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from sqlmodel import select

from consult.config import DEFAULT_SECRET_KEY, ConfigError, check_secret_key
from consult.models import User
from tests.consult.conftest import PASSWORD, PRODUCTION_CONFIG

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GOOD_KEY = "k" * 48


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(database_url: str, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "FLASK_"))}
    env.update({"CONSULT_DATABASE_URL": database_url, "HF_HUB_OFFLINE": "1", **values})
    return env


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            with urlopen(url, timeout=30) as response:  # the first request warms the process up
                return response.status
        except (URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {seconds} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.communicate(timeout=20)  # also closes the output pipe
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def _gunicorn(port: int, env: dict) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "consult:create_app()"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# The secret key


def test_gunicorn_without_consult_env_refuses_the_default_key(app, app_database_url):
    for env in (
        _environment(app_database_url),  # nothing set: the development defaults
        _environment(app_database_url, CONSULT_SECRET_KEY=DEFAULT_SECRET_KEY),
        _environment(app_database_url, CONSULT_SECRET_KEY="changeme"),  # too short to be random
    ):
        process = _gunicorn(_free_port(), env)
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                _stop(process)
        assert process.returncode != 0
        assert "CONSULT_SECRET_KEY must be set" in output


def test_gunicorn_starts_with_a_random_key(app, app_database_url):
    port = _free_port()
    process = _gunicorn(port, _environment(app_database_url, CONSULT_SECRET_KEY=GOOD_KEY))
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/", process) == 200
    finally:
        _stop(process)


def test_development_server_accepts_the_default_key(app, app_database_url):
    port = _free_port()
    command = [str(BIN / "consult"), "run", "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_environment(app_database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/", process) == 200
    finally:
        _stop(process)


def test_commands_that_serve_nothing_accept_the_default_key(app, app_database_url):
    result = subprocess.run(
        [str(BIN / "consult"), "purge", "--dry-run"],
        cwd=ROOT,
        env=_environment(app_database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "server", "key", "refused"),
    [
        ("development", "wsgi", DEFAULT_SECRET_KEY, True),
        ("development", "wsgi", "", True),
        ("development", "wsgi", "short-key", True),
        ("development", "wsgi", GOOD_KEY, False),
        ("development", "development", DEFAULT_SECRET_KEY, False),
        ("development", "none", DEFAULT_SECRET_KEY, False),
        ("staging", "wsgi", DEFAULT_SECRET_KEY, True),
        ("production", "development", DEFAULT_SECRET_KEY, True),
        ("production", "none", DEFAULT_SECRET_KEY, True),
        ("production", "wsgi", "short-key", True),
        ("production", "wsgi", GOOD_KEY, False),
    ],
)
def test_secret_key_rule(env, server, key, refused):
    config = {"ENV": env, "SECRET_KEY": key, "TESTING": False}
    if refused:
        with pytest.raises(ConfigError, match="CONSULT_SECRET_KEY"):
            check_secret_key(config, server=server)
    else:
        check_secret_key(config, server=server)


# The demo


def test_seed_demo_refuses_outside_development(make_app, app, session):
    production = make_app(**PRODUCTION_CONFIG, TESTING=False)
    result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1 and "Refusé" in result.output
    assert session.exec(select(User)).all() == []


def test_demo_accounts_sign_in_only_in_development(make_app, app, make_user):
    make_user(email="citoyen@demo.consultation.fr")
    login = {"email": "citoyen@demo.consultation.fr", "password": PASSWORD}
    for env, signed_in in (("production", False), ("staging", False), ("development", True), ("testing", True)):
        client = make_app(**(PRODUCTION_CONFIG | {"ENV": env, "TESTING": False})).test_client()
        response = client.post("/connexion", data=login)
        assert (response.status_code == 302) is signed_in, env


def test_install_and_setup_never_seed_the_demo():
    install = subprocess.run(["make", "-n", "-B", "install"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert install.returncode == 0, install.stderr
    assert "pip install" in install.stdout and "consult " not in install.stdout  # no database at all
    plan = subprocess.run(["make", "-n", "-B", "setup"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    assert "consult db upgrade" in plan.stdout and "seed-demo" not in plan.stdout
    run = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "seed-demo" in run.stdout
