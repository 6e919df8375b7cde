"""Multi-label classification of French texts into the 16 European ethical principles (D1-D4).

Two sources of evidence, blended per principle:

* **Zero-shot** (always available): the taxonomy's lexicon is matched on accent-folded surface
  tokens *and* on lemmas (so "refusent" matches "refuser"), multi-word expressions included
  (longest match first, so "consultation physique" does not also fire "consultation"). Two kinds
  of cue per principle: `keywords_fr`, specific enough to count in any text ("droit à l'oubli",
  "lecteur d'écran"), and `context_keywords_fr`, generic words ("limites", "pollution", "refuser")
  that count only in a text about digital services. The **domain gate** decides that from the
  taxonomy's `domain_cues_fr` (numérique, application, données...) and `health_cues_fr`: a
  generic cue weighs 0 in a text with no digital cue, `context_weight` in a digital text that is
  not about health, 1 in a digital-health text. Each cue k found adds evidence

      w_k = base_k * rarity_k * gate_k / n_principles_k

  base_k: 1.0 for one content word, 1.3 for two, 1.6 for three or more (longer is more specific);
  rarity_k: IDF-like factor learnt from the corpus given to `fit`: 1 for a keyword found once or in
  at most 2 % of the texts, log(1/df) / log(50) above (df smoothed with 50 pseudo-texts at 2 %),
  floored at 0.2; n_principles_k: number of principles sharing the keyword. The share of the
  principle's label lemmas found in a digital text can add `label_weight * coverage` (0 by
  default: on real text it added more noise — "droit", "format", "physique" — than signal). The
  zero-shot score is the noisy-OR

      score_zs = 1 - exp(-sum of evidence)

  i.e. each cue is an independent clue that is right with probability 1 - exp(-w_k): one full cue
  gives 0.63, two 0.86, one generic cue in a digital text that is not about health 0.39, under the
  default threshold of 0.4. Threshold, `context_weight` and `label_weight` were chosen on real
  contributions to the République numérique consultation, labelled by hand; the off-topic rate is
  reported on Grand débat answers (bench/nlp_principles.py, bench/RESULTS.md). It is a relevance
  score, not a probability calibrated on labels.

* **Supervised** (when moderators' labels exist): for each principle with at least
  `min_labels_for_supervised` positive *and* negative labelled texts, a logistic regression on
  TF-IDF of lemma 1-2 grams (balanced classes), recalibrated by Platt scaling on 3-fold
  cross-validated scores (`CalibratedClassifierCV(method="sigmoid")`): a calibrated probability.

Blend, per principle p, with m_p = min(#positive, #negative labelled texts for p):

      alpha_p = m_p / (m_p + blend_halfway)      (0 when p has no supervised model)
      score   = (1 - alpha_p) * score_zs + alpha_p * score_supervised

so supervision gets half the weight at `blend_halfway` examples of the scarcer class and dominates
as labels accumulate. The default (20) was chosen by cross-validation on our hand-labelled set: with
~5 positives per principle, a weight of 1/2 (blend_halfway=5) let under-confident supervised
probabilities erase correct zero-shot labels (micro-F1 0.83 -> 0.35), 20 improved it slightly.

`PrincipleLabel.words` lists the matched lexicon expressions and label lemmas (by weight), then the
text's terms with the largest positive contribution (coefficient x tf-idf) to the linear model.

Lemmatisation dominates the cost: pass `lemmas=` (`nlp.text.lemma_strings(texts, mode=...)` made
with the classifier's `lemma_mode`) to `fit` and `predict` when the caller already has them.
Without it the classifier lemmatises, and `predict` on the texts given to `fit` reuses that work.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from spacy.lang.fr.stop_words import STOP_WORDS

from nlp.taxonomy import Taxonomy
from nlp.text import lemma_strings, normalize, resolve_mode

_WORD = re.compile(r"\w+")
_COMBINING = re.compile("[\u0300-\u036f]")

# Function words a keyword may lose when lemmatised without losing its meaning; any other dropped
# word (negations, "tout", "dire"...) carries meaning: such keywords match on surface only.
_DROPPABLE = frozenset("le la les l de des du d un une a au aux en mon ma mes son sa ses se s me m y et ou".split())

# Smoothed document frequency of a keyword: (df + PRIOR_DOCS * PRIOR_RATE) / (n + PRIOR_DOCS), so a
# corpus of a few texts leaves the weights near their prior instead of swinging on one occurrence.
_PRIOR_RATE = 0.02
_PRIOR_DOCS = 50
_MIN_RARITY = 0.2


@dataclass(frozen=True)
class PrincipleLabel:
    """One principle assigned to a text, with its score in [0, 1] and the words that drove it."""

    id: str
    score: float
    words: list[str]


@dataclass(frozen=True)
class DimensionLabel:
    """One ethical dimension (D1-D4): the best score of its principles and their driving words."""

    id: str
    score: float
    principles: list[str]
    words: list[str]


@dataclass(frozen=True)
class _Keyword:
    text: str  # as written in the lexicon: what explanations show
    column: int
    surface: tuple[str, ...]
    base: float
    context: bool = False  # a generic cue: counts only in a text about digital services


def _fold(text: str) -> str:
    """`nlp.text.fold` for Latin script, ~20x faster (C-level NFD and regex, no per-char loop)."""
    return _COMBINING.sub("", unicodedata.normalize("NFD", text.lower()))


_STOP_WORDS = frozenset(_fold(w) for w in STOP_WORDS)


def _stem(token: str) -> str:
    """Drop a plural -s/-x so that folded surface forms match across number."""
    return token[:-1] if len(token) > 3 and token[-1] in "sx" else token


def surface_tokens(text: str) -> list[str]:
    """Accent-folded, lower-case word tokens with plural endings dropped."""
    return [_stem(t) for t in _WORD.findall(_fold(normalize(text)))]


def _lemma_tokens(lemma_string: str) -> list[str]:
    return _fold(lemma_string).split()


def _build_index(sequences: dict[tuple[str, ...], list[int]]) -> dict[str, list]:
    """Index token sequences by their first token, longest first, for greedy longest matching."""
    index: dict[str, list] = defaultdict(list)
    for seq, ids in sequences.items():
        index[seq[0]].append((seq, ids))
    for candidates in index.values():
        candidates.sort(key=lambda c: -len(c[0]))
    return dict(index)


def _match(tokens: list[str], index: dict) -> set[int]:
    """Ids of the sequences found in `tokens`, longest match first and without overlaps."""
    found: set[int] = set()
    i, n = 0, len(tokens)
    while i < n:
        step = 1
        for seq, ids in index.get(tokens[i], ()):
            if tuple(tokens[i : i + len(seq)]) == seq:
                found.update(ids)
                step = len(seq)
                break
        i += step
    return found


@functools.cache
def _compile_lexicon(taxonomy: Taxonomy) -> tuple[_Keyword, ...]:
    """Each principle's keywords as folded surface tokens with a base weight and their kind."""
    compiled = []
    for column, principle in enumerate(taxonomy.principles):
        for context, keywords in ((False, principle.keywords_fr), (True, principle.context_keywords_fr)):
            for keyword in keywords:
                surface = tuple(surface_tokens(keyword))
                content = [t for t in surface if t not in _DROPPABLE and t not in _STOP_WORDS]
                base = {0: 0.7, 1: 1.0, 2: 1.3}.get(len(content), 1.6)
                compiled.append(_Keyword(keyword, column, surface, base, context))
    return tuple(compiled)


