"""The knowledge base the project writes (config/assistant/knowledge.yaml): questions, answers and their sources."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class KnowledgeError(ValueError):
    """The knowledge base file is malformed (the message says which entry and why)."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class Entry:
    id: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    sources: tuple[Source, ...]
    needs_consultation: bool = False
    fallback: dict[str, str] = field(default_factory=dict)

    def render(self, lang: str, facts: dict[str, str], consultation: dict[str, str] | None) -> str:
        """The answer in `lang` (French when not translated), filled with the consultation's facts."""
        if self.needs_consultation and consultation is None:
            template = _pick(self.fallback, lang)
        else:
            template = _pick(self.answer, lang)
        return template.strip().format_map(_Facts({**facts, **(consultation or {})}))

    def title_in(self, lang: str) -> str:
        return _pick(self.title, lang)


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        # A placeholder without a value must never show as "{key}" to a citizen, nor raise.
        return "—"


def _pick(values: dict[str, str], lang: str) -> str:
    return values.get(lang) or values["fr"]


PLACEHOLDERS = {
    "title",
    "question",
    "opens",
    "closes",
    "status",
    "phases",
    "contributions",
    "participants",
    "votes",
    "moderation",
    "retention_days",
    "account_months",
}


class KnowledgeBase:
    """The entries by id, in file order."""

    def __init__(self, entries: list[Entry]):
        self.entries = {entry.id: entry for entry in entries}

    def __getitem__(self, entry_id: str) -> Entry:
        return self.entries[entry_id]

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)


def load_knowledge(path: str | Path) -> KnowledgeBase:
    """Read and check the knowledge base; raise KnowledgeError naming the faulty entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    entries: list[Entry] = []
    seen: set[str] = set()
    for raw in data.get("entries") or []:
        entry = _entry(raw)
        if entry.id in seen:
            raise KnowledgeError(f"{path}: entry id {entry.id!r} is used twice")
        seen.add(entry.id)
        entries.append(entry)
    if not entries:
        raise KnowledgeError(f"{path}: no entries")
    return KnowledgeBase(entries)


def _entry(raw: dict) -> Entry:
    entry_id = str(raw.get("id") or "")
    if not entry_id:
        raise KnowledgeError(f"an entry has no id: {raw!r:.80}")
    sources = tuple(Source(str(s["title"]), str(s["url"])) for s in raw.get("sources") or [])
    questions = {"fr": tuple(raw.get("questions") or ()), "en": tuple(raw.get("questions_en") or ())}
    answer = {lang: raw[key] for lang, key in (("fr", "answer"), ("en", "answer_en")) if raw.get(key)}
    fallback = {lang: raw[key] for lang, key in (("fr", "fallback"), ("en", "fallback_en")) if raw.get(key)}
    needs = raw.get("needs") == "consultation"
    problems = []
    if not sources:
        problems.append("no sources (every answer cites one)")
    if len(questions["fr"]) < 3:
        problems.append("fewer than 3 French questions")
    if "fr" not in answer:
        problems.append("no French answer")
    if needs and "fr" not in fallback:
        problems.append("needs a consultation but has no fallback")
    for text in [*answer.values(), *fallback.values()]:
        unknown = {name for _, name, _, _ in string.Formatter().parse(text) if name} - PLACEHOLDERS
        if unknown:
            problems.append(f"unknown placeholders {sorted(unknown)}")
    if problems:
        raise KnowledgeError(f"entry {entry_id!r}: " + "; ".join(problems))
    return Entry(
        id=entry_id,
        title={"fr": str(raw.get("title") or entry_id), "en": str(raw.get("title_en") or raw.get("title") or "")},
        questions=questions,
        answer=answer,
        sources=sources,
        needs_consultation=needs,
        fallback=fallback,
    )
