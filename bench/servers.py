"""Processes of our own on loopback for the load bench and the fault tests: PostgreSQL, Redis, gunicorn, a browser.

Every process here is started by this module, known by its PID and stopped by it; nothing else is touched
(never a server started by scripts/test.sh or by someone else). A PostgreSQL cluster lives in a temporary
directory and is removed with it.
"""

from __future__ import annotations

import glob
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PGBIN = Path(os.environ.get("PGBIN") or (sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:] or ["/usr/bin"])[0])
STRONG_KEY = "load-and-fault-tests-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, seconds: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {seconds} s")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Postgres:
    """A PostgreSQL cluster of our own: initdb in a temporary directory, started and stopped with pg_ctl.

    `durable=False` turns fsync off (fast tests); the load bench keeps the production defaults.
    """

    def __init__(self, *, durable: bool = False, max_connections: int = 100):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="consult-ops-pg."))
        self.data = self.dir / "data"
        options = [f"-p {self.port}", f"-k {self.dir}", "-c listen_addresses=127.0.0.1"]
        options.append(f"-c max_connections={max_connections}")
        if not durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self.options = " ".join(options)
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self._as_postgres:
            self.dir.chmod(0o755)
            shutil.chown(self.dir, "postgres")
        self._run(f"'{PGBIN}/initdb' -D '{self.data}' -A trust -U postgres -E UTF8 --locale=C.UTF-8", quiet=True)
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def libpq_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._run(f"'{PGBIN}/pg_ctl' -D '{self.data}' -o \"{self.options}\" -l '{self.dir}/server.log' -w start")

    def stop(self, mode: str = "fast") -> None:
        self._run(f"'{PGBIN}/pg_ctl' -D '{self.data}' -m {mode} -w stop")

    def create_database(self, name: str) -> str:
        self._run(f"'{PGBIN}/createdb' -h 127.0.0.1 -p {self.port} -U postgres {name}")
        return self.url(name)

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, command: str, quiet: bool = False) -> None:
        if self._as_postgres:
            argv = ["su", "postgres", "-s", "/bin/bash", "-c", command]
        else:
            argv = ["bash", "-c", command]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{command}: {result.stdout[-2000:]}{result.stderr[-2000:]}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Redis:
    """A redis-server of our own on a free loopback port, without persistence; stop() kills our PID only."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _port_open(self.port), 20, "redis-server start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    close = stop

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def production_environment(database_url: str, redis: Redis, **extra: str) -> dict[str, str]:
    """The environment of the README's production section, with our own PostgreSQL and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "FLASK_"))}
    env.update(
        {
            "CONSULT_ENV": "production",
            "CONSULT_SECRET_KEY": STRONG_KEY,
            "CONSULT_DATABASE_URL": database_url,
            "CONSULT_RATELIMIT_STORAGE_URI": redis.url(1),
            "CONSULT_REDIS_URL": redis.url(0),
            "CONSULT_TRUSTED_PROXIES": "1",  # the load client plays the reverse proxy (X-Forwarded-For)
            "CONSULT_PUBLIC_URL": "https://consultation.example",
            # Production requires SMTP; no run here sends mail (the citizens' addresses are already confirmed).
            "CONSULT_MAIL_BACKEND": "smtp",
            "CONSULT_MAIL_HOST": "127.0.0.1",
            "CONSULT_MAIL_SECURITY": "none",
            "HF_HUB_OFFLINE": "1",
            **extra,
        }
    )
    return env