def _surface_sequences(phrases: Sequence[str]) -> dict[tuple[str, ...], list[int]]:
    sequences: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, phrase in enumerate(phrases):
        surface = tuple(surface_tokens(phrase))
        if surface:
            sequences[surface].append(i)
    return sequences


def _lemma_sequences(phrases: Sequence[str], mode: str) -> dict[tuple[str, ...], list[int]]:
    """Lemma sequences of phrases, kept only when lemmatisation dropped nothing but function words.

    A phrase must also stay a phrase ("au téléphone" must not become any "téléphone").
    """
    sequences: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, lemma_text in enumerate(lemma_strings(list(phrases), mode=mode)):
        seq = tuple(_lemma_tokens(lemma_text))
        surface = surface_tokens(phrases[i])
        kept = [t for t in surface if t not in _DROPPABLE]
        if seq and len(seq) == len(kept) and len(seq) >= min(2, len(surface)):
            sequences[seq].append(i)
    return sequences


@functools.cache
def _surface_index(taxonomy: Taxonomy) -> dict:
    return _build_index(_surface_sequences([k.text for k in _compile_lexicon(taxonomy)]))


@functools.cache
def _lemma_index(taxonomy: Taxonomy, mode: str) -> dict:
    """Index of the keywords' lemma sequences under one lemmatiser (cached: loading a mode is slow)."""
    return _build_index(_lemma_sequences([k.text for k in _compile_lexicon(taxonomy)], mode))


