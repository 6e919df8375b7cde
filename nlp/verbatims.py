"""Representative verbatims (central yet diverse, by MMR) and extractive summaries of groups of texts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .text import LEMMA_TOKEN, lemma_strings
from .text import normalize as normalize_text

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*|\s*\|\s*")
MIN_CHARS = 20  # shorter texts ("oui", "la TVA") are poor examples unless nothing else exists
POOL = 200  # MMR only looks at the most central texts: diversity among outliers is noise


@dataclass
class Verbatim:
    index: int  # row of the text in the input
    id: str  # contribution id
    text: str
    score: float  # cosine similarity to the group's centroid


def mmr(vectors: np.ndarray, relevance: np.ndarray, n: int, diversity: float = 0.3) -> list[int]:
    """Maximal marginal relevance: pick `n` rows, trading relevance against similarity to those picked."""
    picked: list[int] = []
    redundancy = np.full(len(relevance), -np.inf)
    available = np.ones(len(relevance), dtype=bool)
    while len(picked) < min(n, len(relevance)):
        penalty = redundancy if picked else 0.0
        gain = (1 - diversity) * relevance - diversity * penalty
        gain = np.where(available, gain, -np.inf)
        best = int(np.argmax(gain))
        picked.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return picked


def representative(
    embeddings: np.ndarray,
    members: Sequence[int],
    texts: Sequence[str],
    ids: Sequence[str],
    *,
    n: int = 5,
    diversity: float = 0.3,
) -> list[Verbatim]:
    """The `n` texts of `members` closest to the group's centroid, diversified by MMR."""
    members = np.asarray(members, dtype=int)
    if len(members) == 0:
        return []
    vectors = normalize(np.asarray(embeddings[members], dtype=np.float32))
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    relevance = vectors @ centroid
    long_enough = np.array([len(texts[i].strip()) >= MIN_CHARS for i in members])
    if long_enough.sum() >= n:
        relevance = np.where(long_enough, relevance, -1.0)
    pool = np.argsort(-relevance, kind="stable")[:POOL]
    chosen = pool[mmr(vectors[pool], relevance[pool], n, diversity)]
    return [
        Verbatim(int(members[i]), str(ids[members[i]]), texts[members[i]], round(float(relevance[i]), 4))
        for i in chosen
    ]


def split_sentences(text: str) -> list[str]:
    """Split on sentence punctuation, line breaks and `|` (multiple-choice answers)."""
    return [s.strip() for s in _SENTENCE_END.split(normalize_text(text)) if len(s.strip()) >= MIN_CHARS]


def summarize(texts: Sequence[str], *, n_sentences: int = 3, diversity: float = 0.3) -> list[str]:
    """Extractive summary: the sentences most typical of `texts` (TF-IDF centroid), diversified by MMR."""
    sentences = list(dict.fromkeys(s for text in texts for s in split_sentences(text)))
    if not sentences:
        return []
    docs = lemma_strings(sentences, mode="lookup")
    keep = [i for i, d in enumerate(docs) if d]
    if not keep:
        return sentences[:n_sentences]
    vectors = TfidfVectorizer(sublinear_tf=True, token_pattern=LEMMA_TOKEN).fit_transform([docs[i] for i in keep])
    vectors = vectors.toarray().astype(np.float32)
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    chosen = mmr(vectors, vectors @ centroid, n_sentences, diversity)
    return [sentences[keep[i]] for i in chosen]


def describe_groups(
    groups: dict[str, Sequence[int]],
    embeddings: np.ndarray,
    texts: Sequence[str],
    ids: Sequence[str],
    *,
    n_verbatims: int = 5,
    n_sentences: int = 3,
) -> dict[str, dict]:
    """For each named group of rows: its representative verbatims and a summary drawn from them."""
    out = {}
    for name, members in groups.items():
        # The summary reads the 30 most central texts only: cheap, and sentences stay on topic.
        central = representative(embeddings, members, texts, ids, n=30, diversity=0.0)
        out[name] = {
            "verbatims": representative(embeddings, members, texts, ids, n=n_verbatims),
            "summary": summarize([v.text for v in central], n_sentences=n_sentences),
        }
    return out
