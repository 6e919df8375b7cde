"""Similar and near-duplicate contributions: hashed TF-IDF of char n-grams and words, sparse cosine."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.utils.validation import check_is_fitted

from nlp.text import fold

# Cosine from which two contributions are near-duplicates, chosen on Grand débat answers with
# planted copies (bench/nlp_duplicates.py). Short answers ("la pollution de l'air") resemble each
# other without being copies, so below SHORT_WORDS words a pair needs SHORT_THRESHOLD.
DUPLICATE_THRESHOLD = 0.65
SHORT_WORDS = 8
SHORT_THRESHOLD = 0.85

# Features are dropped for being frequent only above this document count (see `max_df`).
MIN_DROPPED_DF = 100

_NON_WORD = re.compile(r"[\W_]+")
_URL = re.compile(r"https?://\S+|www\.\S+")


def _fold_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        folded = fold(chr(code))
        if len(folded) == 1:
            table[code] = folded
    return table


_FOLD = _fold_table()


def prepare(text: str) -> str:
    """Lower-case, strip accents, URLs and punctuation: typo-level noise should not change features."""
    text = _URL.sub(" ", text or "").lower().translate(_FOLD)
    return _NON_WORD.sub(" ", text).strip()


def _char_ngrams(text: str, n: int, open_end: bool = False) -> list[str]:
    # Within words only (like sklearn's "char_wb"), so that reordering words changes nothing.
    grams = [p[i : i + n] for p in [f" {w} " for w in text.split()] for i in range(len(p) - n + 1)]
    if open_end and text:
        # The last word may be cut ("transpor"): drop the n-grams that say where it ends.
        last = text.rsplit(" ", 1)[-1]
        grams = grams[: len(grams) - max(0, len(last) + 3 - n)]
        grams += [f" {last}"[i : i + n] for i in range(len(last) + 2 - n)]
    return grams


def _words(text: str, open_end: bool = False) -> list[str]:
    words = text.split()
    if open_end and len(words) > 1:
        words = words[:-1]
    # Openings ("^les taxes sur") tell a truncated copy from other texts with the same words.
    openings = ["^" + " ".join(words[:k]) for k in range(1, min(len(words), 4) + 1)]
    return words + openings


def _analyzers(kind, n: int, open_end: bool = False) -> list[Callable[[str], list[str]]]:
    """Return one feature extractor per block: char n-grams (typos, truncation), words (reordering)."""
    if callable(kind):
        return [kind]
    char = functools.partial(_char_ngrams, n=n, open_end=open_end)
    words = functools.partial(_words, open_end=open_end)
    blocks = {"char": [char], "word": [words], "hybrid": [char, words]}
    if kind not in blocks:
        raise ValueError(f"unknown analyzer {kind!r}: use 'hybrid', 'char', 'word' or a callable")
    return blocks[kind]


class SimilarityIndex(BaseEstimator):
    """Find the contributions most similar to a text (cosine on sublinear TF-IDF of hashed features).

    Hashing keeps the index growable with `add` (no vocabulary to refit); IDF is learnt in `fit`.
    Features present in more than `max_df` of the fitted texts (and in more than MIN_DROPPED_DF
    texts) are dropped: they carry little weight and their long posting lists would dominate
    query time.
    """

    def __init__(
        self,
        *,
        analyzer="hybrid",
        ngram=4,
        n_features=2**20,
        max_df=0.2,
        random_state=0,
    ):
        self.analyzer = analyzer
        self.ngram = ngram
        self.n_features = n_features
        self.max_df = max_df
        self.random_state = random_state  # accepted for API symmetry: the index is deterministic

    def _counts(self, texts: Sequence[str], open_end: bool = False, prepared: bool = False) -> sp.csr_matrix:
        # One hashed block per analyzer: in "hybrid", columns [n_features, 2 n_features) are words.
        prepared = list(texts) if prepared else [prepare(t) for t in texts]
        blocks = [
            HashingVectorizer(analyzer=analyzer, n_features=self.n_features, alternate_sign=False, norm=None).transform(
                prepared
            )
            for analyzer in _analyzers(self.analyzer, self.ngram, open_end)
        ]
        return sp.hstack(blocks, format="csr")

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = counts.tocsr(copy=True)
        # In place on the non-zeros: a diagonal IDF matrix would cost ~10 ms per query.
        weighted.data = (1.0 + np.log(weighted.data)) * self.idf_[weighted.indices]
        weighted.eliminate_zeros()
        return l2_normalize(weighted, copy=False).tocsr()

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Return the L2-normalised TF-IDF rows of `texts` in the fitted feature space."""
        check_is_fitted(self, "idf_")
        return self._weigh(self._counts(texts))

    def fit(self, texts: Sequence[str], ids: Sequence[Hashable] | None = None) -> SimilarityIndex:
        """Learn IDF weights from `texts` and index them under `ids` (default: positions)."""
        return self._fit_counts(self._counts(texts), ids)

    def _fit_counts(self, counts: sp.csr_matrix, ids=None) -> SimilarityIndex:
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        # A floor keeps small indexes intact: there, a word in 20% of texts is still informative.
        idf[(df > self.max_df * n) & (df > MIN_DROPPED_DF)] = 0.0
        self.idf_ = idf
        self.matrix_ = self._weigh(counts)
        self.ids_ = list(range(n)) if ids is None else list(ids)
        if len(self.ids_) != n:
            raise ValueError("ids and texts must have the same length")
        self._postings = None
        return self

    def add(self, texts: Sequence[str], ids: Sequence[Hashable]) -> SimilarityIndex:
        """Index more texts with the IDF learnt in `fit` (refit now and then to refresh it)."""
        if len(ids) != len(texts):
            raise ValueError("ids and texts must have the same length")
        self.matrix_ = sp.vstack([self.matrix_, self.transform(texts)], format="csr")
        self.ids_.extend(ids)
        self._postings = None
        return self

    def _posting_lists(self) -> sp.csr_matrix:
        # Feature-major copy: a query then touches only the posting lists of its own features.
        if getattr(self, "_postings", None) is None:
            self._postings = self.matrix_.T.tocsr()
        return self._postings

    def scores(self, text: str) -> np.ndarray:
        """Return the cosine similarity of `text` to every indexed contribution."""
        check_is_fitted(self, "idf_")
        # A text that stops on a letter is probably being typed: its last word is left open.
        open_end = bool(text) and text[-1].isalnum()
        query = self._weigh(self._counts([text], open_end=open_end))
        return (query @ self._posting_lists()).toarray().ravel()

    def query(self, text: str, k: int = 5) -> list[tuple[Hashable, float]]:
        """Return the `k` most similar indexed contributions as (id, cosine), best first."""
        scores = self.scores(text)
        k = min(k, scores.size)
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        # Stable order on ties (lower position first) keeps results deterministic.
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.ids_[i], float(scores[i])) for i in top if scores[i] > 0.0]