@functools.cache
def _cue_indexes(cues: tuple[str, ...], mode: str) -> tuple[dict, dict]:
    """Surface and lemma indexes of domain cues (words that make a text about digital services, or health)."""
    return _build_index(_surface_sequences(cues)), _build_index(_lemma_sequences(cues, mode))


@functools.cache
def _label_lemmas(taxonomy: Taxonomy, mode: str) -> tuple[dict[str, tuple[float, str]], ...]:
    """Each principle label's lemmas, weighted by their rarity across the 16 labels (IDF).

    Lemmas found in 3 labels or more ("numérique", "santé", "données") say nothing about which
    principle is meant and are left out. Values: (weight, lemma as displayed).
    """
    labels = [p.label_fr for p in taxonomy.principles]
    per_label = [
        {_fold(lemma): lemma for lemma in lemma_text.split()} for lemma_text in lemma_strings(labels, mode=mode)
    ]
    df: dict[str, int] = defaultdict(int)
    for lemmas in per_label:
        for key in lemmas:
            df[key] += 1
    n = len(labels)
    return tuple(
        {key: (math.log(n / df[key]), shown) for key, shown in lemmas.items() if df[key] < 3 and len(key) > 2}
        for lemmas in per_label
    )


class PrincipleClassifier(BaseEstimator):
    """Score French texts against the 16 principles: lexicon zero-shot blended with supervision."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        threshold: float = 0.4,
        min_labels_for_supervised: int = 5,
        blend_halfway: float = 20,
        label_weight: float = 0.0,
        context_weight: float = 0.5,
        domain_gate: bool = True,
        C: float = 4.0,
        max_words: int = 5,
        lemma_mode: str = "auto",
        random_state: int | None = 0,
    ):
        self.taxonomy = taxonomy
        self.threshold = threshold
        self.min_labels_for_supervised = min_labels_for_supervised
        self.blend_halfway = blend_halfway
        self.label_weight = label_weight
        self.context_weight = context_weight
        self.domain_gate = domain_gate
        self.C = C
        self.max_words = max_words
        self.lemma_mode = lemma_mode
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    def fit(self, texts: Sequence[str], labels=None, *, lemmas: Sequence[str] | None = None):
        """Learn keyword weights from `texts` and, given `labels`, a supervised model per principle.

        `labels[i]` is a set of principle ids ({"P04", "P07"}), an empty set for a text labelled
        with no principle, or None for a text nobody labelled. `lemmas`: optional lemma strings of
        `texts` made with the same `lemma_mode` (`nlp.text.lemma_strings(texts, mode=lemma_mode)`).
        """
        self.principle_ids_ = [p.id for p in self.taxonomy.principles]
        self.keywords_ = _compile_lexicon(self.taxonomy)
        # A keyword shared by several principles is weak evidence for each of them.
        owners: dict[str, set[int]] = defaultdict(set)
        for kw in self.keywords_:
            owners[kw.surface].add(kw.column)
        self.keyword_share_ = np.array([len(owners[kw.surface]) for kw in self.keywords_])
        lemma_texts = self._lemmas(texts, lemmas)
        self._fit_rarity(texts, lemma_texts)
        # Per principle: (negative, positive) labelled texts.
        self.n_labels_ = np.zeros((len(self.principle_ids_), 2), dtype=int)
        self.alpha_ = np.zeros(len(self.principle_ids_))
        self.models_: dict[int, CalibratedClassifierCV] = {}
        self.vectorizer_ = None
        if labels is not None:
            self._fit_supervised(lemma_texts, labels)
        return self

    def _lemmas(self, texts: Sequence[str], lemmas: Sequence[str] | None) -> list[str]:
        """Lemma strings of `texts`: given by the caller, cached from the last call, or computed."""
        if lemmas is not None:
            if len(lemmas) != len(texts):
                raise ValueError("lemmas must be aligned with texts")
            return list(lemmas)
        key = (len(texts), hash(tuple(texts)))
        cache = getattr(self, "_lemma_cache", None)
        if cache is not None and cache[0] == key:
            return cache[1]
        computed = lemma_strings(texts, mode=self.lemma_mode)
        self._lemma_cache = (key, computed)
        return computed

    def _fit_rarity(self, texts: Sequence[str], lemma_texts: list[str]) -> None:
        """IDF-like factor per keyword from its smoothed document frequency in the corpus."""
        df = np.zeros(len(self.keywords_))
        for found in self._matches(texts, lemma_texts)[0]:
            for i in found:
                df[i] += 1
        rate = (df + _PRIOR_DOCS * _PRIOR_RATE) / (len(texts) + _PRIOR_DOCS)
        rarity = np.log(1 / rate) / math.log(1 / _PRIOR_RATE)
        # A keyword found once, or in at most 2 % of the texts, keeps its full weight: in a small
        # corpus the smoothing alone would already discount a single occurrence.
        rarity[df <= max(1.0, _PRIOR_RATE * len(texts))] = 1.0
        self.keyword_rarity_ = np.clip(rarity, _MIN_RARITY, 1.0)
        base = np.array([kw.base for kw in self.keywords_])
        self.keyword_weights_ = base * self.keyword_rarity_ / self.keyword_share_

    def _matches(self, texts: Sequence[str], lemma_texts: list[str]) -> tuple[list[set[int]], np.ndarray]:
        """Keywords found in each text (surface or lemmas) and the weight its generic cues get there.

        The domain gate: 0 in a text holding no digital cue, `context_weight` in a digital text, 1 in
        a digital text about health (or when the taxonomy has no cues, or the gate is off). The last
        batch is cached for predict.
        """
        mode = resolve_mode(len(texts), self.lemma_mode)
        key = (mode, len(texts), hash(tuple(texts)), hash(tuple(lemma_texts)))
        cache = getattr(self, "_match_cache", None)
        if cache is not None and cache[0] == key:
            return cache[1]
        surface_index = _surface_index(self.taxonomy)
        lemma_index = _lemma_index(self.taxonomy, mode)
        digital = _cue_indexes(self.taxonomy.domain_cues_fr, mode)
        health = _cue_indexes(self.taxonomy.health_cues_fr, mode)
        gate = self.domain_gate and bool(self.taxonomy.domain_cues_fr)
        matches, context = [], np.ones(len(texts))
        for row, (text, lemma_text) in enumerate(zip(texts, lemma_texts, strict=True)):
            surface, lemmas = surface_tokens(text), _lemma_tokens(lemma_text)
            matches.append(_match(surface, surface_index) | _match(lemmas, lemma_index))
            if gate and not (_match(surface, digital[0]) or _match(lemmas, digital[1])):
                context[row] = 0.0
            elif gate and not (_match(surface, health[0]) or _match(lemmas, health[1])):
                context[row] = self.context_weight
        self._match_cache = (key, (matches, context))
        return matches, context

    def _fit_supervised(self, lemma_texts: list[str], labels) -> None:
        """Fit a calibrated logistic regression per principle with enough labels of each class."""
        if len(labels) != len(lemma_texts):
            raise ValueError("labels must be aligned with texts")
        rows = [i for i, y in enumerate(labels) if y is not None]
        known = set(self.principle_ids_)
        for y in labels:
            if y is not None and not set(y) <= known:
                raise ValueError(f"unknown principle ids: {sorted(set(y) - known)}")
        if not rows:
            return
        y_matrix = np.array([[pid in labels[i] for pid in self.principle_ids_] for i in rows], dtype=int)
        self.n_labels_[:, 1] = y_matrix.sum(axis=0)
        self.n_labels_[:, 0] = len(rows) - self.n_labels_[:, 1]
        trainable = [
            j
            for j in range(len(self.principle_ids_))
            if self.n_labels_[j].min() >= max(self.min_labels_for_supervised, 3)
        ]
        if not trainable:
            return
        # Fitted on every text (labelled or not): unlabelled texts still inform the IDF.
        self.vectorizer_ = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit(
            lemma_texts
        )
        self.feature_names_ = self.vectorizer_.get_feature_names_out()
        x = self.vectorizer_.transform([lemma_texts[i] for i in rows])
        for j in trainable:
            self.models_[j] = self._fit_one(x, y_matrix[:, j])
            m = self.n_labels_[j].min()
            self.alpha_[j] = m / (m + self.blend_halfway)

    def _fit_one(self, x, y) -> CalibratedClassifierCV:
        base = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=self.random_state)
        return CalibratedClassifierCV(base, method="sigmoid", cv=folds, ensemble=False).fit(x, y)

    # -------------------------------------------------------------- predict

    def _zero_shot(self, texts: Sequence[str], lemma_texts: list[str]):
        """Zero-shot scores (n, 16) and, per text, the evidence as {column: [(word, weight)]}."""
        scores = np.zeros((len(texts), len(self.principle_ids_)))
        label_lemmas = _label_lemmas(self.taxonomy, resolve_mode(len(texts), self.lemma_mode))
        evidence: list[dict[int, list[tuple[str, float]]]] = []
        matches, context = self._matches(texts, lemma_texts)
        for row, (found_ids, lemma_text) in enumerate(zip(matches, lemma_texts, strict=True)):
            found: dict[int, list[tuple[str, float]]] = defaultdict(list)
            for i in sorted(found_ids):
                keyword = self.keywords_[i]
                # The domain gate: a generic cue ("limites", "pollution") says nothing about digital
                # health in a text about something else; only specific cues count there.
                weight = self.keyword_weights_[i] * (context[row] if keyword.context else 1.0)
                if weight > 0:
                    found[keyword.column].append((keyword.text, weight))
            if context[row] > 0:
                self._add_label_overlap(set(_lemma_tokens(lemma_text)), label_lemmas, found, context[row])
            for column, items in found.items():
                scores[row, column] = 1.0 - math.exp(-sum(w for _, w in items))
            evidence.append(found)
        return scores, evidence

    def _add_label_overlap(self, text_lemmas: set[str], label_lemmas, found: dict, scale: float = 1.0) -> None:
        """Evidence from the weighted share of a principle's label lemmas present in the text."""
        for column, lemmas in enumerate(label_lemmas):
            shared = [key for key in lemmas if key in text_lemmas]
            if shared:
                total = sum(weight for weight, _ in lemmas.values())
                for key in shared:
                    weight, shown = lemmas[key]
                    found[column].append((shown, scale * self.label_weight * weight / total))

    def _supervised(self, lemma_texts: list[str]):
        """Supervised probabilities (n, 16), 0 where there is no model, and the TF-IDF matrix."""
        proba = np.zeros((len(lemma_texts), len(self.principle_ids_)))
        if not self.models_:
            return proba, None
        x = self.vectorizer_.transform(lemma_texts)
        for j, model in self.models_.items():
            proba[:, j] = model.predict_proba(x)[:, 1]
        return proba, x

    def _blend(self, texts: Sequence[str], lemmas: Sequence[str] | None):
        check_is_fitted(self, "keyword_weights_")
        lemma_texts = self._lemmas(texts, lemmas)
        zero_shot, evidence = self._zero_shot(texts, lemma_texts)
        supervised, x = self._supervised(lemma_texts)
        scores = (1.0 - self.alpha_) * zero_shot + self.alpha_ * supervised
        return np.clip(scores, 0.0, 1.0), evidence, x

    def predict_scores(self, texts: Sequence[str], *, lemmas: Sequence[str] | None = None) -> np.ndarray:
        """Blended scores in [0, 1], shape (n_texts, 16), columns in `principle_ids_` order."""
        return self._blend(texts, lemmas)[0]

    def predict(self, texts: Sequence[str], *, lemmas: Sequence[str] | None = None) -> list[list[PrincipleLabel]]:
        """Principles scoring at least `threshold` for each text, best first, with driving words."""
        scores, evidence, x = self._blend(texts, lemmas)
        out = []
        for row in range(len(texts)):
            columns = np.flatnonzero(scores[row] >= self.threshold)
            labels = [
                PrincipleLabel(
                    self.principle_ids_[j],
                    round(float(scores[row, j]), 4),
                    self._words(row, j, evidence[row], x),
                )
                for j in columns
            ]
            out.append(sorted(labels, key=lambda label: (-label.score, label.id)))
        return out

    def _words(self, row: int, column: int, evidence: dict, x) -> list[str]:
        """Lexicon words by weight, then the supervised model's top contributing terms."""
        words = [w for w, _ in sorted(evidence.get(column, ()), key=lambda e: (-e[1], e[0]))]
        if column in self.models_ and x is not None:
            words += self._top_terms(x[row], self.models_[column])
        # "limites" (keyword) and "limite" (label lemma) are one word to a reader.
        unique = {" ".join(surface_tokens(w)): w for w in reversed(words)}
        return list(reversed(unique.values()))[: self.max_words]

    def _top_terms(self, x_row, model: CalibratedClassifierCV) -> list[str]:
        """Terms of the text with the largest positive coefficient x tf-idf in the linear model."""
        coef = model.calibrated_classifiers_[0].estimator.coef_[0]
        contributions = x_row.toarray()[0] * coef
        order = np.argsort(-contributions, kind="stable")[: self.max_words]
        return [str(self.feature_names_[i]) for i in order if contributions[i] > 0]

    # ----------------------------------------------------------- dimensions

    def dimension_scores(self, scores: np.ndarray) -> np.ndarray:
        """Aggregate principle scores (n, 16) into dimension scores (n, 4): the best of each."""
        dims = [d.id for d in self.taxonomy.dimensions]
        out = np.zeros((scores.shape[0], len(dims)))
        for j, p in enumerate(self.taxonomy.principles):
            k = dims.index(p.dimension)
            out[:, k] = np.maximum(out[:, k], scores[:, j])
        return out

    def to_dimensions(self, labels: list[PrincipleLabel]) -> list[DimensionLabel]:
        """Group one text's principle labels by dimension (max score, union of words)."""
        dimension_of = {p.id: p.dimension for p in self.taxonomy.principles}
        grouped: dict[str, list[PrincipleLabel]] = defaultdict(list)
        for label in labels:
            grouped[dimension_of[label.id]].append(label)
        out = [
            DimensionLabel(
                dim,
                max(label.score for label in members),
                [label.id for label in members],
                list(dict.fromkeys(w for label in members for w in label.words))[: self.max_words],
            )
            for dim, members in grouped.items()
        ]
        return sorted(out, key=lambda d: (-d.score, d.id))

    def predict_dimensions(
        self, texts: Sequence[str], *, lemmas: Sequence[str] | None = None
    ) -> list[list[DimensionLabel]]:
        """Dimensions (D1-D4) with at least one principle above `threshold`, for each text."""
        return [self.to_dimensions(labels) for labels in self.predict(texts, lemmas=lemmas)]
