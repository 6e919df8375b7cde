"""`consult backup` / `consult restore`: round trip on the database of the run (SQLite, or PostgreSQL under the
PostgreSQL pass), refusals, and a backup taken while a transaction is open holds only committed data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from consult import create_app
from consult.backup import _counts, _tables
from consult.models import Comment, Consultation, Contribution, ContributionStatus, User, Vote, utcnow
from tests.conftest import POSTGRES_URL, _throwaway_database

ROWS = {
    "user": 'SELECT id, email, pseudonym, role FROM "user" ORDER BY id',
    "contribution": "SELECT id, title, body, status, agree_count, vote_count FROM contribution ORDER BY id",
    "vote": "SELECT contribution_id, user_id, value FROM vote ORDER BY id",
    "comment": "SELECT id, contribution_id, parent_id, body FROM comment ORDER BY id",
}


@pytest.fixture
def target_url(request, tmp_path):
    """A second empty database, to restore into."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'instance' / 'restored.db'}"  # a folder that does not exist yet
        return
    with _throwaway_database(request.getfixturevalue("postgres_admin")) as url:
        yield url


@pytest.fixture
def apps():
    made = []

    def make(url: str):
        app = create_app({"DATABASE_URL": url, "ANALYSIS_PRELOAD": False})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["consult.engine"].dispose()


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def _populate(app) -> None:
    result = _cli(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    now = utcnow()
    with Session(app.extensions["consult.engine"]) as session:
        people = [User(email=f"p{n}@exemple.fr", pseudonym=f"Personne {n}", privacy_consent_at=now) for n in range(3)]
        consultation = Consultation(
            slug="sauvegarde", title="Sauvegarde", summary="s", question="q", opens_at=now, closes_at=now
        )
        session.add_all([*people, consultation])
        session.flush()
        items = [
            Contribution(
                consultation_id=consultation.id,
                author_id=people[n % 3].id,
                title=f"Idée {n} « accentuée » é",
                body=f'Texte {n}\nsur deux lignes ; guillemets " et \\ barre',
                status=ContributionStatus.PUBLISHED,
                published_at=now,
                agree_count=1,
                vote_count=1,
            )
            for n in range(4)
        ]
        session.add_all(items)
        session.flush()
        session.add_all(Vote(contribution_id=item.id, user_id=people[0].id, value=1) for item in items)
        first = Comment(contribution_id=items[0].id, author_id=people[1].id, body="Un commentaire")
        session.add(first)
        session.flush()
        session.add(Comment(contribution_id=items[0].id, author_id=people[2].id, parent_id=first.id, body="Réponse"))
        session.commit()


def _snapshot(url: str) -> dict:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in ROWS.items()}
    engine.dispose()
    return {"counts": _counts(url, _tables(url)), "rows": rows}


def test_backup_then_restore_gives_the_same_database(apps, database_url, target_url, tmp_path):
    source = apps(database_url)
    _populate(source)
    path = tmp_path / "sauvegarde.dump"

    result = _cli(source, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert f"écrite : {path}" in result.output
    assert not list(tmp_path.glob(".*partiel"))  # written aside, then renamed
    assert path.stat().st_mode & 0o777 == 0o600  # personal data: readable by its owner only

    target = apps(target_url)
    result = _cli(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert f"Sauvegarde {path} restaurée" in result.output
    assert "contribution  4 lignes" in result.output
    assert "db upgrade" not in result.output  # same migration version as the code

    before, after = _snapshot(database_url), _snapshot(target_url)
    assert after == before
    assert before["counts"]["contribution"] == 4 and before["counts"]["principle"] == 16
    # The restored database goes on working: ids continue after the restored ones (sequences on PostgreSQL).
    with Session(target.extensions["consult.engine"]) as session:
        user = User(email="nouveau@exemple.fr", pseudonym="Nouveau")
        session.add(user)
        session.commit()
        assert user.id == max(row[0] for row in before["rows"]["user"]) + 1


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(apps, database_url, target_url, tmp_path):
    source = apps(database_url)
    _populate(source)
    path = tmp_path / "sauvegarde.dump"
    assert _cli(source, "backup", str(path)).exit_code == 0

    target = apps(target_url)
    assert _cli(target, "db", "upgrade").exit_code == 0
    with Session(target.extensions["consult.engine"]) as session:
        session.add(User(email="reste@exemple.fr", pseudonym="Reste"))
        session.commit()
    refused = _cli(target, "restore", str(path))
    assert refused.exit_code == 1
    assert "la base n'est pas vide" in refused.output and "--force" in refused.output
    assert [row[1] for row in _snapshot(target_url)["rows"]["user"]] == ["reste@exemple.fr"]  # untouched

    forced = _cli(target, "restore", str(path), "--force")
    assert forced.exit_code == 0, forced.output
    assert "tables remplacées" in forced.output
    assert _snapshot(target_url) == _snapshot(database_url)


def test_restore_checks_the_migration_version(apps, database_url, target_url, tmp_path):
    from alembic.script import ScriptDirectory

    from consult.migrate import alembic_config

    source = apps(database_url)
    _populate(source)
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_revision("head")
    engine = source.extensions["consult.engine"]

    with engine.begin() as connection:  # as if a newer version of the code had migrated this database
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfacef00d'"))
    newer = tmp_path / "plus-recente.dump"
    assert _cli(source, "backup", str(newer)).exit_code == 0
    target = apps(target_url)
    refused = _cli(target, "restore", str(newer))
    assert refused.exit_code == 1
    assert "f00dfacef00d, inconnue de ce code" in refused.output
    assert _tables(target_url) == []

    with engine.begin() as connection:  # a backup one migration behind the code
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head.down_revision})
    older = tmp_path / "ancienne.dump"
    assert _cli(source, "backup", str(older)).exit_code == 0
    restored = _cli(target, "restore", str(older))
    assert restored.exit_code == 0, restored.output
    assert "lancez « consult db upgrade »" in restored.output


