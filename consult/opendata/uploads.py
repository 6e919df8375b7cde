"""Files uploaded for an import, kept between the check and the import (private to who sent them, one day)."""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import current_app

from consult.opendata.sources import SourceFiles

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(filename: str, data: bytes, *, owner: int) -> tuple[str, SourceFiles]:
    """Keep the upload under a random token; forget uploads older than a day."""
    folder = _folder()
    for old in folder.iterdir():
        if old.stat().st_mtime < time.time() - MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    name = Path(filename).name[:200] or "import"
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"owner": owner, "name": name}), encoding="utf-8")
    return token, SourceFiles.from_bytes(name, data)


def load(token: str, *, owner: int) -> SourceFiles | None:
    """The upload behind `token` if `owner` sent it, else None (unknown, expired or someone else's)."""
    if not _TOKEN.match(token):
        return None
    folder = _folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    if not meta_path.exists() or not data_path.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("owner") != owner:
        return None
    return SourceFiles.from_bytes(meta["name"], data_path.read_bytes())


def discard(token: str) -> None:
    if _TOKEN.match(token):
        for suffix in (".bin", ".json"):
            (_folder() / f"{token}{suffix}").unlink(missing_ok=True)
