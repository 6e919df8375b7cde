"""Learning from people's labels: cross-validated quality, retraining, and refreshing pending items' labels.

Human labels are the principles an author or a moderator gave a contribution (a moderator's set replaces the
author's) and its theme (`Contribution.theme_id`, chosen by its author or corrected by a moderator). Quality is
measured by k-fold cross-validation on those labels only, beside the zero-shot model (taxonomy words alone), which
is the baseline the trained model must beat to be worth using.
"""

from __future__ import annotations

import pickle
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, select

from consult.analysis.labels import (
    PRINCIPLES,
    THEMES,
    explain_themes,
    fit_principle_classifier,
    fit_theme_classifier,
    label_models,
)
from consult.analysis.runs import BATCH, human_principles, replace_automatic_labels, versions
from consult.errors import Conflict
from consult.i18n import lazy_gettext as _l
from consult.models import AutomaticLabel, Contribution, ContributionStatus, LabelModel

MIN_LABELS = 10  # fewer labelled texts than this cannot be split into folds meaningfully
FOLDS = 3


@dataclass
class TrainingData:
    principle_texts: list[str]
    principle_labels: list[set[str]]
    theme_texts: list[str]
    theme_labels: list[str]


def training_data(*, session: Session) -> TrainingData:
    """Every contribution people labelled (any consultation, withdrawn ones left out), read in batches."""
    principles = human_principles(session=session)
    rows = session.execute(
        select(Contribution.id, Contribution.title, Contribution.body, Contribution.theme_id)
        .where(Contribution.status != ContributionStatus.WITHDRAWN)
        .order_by(Contribution.id)
        .execution_options(yield_per=BATCH)
    )
    data = TrainingData([], [], [], [])
    for cid, title, body, theme_id in rows:
        text = f"{title}\n{body}"
        if principles.get(cid):
            data.principle_texts.append(text)
            data.principle_labels.append(principles[cid])
        if theme_id:
            data.theme_texts.append(text)
            data.theme_labels.append(theme_id)
    return data


def _folds(n: int, random_state: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import KFold

    return list(KFold(n_splits=FOLDS, shuffle=True, random_state=random_state).split(np.arange(n)))


def evaluate_principles(taxonomy, texts: list[str], labels: list[set[str]], *, random_state: int = 0) -> dict:
    """Micro and macro F1 of the blended model against the zero-shot one, by cross-validation on human labels."""
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    ids = [p.id for p in taxonomy.principles]
    binarizer = MultiLabelBinarizer(classes=ids).fit([ids])
    truth, trained, baseline = [], [], []
    for train, test in _folds(len(texts), random_state):
        train_texts, test_texts = [texts[i] for i in train], [texts[i] for i in test]
        model = fit_principle_classifier(taxonomy, train_texts, [labels[i] for i in train], random_state=random_state)
        zero_shot = fit_principle_classifier(taxonomy, train_texts, random_state=random_state)
        truth += [labels[i] for i in test]
        trained += [{p.id for p in found} for found in model.predict(test_texts)]
        baseline += [{p.id for p in found} for found in zero_shot.predict(test_texts)]
    y, y_model, y_base = (binarizer.transform(v) for v in (truth, trained, baseline))
    per_label = f1_score(y, y_model, average=None, zero_division=0)
    support = y.sum(axis=0)
    return {
        "n_labels": len(texts),
        "folds": FOLDS,
        "micro_f1": round(float(f1_score(y, y_model, average="micro", zero_division=0)), 3),
        "macro_f1": round(float(f1_score(y, y_model, average="macro", zero_division=0)), 3),
        "baseline": {
            "name": "zero-shot",
            "micro_f1": round(float(f1_score(y, y_base, average="micro", zero_division=0)), 3),
            "macro_f1": round(float(f1_score(y, y_base, average="macro", zero_division=0)), 3),
        },
        "per_label": {
            pid: {"f1": round(float(f), 3), "support": int(s)}
            for pid, f, s in zip(ids, per_label, support, strict=True)
            if s
        },
    }


def evaluate_themes(taxonomy, texts: list[str], labels: list[str], *, random_state: int = 0) -> dict:
    """Accuracy and macro F1 of the theme classifier (taxonomy words + human labels) against the words alone."""
    from sklearn.metrics import accuracy_score, f1_score

    truth, trained, baseline = [], [], []
    lexicon_only = fit_theme_classifier(taxonomy, random_state=random_state)
    for train, test in _folds(len(texts), random_state):
        test_texts = [texts[i] for i in test]
        model = fit_theme_classifier(
            taxonomy, [texts[i] for i in train], [labels[i] for i in train], random_state=random_state
        )
        truth += [labels[i] for i in test]
        trained += [theme or "" for theme, _, _ in explain_themes(model, test_texts)]
        baseline += [theme or "" for theme, _, _ in explain_themes(lexicon_only, test_texts)]
    classes = sorted(set(truth))
    per_label = f1_score(truth, trained, labels=classes, average=None, zero_division=0)
    support = Counter(truth)
    return {
        "n_labels": len(texts),
        "folds": FOLDS,
        "accuracy": round(float(accuracy_score(truth, trained)), 3),
        "macro_f1": round(float(f1_score(truth, trained, labels=classes, average="macro", zero_division=0)), 3),
        "baseline": {
            "name": "zero-shot",
            "accuracy": round(float(accuracy_score(truth, baseline)), 3),
            "macro_f1": round(float(f1_score(truth, baseline, labels=classes, average="macro", zero_division=0)), 3),
        },
        "per_label": {
            c: {"f1": round(float(f), 3), "support": support[c]} for c, f in zip(classes, per_label, strict=True)
        },
    }


def train_models(*, session: Session, user_id: int | None, random_state: int = 0) -> list[LabelModel]:
    """Measure, then fit on every human label and save a principle and a theme model (the caller commits)."""
    taxonomy = label_models.taxonomy
    data = training_data(session=session)
    if len(data.principle_texts) < MIN_LABELS and len(data.theme_texts) < MIN_LABELS:
        raise Conflict(
            _l(
                "Pas assez d'étiquettes posées par des personnes pour apprendre : il en faut au moins %(n)d.",
                n=MIN_LABELS,
            )
        )
    saved = []
    found_versions = versions({})
    found_versions.pop("label_models")
    if len(data.principle_texts) >= MIN_LABELS:
        metrics = evaluate_principles(taxonomy, data.principle_texts, data.principle_labels, random_state=random_state)
        model = fit_principle_classifier(
            taxonomy, data.principle_texts, data.principle_labels, random_state=random_state
        )
        saved.append(_save(session, PRINCIPLES, model, metrics, len(data.principle_texts), user_id, found_versions))
    if len(data.theme_texts) >= MIN_LABELS:
        metrics = evaluate_themes(taxonomy, data.theme_texts, data.theme_labels, random_state=random_state)
        model = fit_theme_classifier(taxonomy, data.theme_texts, data.theme_labels, random_state=random_state)
        saved.append(_save(session, THEMES, model, metrics, len(data.theme_texts), user_id, found_versions))
    session.flush()
    return saved


def _save(session, kind, model, metrics, n_labels, user_id, found_versions) -> LabelModel:
    for cache in ("_lemma_cache", "_match_cache"):  # per-call caches of the last texts: not part of the model
        model.__dict__.pop(cache, None)
    row = LabelModel(
        kind=kind,
        trained_by_id=user_id,
        n_texts=n_labels,
        n_labels=n_labels,
        metrics=metrics,
        versions=found_versions,
        payload=pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL),
    )
    session.add(row)
    return row


