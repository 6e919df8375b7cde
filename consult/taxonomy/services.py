"""The reference taxonomy (themes, dimensions, 16 principles) loaded from config/taxonomy.yaml into the database."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import Session, select

from consult.config import PROJECT_ROOT
from consult.models import Dimension, Principle, Theme


def read_taxonomy(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def sync_taxonomy(*, session: Session, data: dict) -> int:
    """Insert or update every dimension, principle and theme of `data`; return the number of rows written."""
    rows = []
    for d in data["dimensions"]:
        rows.append(
            Dimension(
                id=d["id"], key=d["key"], label_fr=d["label_fr"], label_en=d.get("label_en") or d.get("label_en_press")
            )
        )
    for p in data["principles"]:
        verified = p.get("status_fr") == "verified"
        rows.append(
            Principle(
                id=p["id"],
                dimension_id=p["dimension"],
                number=int(p["number"]),
                label_fr=p["label_fr"] if verified else p["working_label_fr"],
                label_en=p.get("label_en") or p["working_label_en"],
                verified_fr=verified,
                short_fr=p.get("short_fr") or "",
                short_en=p.get("short_en") or "",
            )
        )
    for position, t in enumerate(data["themes"]):
        rows.append(
            Theme(
                id=t["id"],
                key=t["key"],
                label_fr=t["label_fr"],
                label_en=t.get("label_en"),
                description_fr=t.get("description_fr") or "",
                position=position,
                short_fr=t.get("short_fr") or "",
                short_en=t.get("short_en") or "",
            )
        )
    for row in rows:
        session.merge(row)
    session.flush()
    return len(rows)


def list_themes(*, session: Session) -> list[Theme]:
    return list(session.exec(select(Theme).order_by(Theme.position)))


def list_principles(*, session: Session) -> list[Principle]:
    return list(session.exec(select(Principle).order_by(Principle.number)))


def list_dimensions(*, session: Session) -> list[Dimension]:
    return list(session.exec(select(Dimension).order_by(Dimension.id)))