class Gunicorn:
    """`make serve-prod`'s command (config/gunicorn.conf.py) with `workers` workers on a free loopback port."""

    def __init__(self, env: dict[str, str], *, workers: int = 4, log: Path | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [str(BIN / "gunicorn"), "--config", "config/gunicorn.conf.py"]
        command += ["--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"]
        self._log = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.workers_wanted = workers
        wait_until(self._ready, 120, "gunicorn start", interval=0.5)

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
        return _port_open(self.port) and len(self.workers()) == self.workers_wanted

    def workers(self) -> list[int]:
        """PIDs of the master's worker processes (its children)."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def kill_worker(self, pid: int) -> None:
        if pid not in self.workers():
            raise ValueError(f"{pid} is not one of our gunicorn workers")
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # quick shutdown: nothing to finish here
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class DevServer:
    """`consult run` (the development server, SQLite) on a free loopback port; kill() is kill -9."""

    def __init__(self, database_url: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "FLASK_"))}
        env.update({"CONSULT_DATABASE_URL": database_url, "CONSULT_TRUSTED_PROXIES": "1", "HF_HUB_OFFLINE": "1"})
        command = [str(BIN / "consult"), "run", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: self.process.poll() is None and _port_open(self.port), 120, "consult run start", 0.5)

    def citizen(self, email: str, address: str) -> Browser:
        browser = Browser(self.base, address=address)
        answer = browser.login(email, PASSWORD)
        if answer.status != 302:
            raise AssertionError(f"login failed: {answer.status}")
        return browser

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


@dataclass
class Response:
    status: int  # 0: no answer (connection refused, reset or closed mid-request)
    headers: dict[str, str]
    body: str
    seconds: float
    error: str = ""
    finished: float = field(default_factory=time.monotonic)  # when the answer (or the failure) came

    def csrf(self) -> str:
        match = re.search(r'"X-CSRFToken": "([^"]+)"', self.body) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', self.body
        )
        if not match:
            raise AssertionError(f"no CSRF token in the page ({self.status})")
        return match.group(1)


@dataclass
class Browser:
    """A citizen's HTTP client on loopback: its own cookies (sent even for Secure cookies, as a browser does
    over the TLS proxy) and, behind the trusted proxy, its own client address in X-Forwarded-For."""

    base: str
    address: str = "127.0.0.1"
    timeout: float = 120
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None) -> Response:
        parts = urlsplit(self.base)
        sent = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            if self.csrf_token:
                sent["X-CSRFToken"] = self.csrf_token
            # Over HTTPS (the proxy says so), Flask-WTF also wants a same-origin Referer, as browsers send.
            sent.setdefault("Referer", f"https://{parts.netloc}{path}")
        started = time.perf_counter()
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
            self._keep_cookies(raw.headers.get_all("Set-Cookie") or [])
            answer = Response(raw.status, dict(raw.headers.items()), text, time.perf_counter() - started)
        except (OSError, http.client.HTTPException) as exc:
            answer = Response(0, {}, "", time.perf_counter() - started, error=type(exc).__name__)
        finally:
            connection.close()
        if answer.status == 200 and '"X-CSRFToken"' in answer.body:
            self.csrf_token = answer.csrf()
        return answer

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Response:
        return self.request("POST", path, data=data, **kwargs)

    def login(self, email: str, password: str) -> Response:
        if not self.csrf_token:
            self.get("/connexion")
        answer = self.post("/connexion", {"email": email, "password": password, "csrf_token": self.csrf_token})
        if answer.status in (302, 303):
            self.get(urlsplit(answer.headers["Location"]).path)  # as a browser does: the new session's CSRF token
        return answer

    def _keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in line or "expires=Thu, 01 Jan 1970" in line:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value


# -- the data a load or fault run works on ------------------------------------------------------------------------

PASSWORD = "Charge-et-pannes-2026"
SLUG = "charge"


@dataclass(frozen=True)
class Seeded:
    slug: str
    emails: list[str]
    contribution_ids: list[int]


def seed(database_url: str, *, users: int, contributions: int, migrate: bool = True) -> Seeded:
    """Migrate (as `consult db upgrade` does) and add an open consultation, citizens and published contributions."""
    from datetime import timedelta

    from sqlmodel import Session, SQLModel

    from consult import create_app
    from consult.auth.passwords import hash_password
    from consult.db import get_session
    from consult.models import Consultation, Contribution, ContributionStatus, User, utcnow
    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    if migrate:
        from consult.migrate import upgrade

        upgrade(database_url, "head")
    app = create_app({"DATABASE_URL": database_url, "ANALYSIS_PRELOAD": False}, server="none")
    engine = app.extensions["consult.engine"]
    if not migrate:
        SQLModel.metadata.create_all(engine)
    with app.app_context():
        session = get_session()
        sync_taxonomy(session=session, data=read_taxonomy(app.config["TAXONOMY_PATH"]))
        session.commit()
    now = utcnow()
    password_hash = hash_password(PASSWORD)
    emails = [f"citoyen{n}@charge.example" for n in range(users)]
    with Session(engine, expire_on_commit=False) as session:
        consultation = Consultation(
            slug=SLUG,
            title="Le dossier médical partagé au quotidien",
            summary="Consultation de charge : lecture, votes, commentaires et contributions.",
            question="Comment améliorer l'accès de chacun à ses données de santé ?",
            description="Consultation créée par le banc de charge.",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
        )
        session.add(consultation)
        people = [
            User(
                email=email,
                pseudonym=f"Citoyen {n}",
                password_hash=password_hash,
                privacy_consent_at=now,
                email_verified_at=now,
            )
            for n, email in enumerate(emails)
        ]
        session.add_all(people)
        session.flush()
        items = [
            Contribution(
                consultation_id=consultation.id,
                author_id=people[n % len(people)].id,
                title=f"Proposition {n} sur l'accès aux données",
                body=f"Proposition {n} : rendre le dossier médical partagé plus simple à consulter et à comprendre.",
                status=ContributionStatus.PUBLISHED,
                published_at=now,
            )
            for n in range(contributions)
        ]
        session.add_all(items)
        session.commit()
        ids = [item.id for item in items]
    engine.dispose()
    return Seeded(SLUG, emails, ids)


def vote_audit(database_url: str) -> dict:
    """Vote rows against the contributions' counters: every mismatch is a lost (or doubled) vote."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        mismatches = connection.execute(
            text(
                """
                SELECT c.id, c.agree_count, c.disagree_count, c.pass_count, c.vote_count,
                       COALESCE(SUM(CASE WHEN v.value = 1 THEN 1 ELSE 0 END), 0),
                       COALESCE(SUM(CASE WHEN v.value = -1 THEN 1 ELSE 0 END), 0),
                       COALESCE(SUM(CASE WHEN v.value = 0 THEN 1 ELSE 0 END), 0),
                       COUNT(v.id)
                FROM contribution c LEFT JOIN vote v ON v.contribution_id = c.id
                GROUP BY c.id, c.agree_count, c.disagree_count, c.pass_count, c.vote_count
                """
            )
        ).all()
        rows = connection.execute(text("SELECT COUNT(*) FROM vote")).scalar_one()
        votes = {
            (user, contribution): value
            for user, contribution, value in connection.execute(
                text('SELECT u.email, v.contribution_id, v.value FROM vote v JOIN "user" u ON u.id = v.user_id')
            )
        }
    engine.dispose()
    bad = [row for row in mismatches if tuple(row[1:5]) != tuple(row[5:9])]
    return {"vote_rows": rows, "counter_mismatches": len(bad), "votes": votes}