def relabel_pending(*, session: Session) -> int:
    """Refresh the theme and principle labels of pending contributions with the models in use (caller commits).

    Duplicate candidates and personal data do not depend on the models: their stored values are kept.
    """
    label_models.refresh(session)
    rows = session.execute(
        select(Contribution.id, Contribution.title, Contribution.body, AutomaticLabel)
        .outerjoin(AutomaticLabel, AutomaticLabel.contribution_id == Contribution.id)
        .where(Contribution.status == ContributionStatus.PENDING)
        .order_by(Contribution.id)
    ).all()
    from consult.analysis.pipeline import ItemResult

    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        texts = [f"{title}\n{body}" for _, title, body, _ in batch]
        principles = label_models.principles(texts)
        themes = label_models.themes(texts)
        labels = {}
        for (cid, _, _, previous), found, theme in zip(batch, principles, themes, strict=True):
            result = ItemResult()
            result.principles = [{"id": p.id, "score": p.score, "words": list(p.words)} for p in found]
            result.reference_theme_id, result.reference_score, result.reference_words = theme
            if previous is not None:
                result.duplicates, result.personal_data = previous.duplicate_candidates, previous.personal_data
            labels[cid] = result
        replace_automatic_labels(session=session, labels=labels, run_id=None, model_version=label_models.version)
    return len(rows)


def count_human_labels(*, session: Session) -> dict[str, int]:
    """How many contributions people labelled with principles and with a theme (what training would use)."""
    from sqlalchemy import distinct, func

    from consult.models import HUMAN_LABEL_SOURCES, ContributionPrinciple

    principles = session.exec(
        select(func.count(distinct(ContributionPrinciple.contribution_id)))
        .join(Contribution, Contribution.id == ContributionPrinciple.contribution_id)
        .where(
            ContributionPrinciple.source.in_(HUMAN_LABEL_SOURCES), Contribution.status != ContributionStatus.WITHDRAWN
        )
    ).one()
    themes = session.exec(
        select(func.count()).where(
            Contribution.theme_id.is_not(None), Contribution.status != ContributionStatus.WITHDRAWN
        )
    ).one()
    return {PRINCIPLES: principles, THEMES: themes}


def latest_models(*, session: Session) -> dict[str, LabelModel | None]:
    """The newest saved model of each kind (None: zero-shot in use)."""
    found = {}
    for kind in (PRINCIPLES, THEMES):
        found[kind] = session.exec(
            select(LabelModel).where(LabelModel.kind == kind).order_by(LabelModel.id.desc()).limit(1)
        ).first()
    return found