def test_backup_holds_committed_data_only_while_a_write_is_under_way(apps, database_url, target_url, tmp_path):
    source = apps(database_url)
    _populate(source)
    path = tmp_path / "pendant.dump"
    with source.extensions["consult.engine"].connect() as writer:
        transaction = writer.begin()
        writer.execute(text("UPDATE contribution SET title = 'pas encore validé'"))
        result = _cli(source, "backup", str(path))  # neither blocked by the open transaction nor sees it
        transaction.rollback()
    assert result.exit_code == 0, result.output
    assert _cli(apps(target_url), "restore", str(path)).exit_code == 0
    assert _snapshot(target_url) == _snapshot(database_url)


def test_backup_and_restore_refuse_what_they_cannot_do_safely(apps, database_url, tmp_path):
    source = apps(database_url)
    _populate(source)
    existing = tmp_path / "existe.dump"
    existing.write_text("déjà là")
    refused = _cli(source, "backup", str(existing))
    assert refused.exit_code == 1 and "existe déjà" in refused.output
    assert existing.read_text() == "déjà là"

    not_a_backup = _cli(source, "restore", str(existing), "--force")
    assert not_a_backup.exit_code == 1 and "n'est pas une sauvegarde de consult" in not_a_backup.output
    assert _snapshot(database_url)["counts"]["contribution"] == 4


def test_a_truncated_backup_is_refused_and_changes_nothing(apps, database_url, target_url, tmp_path):
    source = apps(database_url)
    _populate(source)
    path = tmp_path / "sauvegarde.dump"
    assert _cli(source, "backup", str(path)).exit_code == 0
    target = apps(target_url)
    assert _cli(target, "restore", str(path)).exit_code == 0
    with Session(target.extensions["consult.engine"]) as session:
        session.add(User(email="apres@exemple.fr", pseudonym="Après la sauvegarde"))
        session.commit()
    before = _snapshot(target_url)

    damaged = tmp_path / "abimee.dump"
    damaged.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])  # a copy cut short
    result = _cli(target, "restore", str(damaged), "--force")
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : ") and "Traceback" not in result.output
    assert _snapshot(target_url) == before  # emptying and loading are one transaction: rolled back together


def test_a_postgresql_restore_that_fails_half_way_leaves_the_database_as_it_was(
    apps, database_url, target_url, tmp_path
):
    if not POSTGRES_URL:
        return  # SQLite copies the backup's pages in one step under a lock: nothing is emptied first
    source = apps(database_url)
    _populate(source)
    path = tmp_path / "sauvegarde.dump"
    assert _cli(source, "backup", str(path)).exit_code == 0
    target = apps(target_url)
    with target.extensions["consult.engine"].begin() as connection:
        # unaccent already installed in another schema (as some managed services do): the dump's text search
        # configuration, which names public.unaccent, then fails after the tables were dropped.
        connection.execute(text("CREATE SCHEMA extensions"))
        connection.execute(text("CREATE EXTENSION unaccent SCHEMA extensions"))
        connection.execute(text("CREATE TABLE registre (id integer PRIMARY KEY, note text)"))
        connection.execute(text("INSERT INTO registre VALUES (1, 'toujours là')"))
    result = _cli(target, "restore", str(path), "--force")
    assert result.exit_code == 1
    assert "psql a échoué, rien n'a été restauré" in result.output and "public.unaccent" in result.output
    assert _tables(target_url) == ["registre"]
    assert _counts(target_url, ["registre"]) == {"registre": 1}


def test_the_documented_cron_line_backs_up_the_configured_database(apps, tmp_path):
    """The README's backup line, as cron runs it: sh, an empty environment, `\\%` turned into `%`."""
    import re
    import subprocess
    import sys
    from datetime import date

    root = Path(__file__).resolve().parents[2]
    (line,) = [
        line.strip()
        for line in (root / "README.md").read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*\d+ \d+ \* \* \* ", line) and "consult backup" in line
    ]
    database = tmp_path / "site.db"
    _populate(apps(f"sqlite:///{database}"))
    env_file = tmp_path / "consult.env"
    env_file.write_text(f"CONSULT_DATABASE_URL=sqlite:///{database}\nCONSULT_ANALYSIS_PRELOAD=false\n")
    fields = line.split(maxsplit=6)
    assert fields[5] == "consult"  # /etc/cron.d lines name the user
    venv = Path(sys.executable).parent.parent
    command = (
        fields[6]
        .replace("\\%", "%")  # what cron does before handing the command to sh
        .replace("/etc/consult/consult.env", str(env_file))
        .replace("/var/backups/consult", str(tmp_path / "sauvegardes"))
        .replace("cd /srv/consult", f"cd {root}")
        .replace(".venv/bin/consult", f"{venv}/bin/consult")
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    backup = tmp_path / "sauvegardes" / f"consult-{date.today():%Y-%m-%d}.dump"
    assert backup.read_bytes().startswith(b"SQLite format 3\x00")
    assert sqlite3.connect(backup).execute("SELECT COUNT(*) FROM contribution").fetchone() == (4,)
