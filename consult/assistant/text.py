"""Normalise what citizens type (accents, case, elisions, SMS spellings) before any model reads it."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import yaml

_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "´": "'", "‘": "'"})
_ELISION = re.compile(r"\b([cdjlmnst]|qu)'", re.IGNORECASE)
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
# A sentence ends at . ? ! ; or a new line; "et c'est quoi…", "and how…" start a new question.
_QUESTION_WORDS = r"(?:c'est|c est|cest|qu'est|comment|pourquoi|quand|ou|what|how|why)"
_SENTENCE_END = re.compile(rf"(?<=[?!.;\n])\s*|\s+(?=(?:et|and)\s+{_QUESTION_WORDS}\b)")


def fold(text: str) -> str:
    """Lower-case and strip accents (« Données » -> « donnees »)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("œ", "oe").replace("æ", "ae")


@cache
def _lexicon(path: str) -> dict[str, str]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {fold(str(k)): _ELISION.sub(r"\1' ", fold(str(v))) for k, v in (data.get("words") or {}).items()}


class Normalizer:
    """Accent-free, lower-case words with elisions split and SMS spellings rewritten (config/assistant)."""

    def __init__(self, lexicon_path: str | Path):
        self.words = _lexicon(str(lexicon_path))

    def __call__(self, text: str) -> str:
        folded = _REPEATS.sub(r"\1\1", fold(text))
        folded = _ELISION.sub(lambda m: m.group(1) + "' ", folded)
        tokens = _NON_WORD.sub(" ", folded).split()
        return " ".join(self.words.get(token, token) for token in tokens)


_CLAUSE_END = re.compile(r"(?<=[,:])\s+")
CLAUSE_MIN_WORDS = 4


def clauses(text: str) -> list[str]:
    """Sentences, further cut at commas and colons; parts under 4 words ("Bonjour à vous,") are left out."""
    out = []
    for sentence in sentences(text):
        pieces = _CLAUSE_END.split(sentence)
        long = [piece for piece in pieces if len(piece.split()) >= CLAUSE_MIN_WORDS]
        out += long if len(pieces) > 1 and long else [sentence]
    return out


def sentences(text: str) -> list[str]:
    """Split a message into its sentences or questions (several questions at once are common)."""
    parts = [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]
    return [part for part in parts if any(ch.isalnum() for ch in part)]
