"""Back up and restore the database: pg_dump/pg_restore (custom format) on PostgreSQL, the online backup API on
SQLite. Both give a consistent copy while the site runs. No Flask here: the CLI passes the database URL.

A backup file is written next to its final name and renamed at the end, so a failed or interrupted backup never
leaves a truncated file under the name a restore would trust.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from consult.migrate import alembic_config

PG_MAGIC = b"PGDMP"  # pg_dump's custom format
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator (French)."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    kind: str  # "postgresql" | "sqlite"
    revision: str | None
    size: int


@dataclass(frozen=True)
class RestoreReport:
    kind: str
    revision: str
    head: str
    replaced_tables: int  # tables that were in the target before (0: it was empty)
    counts: dict[str, int]  # rows per table after the restore

    @property
    def needs_upgrade(self) -> bool:
        return self.revision != self.head


def database_kind(database_url: str) -> str:
    backend = make_url(database_url).get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise BackupError(f"base non prise en charge : {backend} (PostgreSQL ou SQLite)")
    return backend


def backup(database_url: str, out: Path, *, overwrite: bool = False) -> BackupReport:
    """Write a consistent copy of the database to `out` (custom-format dump, or an SQLite database file)."""
    kind = database_kind(database_url)
    out = Path(out)
    if out.exists() and not overwrite:
        raise BackupError(f"{out} existe déjà : choisissez un autre nom ou ajoutez --force pour le remplacer")
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partiel", dir=out.parent)
    os.close(handle)
    partial = Path(partial)
    try:
        if kind == "postgresql":
            _pg_dump(database_url, partial)
        else:
            _sqlite_backup(database_url, partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(out, kind, backup_revision(out), out.stat().st_size)


def backup_kind(path: Path) -> str:
    with open(path, "rb") as file:
        start = file.read(16)
    if start.startswith(PG_MAGIC):
        return "postgresql"
    if start == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(f"{path} n'est pas une sauvegarde de consult (ni pg_dump au format custom, ni SQLite)")


def backup_revision(path: Path) -> str | None:
    """The Alembic revision the backed-up database was at (None: not a database made by `consult db upgrade`)."""
    if backup_kind(path) == "sqlite":
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        except (sqlite3.Error, TypeError):
            return None
        finally:
            connection.close()
    listing = _run([_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)])
    match = re.search(r"^COPY \S*alembic_version .*FROM stdin;\n([0-9a-zA-Z_]+)\n", listing, re.MULTILINE)
    return match.group(1) if match else None


def restore(database_url: str, source: Path, *, force: bool = False) -> RestoreReport:
    """Replace the database's content with the backup `source`, in one transaction.

    Refuses a backup of the other kind of database, one without a known migration version (made by a newer
    version of the code, or not by consult), and a target that already has tables unless `force`.
    """
    kind = database_kind(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"sauvegarde introuvable : {source}")
    if backup_kind(source) != kind:
        raise BackupError(
            f"{source} est une sauvegarde {_name(backup_kind(source))}, la base configurée est {_name(kind)}"
        )
    revision = backup_revision(source)
    scripts = ScriptDirectory.from_config(alembic_config(database_url))
    head = scripts.get_current_head()
    if revision is None:
        raise BackupError(f"{source} n'a pas de version de migration (table alembic_version) : pas une base consult")
    if not _known(scripts, revision):
        raise BackupError(
            f"{source} est à la version de migration {revision}, inconnue de ce code (dernière : {head}) : "
            "elle vient d'une version plus récente de consult ; mettez le code à jour avant de restaurer"
        )
    existing = _tables(database_url)
    if existing and not force:
        raise BackupError(
            f"la base n'est pas vide ({len(existing)} tables, {_rows(database_url, existing)} lignes) : "
            "la restauration remplacerait tout son contenu ; ajoutez --force pour le faire"
        )
    if kind == "postgresql":
        _pg_restore(database_url, source)
    else:
        _sqlite_restore(database_url, source)
    tables = _tables(database_url)
    counts = _counts(database_url, tables)
    return RestoreReport(kind, revision, head, len(existing), counts)


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for unknown or ambiguous ids
        return False


def _name(kind: str) -> str:
    return "PostgreSQL" if kind == "postgresql" else "SQLite"


# -- SQLite: the online backup API copies a consistent snapshot while other connections read and write ----------


def _sqlite_path(database_url: str) -> str:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise BackupError("base SQLite en mémoire : rien à sauvegarder ni à restaurer")
    return path


def _sqlite_backup(database_url: str, out: Path) -> None:
    if not Path(_sqlite_path(database_url)).is_file():
        raise BackupError(f"base SQLite introuvable : {_sqlite_path(database_url)}")
    # Not read-only: a read-only connection cannot open a WAL database whose -shm file is missing.
    source = sqlite3.connect(_sqlite_path(database_url), timeout=30)
    target = sqlite3.connect(out)
    try:
        source.backup(target)
        # The copy is a self-contained file: no -wal beside it, whatever the site's journal mode.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _sqlite_restore(database_url: str, source: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            intact = backup_db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        except sqlite3.DatabaseError:
            intact = False
        if not intact:
            raise BackupError(f"{source} est endommagée (PRAGMA integrity_check) : rien n'a été restauré")
        Path(_sqlite_path(database_url)).parent.mkdir(parents=True, exist_ok=True)  # as the site's engine does
        target = sqlite3.connect(_sqlite_path(database_url), timeout=30)
        try:
            # Copies every page in one step under the target's write lock: other connections see the old
            # content or the new one, never a mix.
            backup_db.backup(target)
        finally:
            target.close()
    finally:
        backup_db.close()


# -- PostgreSQL: pg_dump / pg_restore, custom format ---------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or (sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:] or [None])[0]
    if not found:
        raise BackupError(
            f"{name} introuvable : installez les outils clients PostgreSQL (apt-get install postgresql-client)"
        )
    return found


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (which would show in `ps`), and the environment that carries it."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], *, env: dict[str, str] | None = None, stdin=None) -> str:
    result = subprocess.run(command, env=env, stdin=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué : {result.stderr.strip()[-2000:]}")
    return result.stdout


def _pg_dump(database_url: str, out: Path) -> None:
    uri, env = _libpq(database_url)
    # One snapshot (pg_dump's transaction is repeatable read): consistent while the site writes.
    _run([_pg_tool("pg_dump"), "--format=custom", f"--file={out}", f"--dbname={uri}"], env=env)


# Empties the current schema (tables with their triggers and sequences, views, functions, text search
# configurations, types) but leaves the objects of extensions (unaccent) and the schema itself with its grants.
_EMPTY_SCHEMA = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT format('DROP VIEW IF EXISTS %I.%I CASCADE', schemaname, viewname) AS sql
              FROM pg_views WHERE schemaname = current_schema()
  UNION ALL   SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename)
              FROM pg_tables WHERE schemaname = current_schema()
  LOOP EXECUTE item.sql; END LOOP;
  FOR item IN SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', sequence_schema, sequence_name) AS sql
              FROM information_schema.sequences WHERE sequence_schema = current_schema()
  UNION ALL   SELECT format('DROP FUNCTION IF EXISTS %s CASCADE', p.oid::regprocedure)
              FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  UNION ALL   SELECT format('DROP TEXT SEARCH CONFIGURATION IF EXISTS %s CASCADE', c.oid::regconfig)
              FROM pg_ts_config c WHERE c.cfgnamespace = current_schema()::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  UNION ALL   SELECT format('DROP TYPE IF EXISTS %s CASCADE', t.oid::regtype)
              FROM pg_type t WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('e', 'd', 'c')
              AND NOT EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind <> 'c')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
  LOOP EXECUTE item.sql; END LOOP;
END $$;
"""


