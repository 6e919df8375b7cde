"""The daily purge as documented: the systemd units in config/systemd and the README's cron line really run it."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

from consult.models import User, utcnow

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "config" / "systemd"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def _cron_line() -> str:
    lines = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if "consult purge" in line]
    (cron,) = [line.strip() for line in lines if re.match(r"\s*\d+ \d+ \* \* \* ", line)]
    return cron


def test_the_timer_starts_the_purge_service_daily():
    timer, service = _unit("consult-purge.timer"), _unit("consult-purge.service")
    assert timer["Timer"]["Unit"] == "consult-purge.service" and timer["Timer"]["Persistent"] == "true"
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["Timer"]["OnCalendar"])  # once a day
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert service["Service"]["Type"] == "oneshot"
    # The same environment file as the site, and the command the README documents.
    assert service["Service"]["EnvironmentFile"] == "/etc/consult/consult.env"
    command = shlex.split(service["Service"]["ExecStart"])
    assert command[0] == f"{service['Service']['WorkingDirectory']}/.venv/bin/consult" and command[1:] == ["purge"]
    assert _cron_line().endswith(" .venv/bin/consult purge") and "/etc/consult/consult.env" in _cron_line()


def test_the_documented_cron_line_purges_the_configured_database(tmp_path):
    """Run the README's cron command in sh with an empty environment, as cron does: it must read the env file."""
    database = tmp_path / "site.db"
    engine = create_engine(f"sqlite:///{database}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        old = utcnow() - timedelta(days=30)
        session.add(User(email="jamais-confirme@example.fr", pseudonym="Jamais confirmé", created_at=old))
        session.add(User(email="confirme@example.fr", pseudonym="Confirmé", created_at=old, email_verified_at=old))
        session.commit()
    env_file = tmp_path / "consult.env"
    env_file.write_text(f"CONSULT_DATABASE_URL=sqlite:///{database}\nCONSULT_ANALYSIS_PRELOAD=false\n")
    venv = Path(sys.executable).parent.parent
    fields = _cron_line().split(maxsplit=6)
    assert fields[5] == "consult"  # /etc/cron.d lines name the user
    command = fields[6].replace("/etc/consult/consult.env", str(env_file))
    # The checkout and its virtual environment stand in for /srv/consult.
    command = command.replace("cd /srv/consult", f"cd {ROOT}").replace(".venv/bin/consult", f"{venv}/bin/consult")
    # Only what cron provides; the editable install must import this checkout, whatever the caller's directory.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    with engine.connect() as conn:
        emails = set(conn.execute(text('SELECT email FROM "user" WHERE email IS NOT NULL')).scalars())
    assert emails == {"confirme@example.fr"}, done.stdout
    assert "comptes jamais confirmés" in done.stdout  # one count per purge, for the journal
    engine.dispose()