# -- a voting load, shared by the fault tests and bench/faults.py -----------------------------------------------------

HTMX = {"HX-Request": "true"}


def vote(browser: Browser, contribution_id: int, value: int) -> Response:
    return browser.post(f"/contributions/{contribution_id}/vote", {"value": value}, headers=HTMX)


class VoteLoad:
    """Citizens voting in turn on their own threads, every attempt recorded; bounded by `turns`, stopped on exit."""

    def __init__(self, citizens: dict[str, Browser], contribution_ids: list[int], *, turns: int, pause: float = 0):
        self.attempts: list[tuple[str, int, int, object]] = []  # (email, contribution, value, answer)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._vote_in_turn, args=(email, browser, contribution_ids, turns, pause, n))
            for n, (email, browser) in enumerate(citizens.items())
        ]

    def _vote_in_turn(self, email, browser, contribution_ids, turns, pause, seed) -> None:
        rng = random.Random(seed)
        for turn in range(turns):
            if self._stop.is_set():
                return
            contribution_id = contribution_ids[turn % len(contribution_ids)]
            value = rng.choice((1, -1, 0))
            self.attempts.append((email, contribution_id, value, vote(browser, contribution_id, value)))
            time.sleep(pause)

    def acknowledged(self) -> int:
        return sum(answer.status == 200 for *_, answer in self.attempts)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def possible_votes(attempts) -> dict[tuple[str, int], list[int]]:
    """Per (citizen, contribution): the last acknowledged value, or that of a later attempt left without a clean
    answer (503 or a dead connection), whose commit may have gone through just before."""
    possible: dict[tuple[str, int], list[int]] = {}
    for email, contribution_id, value, answer in attempts:
        key = (email, contribution_id)
        if answer.status == 200:
            possible[key] = [value]
        elif key in possible:
            possible[key].append(value)
    return possible