def _exact_groups(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Map texts equal after `prepare` to their first occurrence; return the unique keys and labels."""
    first: dict[str, int] = {}
    labels = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        labels[i] = first.setdefault(prepare(text), len(first))
    return list(first), labels


def _cosines(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, chunk: int = 50_000):
    """Return the exact cosine of each (rows[i], cols[i]) pair of L2-normalised rows."""
    out = [np.zeros(0)]
    for i in range(0, rows.size, chunk):
        pair = matrix[rows[i : i + chunk]].multiply(matrix[cols[i : i + chunk]])
        out.append(np.asarray(pair.sum(axis=1)).ravel())
    return np.concatenate(out)


def _candidate_pairs(features: sp.csr_matrix, keys: int, max_df: int) -> tuple[np.ndarray, ...]:
    """Return pairs i < j sharing one of their `keys` rarest features (df between 2 and max_df).

    Near-duplicates share most features, so they share their rarest ones; a feature seen once is
    skipped because it is often a typo, and a frequent one would pair thousands of texts.
    """
    coo = features.tocoo()
    df = np.bincount(coo.col, minlength=features.shape[1])
    usable = (df[coo.col] >= 2) & (df[coo.col] <= max_df)
    row, col = coo.row[usable], coo.col[usable]
    order = np.lexsort((col, df[col], row))  # per row: rarest first, ties by feature id
    row, col = row[order], col[order]
    first = np.searchsorted(row, row, side="left")
    rank = np.arange(row.size) - first
    kept = rank < keys
    key_matrix = sp.csr_matrix(
        (np.ones(int(kept.sum()), dtype=np.float32), (row[kept], col[kept])), shape=features.shape
    )
    shared = sp.triu(key_matrix @ key_matrix.T, k=1).tocoo()
    return shared.row.astype(np.int64), shared.col.astype(np.int64)


def _similar_pairs(
    matrix: sp.csr_matrix,
    thresholds: np.ndarray,
    words: slice | None = None,
    keys: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the graph of pairs whose cosine is >= threshold, without an n x n product.

    Candidates share a rare word (or rare feature without a word block); the full cosine then
    decides. An all-pairs char n-gram product was tried: hundreds of millions of products on
    30,000 answers, too slow. A copy with a typo in nearly every rare word can be missed.
    """
    features = matrix[:, words] if words is not None else matrix
    max_df = max(50, matrix.shape[0] // 100)
    rows, cols = _candidate_pairs(features, keys, max_df)
    # A pair is held to the stricter threshold of its two texts.
    exact = _cosines(matrix, rows, cols) >= np.maximum(thresholds[rows], thresholds[cols])
    return rows[exact], cols[exact]


def _leaders(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """Attach each text to the earliest kept text it duplicates (or to itself).

    Not connected components: those chain A~B~C into one group although A and C may differ;
    here every member of a group is a near-duplicate of the group's first text.
    """
    leader = np.arange(n)
    order = np.lexsort((rows, cols))  # by later text, then earliest candidate first
    for i, j in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        if leader[j] == j and leader[i] == i:
            leader[j] = i
    return leader


def find_duplicate_groups(texts: Sequence[str], *, threshold: float | None = None, **index_params) -> list[list[int]]:
    """Group near-duplicate texts; each group lists indices ascending, so the first is the kept one.

    Texts equal after `prepare` are grouped; then each text joins the earliest kept text whose
    cosine with it is >= threshold (default: DUPLICATE_THRESHOLD, SHORT_THRESHOLD for short
    texts). Only groups of two or more are returned, by first index.
    """
    keys, labels = _exact_groups(texts)
    n_unique = len(keys)
    if n_unique > 1:
        index = SimilarityIndex(**index_params)
        index._fit_counts(index._counts(keys, prepared=True))
        words = None
        if index.analyzer == "hybrid":
            words = slice(index.n_features, 2 * index.n_features)
        if threshold is None:
            n_words = np.array([len(key.split()) for key in keys])
            thresholds = np.where(n_words < SHORT_WORDS, SHORT_THRESHOLD, DUPLICATE_THRESHOLD)
        else:
            thresholds = np.full(n_unique, threshold)
        rows, cols = _similar_pairs(index.matrix_, thresholds, words)
        near = _leaders(rows, cols, n_unique)
    else:
        near = np.zeros(n_unique, dtype=np.int64)
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(int(near[label]), []).append(i)
    groups = [group for group in members.values() if len(group) > 1]
    return sorted(groups, key=lambda group: group[0])
