"""The classifiers behind automatic labels: ethical principles and reference theme of a contribution.

Until moderators have trained them (consult.analysis.learning), both are zero-shot from the taxonomy:
principles from its lexicon (nlp.PrincipleClassifier without labels), the reference theme from a linear model
fitted on the reference themes' own words (label, description, keywords). Once trained, the saved LabelModel
rows (the newest of each kind) replace them in every process: `LabelModels.refresh(session)` checks for a newer
one on each use, which costs one indexed query.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, select

from consult.models import LabelModel

PRINCIPLES, THEMES = "principles", "themes"
MAX_WORDS = 5


def theme_lexicon(taxonomy) -> tuple[list[str], list[str]]:
    """Training texts standing for each reference theme: its label with its description, and each keyword."""
    texts, labels = [], []
    for theme in taxonomy.themes:
        texts.append(f"{theme.label_fr}. {theme.description_fr}")
        labels.append(theme.id)
        for keyword in theme.keywords_fr:
            texts.append(keyword)
            labels.append(theme.id)
    return texts, labels


def fit_theme_classifier(taxonomy, texts: Sequence[str] = (), labels: Sequence[str] = (), *, random_state: int = 0):
    """A reference-theme classifier from the taxonomy's words, plus people's labelled texts when given."""
    from nlp import TextClassifier

    lexicon_texts, lexicon_labels = theme_lexicon(taxonomy)
    return TextClassifier(random_state=random_state).fit([*lexicon_texts, *texts], [*lexicon_labels, *labels])


def fit_principle_classifier(taxonomy, texts: Sequence[str] = (), labels=None, *, random_state: int = 0):
    from nlp import PrincipleClassifier

    return PrincipleClassifier(taxonomy, random_state=random_state).fit(list(texts), labels=labels)


def explain_themes(classifier, texts: Sequence[str], lemmas: Sequence[str] | None = None):
    """(theme id, probability, words) of each text; (None, None, []) when no word of the text points to a theme.

    The words are the text's lemmas with the largest positive weight x tf-idf for the predicted theme, the same
    reading as TextClassifier.explain, computed for all texts at once.
    """
    from nlp import lemma_strings

    if not texts:
        return []
    lemmas = list(lemmas) if lemmas is not None else lemma_strings(texts, mode=classifier.lemma_mode)
    predicted = classifier.predict(texts, lemmas=lemmas)
    proba = classifier.predict_proba(texts, lemmas=lemmas)
    words = classifier.word_vectorizer_.transform(lemmas).tocsr()
    names = classifier.word_vectorizer_.get_feature_names_out()
    coef = classifier.svm_.coef_
    out = []
    for row, label in enumerate(predicted):
        column = int(np.flatnonzero(classifier.classes_ == label)[0])
        weights = coef[0] * (1 if column == 1 else -1) if coef.shape[0] == 1 else coef[column]
        start, end = words.indptr[row], words.indptr[row + 1]
        features, values = words.indices[start:end], words.data[start:end]
        contributions = values * weights[features]
        order = np.argsort(-contributions, kind="stable")[:MAX_WORDS]
        found = [str(names[features[i]]) for i in order if contributions[i] > 0]
        if found:
            out.append((str(label), round(float(proba[row, column]), 4), found))
        else:
            out.append((None, None, []))
    return out


@dataclass
class _Loaded:
    model_id: int | None
    classifier: object


class LabelModels:
    """The principle and theme classifiers in use in this process (thread-safe, loaded lazily)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, _Loaded] = {}
        self.taxonomy = None

    def configure(self, taxonomy_path: str) -> None:
        from nlp import load_taxonomy

        with self._lock:
            self.taxonomy = load_taxonomy(taxonomy_path)
            self._loaded.clear()

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()

    def refresh(self, session: Session) -> None:
        """Load the newest saved model of each kind if it is not the one in use."""
        for kind in (PRINCIPLES, THEMES):
            newest = session.exec(select(func.max(LabelModel.id)).where(LabelModel.kind == kind)).one()
            with self._lock:
                current = self._loaded.get(kind)
                if current is not None and current.model_id == newest:
                    continue
                if newest is None:
                    classifier = self._default(kind)
                else:
                    classifier = pickle.loads(session.get(LabelModel, newest).payload)  # noqa: S301 (our own rows)
                self._loaded[kind] = _Loaded(newest, classifier)

    def _default(self, kind: str):
        if kind == PRINCIPLES:
            return fit_principle_classifier(self.taxonomy)
        return fit_theme_classifier(self.taxonomy)

    def _get(self, kind: str) -> _Loaded:
        with self._lock:
            loaded = self._loaded.get(kind)
        if loaded is None:
            raise RuntimeError("LabelModels.refresh(session) must be called first")
        return loaded

    @property
    def version(self) -> str:
        """Which models label now, e.g. "principles:zero-shot themes:7" (LabelModel ids)."""
        parts = []
        for kind in (PRINCIPLES, THEMES):
            model_id = self._get(kind).model_id
            parts.append(f"{kind}:{model_id if model_id is not None else 'zero-shot'}")
        return " ".join(parts)

    def model_ids(self) -> dict[str, int | None]:
        return {kind: self._get(kind).model_id for kind in (PRINCIPLES, THEMES)}

    def principles(self, texts: Sequence[str], lemmas: Sequence[str] | None = None):
        """Principle labels (PrincipleLabel lists) of new texts with the model in use."""
        return self._get(PRINCIPLES).classifier.predict(list(texts), lemmas=lemmas)

    def themes(self, texts: Sequence[str], lemmas: Sequence[str] | None = None):
        """(reference theme id, score, words) of each text with the model in use."""
        return explain_themes(self._get(THEMES).classifier, list(texts), lemmas)

    def principles_for_run(self, texts, lemmas, labels, *, random_state: int = 0):
        """Principles of a whole consultation: word rarity learnt from its texts, blended with its people's labels.

        Below the classifier's minimum of labels per principle this is the zero-shot reading; the model trained
        by moderators serves single new contributions (`principles`).
        """
        from nlp import PrincipleClassifier

        classifier = PrincipleClassifier(self.taxonomy, random_state=random_state)
        has_labels = any(label is not None for label in labels)
        classifier.fit(texts, labels=labels if has_labels else None, lemmas=lemmas)
        return classifier.predict(texts, lemmas=lemmas)


label_models = LabelModels()
