"""A live server on 127.0.0.1 (temporary SQLite file, demo data) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlmodel import SQLModel
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root on a closed network: no sandbox, and no background connections that the network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("CONSULT_TEST_ARTIFACTS", "test-artifacts")) / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def live_server(tmp_path, mailbox):
    """Serve a fresh app (file database: threads would each see an empty in-memory one) on a free port."""
    from consult import create_app
    from consult.db import get_session
    from consult.demo import seed_demo
    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    # E-mails (account confirmation, password reset) go to the real SMTP server on loopback: read them in `mailbox`.
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}", "WTF_CSRF_ENABLED": True, "MAIL_PORT": mailbox.port}
    )
    SQLModel.metadata.create_all(app.extensions["consult.engine"])
    with app.app_context():
        session = get_session()
        sync_taxonomy(session=session, data=read_taxonomy(app.config["TAXONOMY_PATH"]))
        seed_demo(session=session)
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = app.config["LIVE_URL"]  # links in e-mails lead back to this server
    yield app
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["consult.engine"].dispose()


def mailed_link(mailbox, address: str, count: int = 1) -> str:
    """The link of the `count`-th e-mail sent to `address` (as a person would copy it from the message)."""
    import re

    return re.findall(r"https?://\S+", mailbox.wait_for(address, count=count).get_content())[-1]
