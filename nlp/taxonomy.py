"""The reference taxonomy (DNS themes, 16 ethical principles in 4 dimensions) as plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

# The repository's copy; callers outside the repository pass their own path.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "taxonomy.yaml"


@dataclass(frozen=True)
class Dimension:
    id: str
    key: str
    label_fr: str
    label_en: str | None


@dataclass(frozen=True)
class Principle:
    id: str  # "P01".."P16"
    dimension: str  # "D1".."D4"
    number: int
    label_fr: str  # official wording when verified, else the working label
    label_en: str
    verified_fr: bool
    keywords_fr: tuple[str, ...] = field(default=())  # specific cues: count in any text
    context_keywords_fr: tuple[str, ...] = field(default=())  # generic cues: count only in a digital text


@dataclass(frozen=True)
class Theme:
    id: str  # "T01".."T18"
    key: str
    label_fr: str
    label_en: str | None
    description_fr: str
    keywords_fr: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Taxonomy:
    dimensions: tuple[Dimension, ...]
    principles: tuple[Principle, ...]
    themes: tuple[Theme, ...]
    domain_cues_fr: tuple[str, ...] = ()  # words that make a text about digital services
    health_cues_fr: tuple[str, ...] = ()  # words that make a (digital) text about health


def load_taxonomy(path: str | Path = DEFAULT_PATH) -> Taxonomy:
    """Read a taxonomy YAML file (format of config/taxonomy.yaml)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    dimensions = tuple(
        Dimension(d["id"], d["key"], d["label_fr"], d.get("label_en") or d.get("label_en_press"))
        for d in data["dimensions"]
    )
    principles = tuple(
        Principle(
            id=p["id"],
            dimension=p["dimension"],
            number=int(p["number"]),
            label_fr=p.get("label_fr") if p.get("status_fr") == "verified" else p["working_label_fr"],
            label_en=p.get("label_en") or p["working_label_en"],
            verified_fr=p.get("status_fr") == "verified",
            keywords_fr=tuple(p.get("keywords_fr") or ()),
            context_keywords_fr=tuple(p.get("context_keywords_fr") or ()),
        )
        for p in data["principles"]
    )
    themes = tuple(
        Theme(
            id=t["id"],
            key=t["key"],
            label_fr=t["label_fr"],
            label_en=t.get("label_en"),
            description_fr=t.get("description_fr") or "",
            keywords_fr=tuple(t.get("keywords_fr") or ()),
        )
        for t in data["themes"]
    )
    cues = (tuple(data.get(key) or ()) for key in ("domain_cues_fr", "health_cues_fr"))
    return Taxonomy(dimensions, principles, themes, *cues)
