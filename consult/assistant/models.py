"""The two scikit-learn models of the assistant: intent classification and retrieval over the knowledge base.

Both read normalised text (text.Normalizer) through the same features: character n-grams within words
(robust to typos, missing accents and SMS spellings) plus words and word pairs. Deterministic: fixed
random_state for the training-time typo augmentation and the solvers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits


class TextFeatures(BaseEstimator):
    """Character n-grams (2-5, within words) and word uni/bigrams, TF-IDF, joined with unit norm."""

    def __init__(self, char_ngrams=(2, 5), word_ngrams=(1, 2)):
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams

    def fit(self, texts: Sequence[str], y=None):
        self.char_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, sublinear_tf=True).fit(texts)
        self.word_ = TfidfVectorizer(
            analyzer="word", ngram_range=self.word_ngrams, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"
        ).fit(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        joined = sp.hstack([self.char_.transform(texts), self.word_.transform(texts)], format="csr")
        return joined * (1 / np.sqrt(2))


def augment(texts: Sequence[str], labels: Sequence[str], *, copies: int = 2, random_state: int = 0):
    """Add `copies` typo'd versions of each text (a letter dropped, doubled or two letters swapped)."""
    rng = random.Random(random_state)
    out_texts, out_labels = list(texts), list(labels)
    for text, label in zip(texts, labels, strict=True):
        for _ in range(copies):
            out_texts.append(_typo(text, rng))
            out_labels.append(label)
    return out_texts, out_labels


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    candidates = [i for i, word in enumerate(words) if len(word) >= 4]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:j] + word[j + 1 :]
    elif kind == 1:
        word = word[:j] + word[j] + word[j:]
    else:
        word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
    words[i] = word
    return " ".join(words)


def _logistic(C: float, random_state: int, **params) -> LogisticRegression:
    # SAGA: a few hundred milliseconds here where L-BFGS takes seconds (many classes, sparse n-grams).
    return _SingleThreaded(C=C, solver="saga", tol=1e-3, max_iter=1000, random_state=random_state, **params)


class _SingleThreaded(LogisticRegression):
    """A logistic regression fitted on one BLAS thread: on a shared machine, thread start-up costs more."""

    def fit(self, X, y, sample_weight=None):
        with threadpool_limits(limits=1):
            return super().fit(X, y, sample_weight=sample_weight)


class IntentModel(BaseEstimator):
    """Multinomial logistic regression over TextFeatures; predict_proba gives each intent's probability."""

    def __init__(self, C=10.0, augment_copies=2, random_state=0):
        self.C = C
        self.augment_copies = augment_copies
        self.random_state = random_state

    def fit(self, texts: Sequence[str], labels: Sequence[str]):
        texts, labels = augment(texts, labels, copies=self.augment_copies, random_state=self.random_state)
        self.features_ = TextFeatures().fit(texts)
        self.classifier_ = _logistic(self.C, self.random_state, class_weight="balanced").fit(
            self.features_.transform(texts), labels
        )
        self.classes_ = list(self.classifier_.classes_)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.classifier_.predict_proba(self.features_.transform(texts))

    def probabilities(self, text: str) -> dict[str, float]:
        return dict(zip(self.classes_, self.predict_proba([text])[0].tolist(), strict=True))


class Retriever(BaseEstimator):
    """Rank knowledge-base entries for a question.

    score = weight * P(entry | text) from a logistic regression trained on the entries' question variants
          + (1 - weight) * the highest cosine between the text and one of the entry's variants.
    The classifier generalises over paraphrases; the cosine rewards a near match with one phrasing.
    """

    def __init__(self, weight=0.5, C=20.0, augment_copies=2, random_state=0):
        self.weight = weight
        self.C = C
        self.augment_copies = augment_copies
        self.random_state = random_state

    def fit(self, texts: Sequence[str], entry_ids: Sequence[str]):
        order = np.argsort(np.asarray(entry_ids), kind="stable")
        texts = [texts[i] for i in order]
        entry_ids = [entry_ids[i] for i in order]
        aug_texts, aug_ids = augment(texts, entry_ids, copies=self.augment_copies, random_state=self.random_state)
        self.features_ = TextFeatures().fit(aug_texts)
        self.variants_ = self.features_.transform(texts)
        self.classifier_ = _logistic(self.C, self.random_state).fit(self.features_.transform(aug_texts), aug_ids)
        self.entries_ = list(self.classifier_.classes_)
        # Variants are sorted by entry: each entry's rows start where its id first appears.
        ids = np.asarray(entry_ids)
        self.starts_ = np.searchsorted(ids, self.entries_)
        return self

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_entries) combined scores, columns in the order of `entries_`."""
        features = self.features_.transform(texts)
        proba = self.classifier_.predict_proba(features)
        cosines = (features @ self.variants_.T).toarray()
        best = np.maximum.reduceat(cosines, self.starts_, axis=1)
        return self.weight * proba + (1 - self.weight) * best

    def rank(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        row = self.scores([text])[0]
        top = np.argsort(-row, kind="stable")[:k]
        return [(self.entries_[i], float(row[i])) for i in top]