def _pg_restore(database_url: str, source: Path) -> None:
    """Empty the schema and load the dump in a single transaction: if anything fails, the database is as before."""
    uri, env = _libpq(database_url)
    psql = [_pg_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"]
    psql += [f"--command={_EMPTY_SCHEMA}", "--file=-", f"--dbname={uri}"]
    # pg_restore writes the SQL (COPY data inline) and psql runs it after the emptying, between one BEGIN and
    # COMMIT. The SQL goes through this process rather than a pipe between the two: psql commits when its input
    # ends, so if pg_restore stops half-way (a damaged file) psql is killed before that end, and PostgreSQL rolls
    # the transaction back when the connection drops. --no-owner/--no-privileges: the objects belong to the
    # account that restores, whatever the roles of the original server.
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        script = subprocess.Popen(
            [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(source)],
            stdout=subprocess.PIPE,
            stderr=restore_errors,
            env=env,
        )
        runner = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors, env=env)
        psql_stopped = False
        try:
            for chunk in iter(lambda: script.stdout.read(1 << 16), b""):
                runner.stdin.write(chunk)
        except BrokenPipeError:
            psql_stopped = True  # psql stopped on an error, its transaction rolled back
        finally:
            script.stdout.close()
        restore_failed = script.wait() != 0
        if psql_stopped:
            runner.wait()
            raise BackupError(f"psql a échoué, rien n'a été restauré : {_tail(psql_errors)}")
        if restore_failed:
            runner.kill()
            runner.wait()
            raise BackupError(f"pg_restore a échoué, rien n'a été restauré : {_tail(restore_errors)}")
        try:
            runner.stdin.close()  # the end of the script: psql commits
        except BrokenPipeError:
            pass
        if runner.wait() != 0:
            raise BackupError(f"psql a échoué, rien n'a été restauré : {_tail(psql_errors)}")


def _tail(file) -> str:
    file.seek(0)
    return file.read().decode("utf-8", "replace").strip()[-2000:]


# -- what is in a database -------------------------------------------------------------------------------------------


def _tables(database_url: str) -> list[str]:
    if database_kind(database_url) == "sqlite" and not Path(_sqlite_path(database_url)).exists():
        return []
    engine = create_engine(database_url)
    try:
        return [name for name in inspect(engine).get_table_names() if not name.startswith("sqlite_")]
    finally:
        engine.dispose()


def _counts(database_url: str, tables: list[str]) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            preparer = engine.dialect.identifier_preparer
            return {
                name: connection.execute(text(f"SELECT COUNT(*) FROM {preparer.quote(name)}")).scalar_one()
                for name in tables
            }
    finally:
        engine.dispose()


def _rows(database_url: str, tables: list[str]) -> int:
    return sum(_counts(database_url, tables).values())
