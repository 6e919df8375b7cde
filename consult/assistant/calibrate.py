"""Choose the assistant's thresholds by cross-validation on its TRAINING set; write config/assistant/thresholds.yaml.

    python -m consult.assistant.calibrate [--config-dir config/assistant]

Never reads the benchmark's held-out messages. Retrieval: out-of-fold scores of each knowledge-base question
variant (positives) and of the off-topic messages (negatives) give the blend weight (best top-1) and the answer
threshold (best answer/don't-know decisions). Safety: out-of-fold intent probabilities give the lowest medical
probability (backing the rules up) whose false alarms on the other messages stay within 2 %, and a higher one
for messages about digital-health tools or AI, above every out-of-fold score of such non-medical messages.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold

from consult.assistant.engine import MEDICAL_INTENTS, Thresholds, TrainingData
from consult.assistant.models import IntentModel, Retriever
from consult.assistant.safety import load_safety

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
N_SPLITS = 4
MEDICAL_FALSE_POSITIVES = 0.02  # share of other messages that may get the medical reply instead of theirs


def out_of_fold_retrieval(texts: list[str], ids: list[str], negatives: list[str], random_state: int = 0):
    """Out-of-fold (probability, best cosine) matrices for the variants, and the same averaged for negatives."""
    folds = StratifiedKFold(N_SPLITS, shuffle=True, random_state=random_state)
    entries = sorted(set(ids))
    proba = np.zeros((len(texts), len(entries)))
    cosine = np.zeros_like(proba)
    neg_proba = np.zeros((len(negatives), len(entries)))
    neg_cosine = np.zeros_like(neg_proba)
    for train, test in folds.split(texts, ids):
        model = Retriever(weight=1.0, random_state=random_state).fit([texts[i] for i in train], [ids[i] for i in train])
        columns = [entries.index(e) for e in model.entries_]
        for rows, share, target_p, target_c, queries in (
            (test, 1, proba, cosine, [texts[i] for i in test]),
            (np.arange(len(negatives)), N_SPLITS, neg_proba, neg_cosine, negatives),
        ):
            cells = np.ix_(rows, columns)
            model.weight = 1.0
            target_p[cells] += model.scores(queries) / share
            model.weight = 0.0
            target_c[cells] += model.scores(queries) / share
    return entries, proba, cosine, neg_proba, neg_cosine


def choose_retrieval(texts, ids, negatives) -> dict:
    entries, proba, cosine, neg_proba, neg_cosine = out_of_fold_retrieval(texts, ids, negatives)
    truth = np.array([entries.index(e) for e in ids])
    results = []
    for weight in WEIGHTS:
        scores = weight * proba + (1 - weight) * cosine
        top1 = (scores.argmax(axis=1) == truth).mean()
        results.append((top1, -abs(weight - 0.5), weight))
    top1, _, weight = max(results)
    scores = weight * proba + (1 - weight) * cosine
    best, correct = scores.max(axis=1), scores.argmax(axis=1) == truth
    negative_best = (weight * neg_proba + (1 - weight) * neg_cosine).max(axis=1)
    candidates = np.round(np.arange(0.05, 0.95, 0.01), 2)
    # Answer only when right, say "I don't know" otherwise: a wrong answer counts as badly as a refusal.
    accuracy = [
        (((best >= t) & correct).sum() + (negative_best < t).sum()) / (len(best) + len(negative_best))
        for t in candidates
    ]
    answer = float(candidates[int(np.argmax(accuracy))])
    return {
        "retrieval_weight": weight,
        "answer": answer,
        "answer_off_topic": float(min(0.95, max(answer, np.quantile(negative_best, 0.95)))),
        "cv": {
            "retrieval_top1": round(float(top1), 3),
            "answer_decision_accuracy": round(float(max(accuracy)), 3),
            "variants": len(texts),
            "negatives": len(negatives),
        },
    }


def choose_medical(data: TrainingData, config_dir: Path, random_state: int = 0) -> dict:
    texts, labels = data.intent_examples()
    rules = load_safety(config_dir / "safety.yaml")
    folds = StratifiedKFold(N_SPLITS, shuffle=True, random_state=random_state)
    medical_p = np.zeros(len(texts))
    predicted = np.empty(len(texts), dtype=object)
    for train, test in folds.split(texts, labels):
        model = IntentModel(random_state=random_state).fit([texts[i] for i in train], [labels[i] for i in train])
        proba = model.predict_proba([texts[i] for i in test])
        columns = [model.classes_.index(name) for name in MEDICAL_INTENTS if name in model.classes_]
        medical_p[test] = proba[:, columns].sum(axis=1)
        predicted[test] = np.asarray(model.classes_)[proba.argmax(axis=1)]
    is_medical = np.array([label in MEDICAL_INTENTS for label in labels])
    ruled = np.array([rules.assess(text)[0] is not None for text in texts])
    # The lowest threshold whose false positives (rules or model) stay within budget: recall first.
    threshold = 1.0
    for candidate in np.round(np.arange(0.99, 0.04, -0.01), 2):
        if (ruled | (medical_p >= candidate))[~is_medical].mean() > MEDICAL_FALSE_POSITIVES:
            break
        threshold = float(candidate)
    flagged = ruled | (medical_p >= threshold)
    # About digital-health tools or AI ("is AI diagnosis reliable?"): the model alone must not flag the
    # non-medical ones of the training set at all; never below the general threshold.
    about = np.array([rules.is_about_tools(text) for text in texts])
    others = medical_p[about & ~is_medical & ~ruled]
    about_threshold = float(min(0.95, max(threshold, np.round(others.max() + 0.01, 2) if others.size else threshold)))
    return {
        "medical": threshold,
        "medical_about_tools": about_threshold,
        "cv": {
            "intent_accuracy": round(float((predicted == np.asarray(labels)).mean()), 3),
            "medical_recall": round(float(flagged[is_medical].mean()), 3),
            "medical_false_positive_rate": round(float(flagged[~is_medical].mean()), 3),
            "rules_recall": round(float(ruled[is_medical].mean()), 3),
            "examples": len(texts),
        },
    }


def calibrate(config_dir: Path) -> dict:
    data = TrainingData.read(config_dir)
    texts, ids = data.retrieval_examples()
    negatives = [data.normalizer(text) for text in data.intents.get("other", [])]
    retrieval = choose_retrieval(texts, ids, negatives)
    medical = choose_medical(data, config_dir)
    values = {name: retrieval[name] for name in ("retrieval_weight", "answer", "answer_off_topic")}
    values["medical"] = medical["medical"]
    values["medical_about_tools"] = medical["medical_about_tools"]
    values["segment_intent"] = Thresholds().segment_intent
    values["long_message"] = Thresholds().long_message
    return {**values, "cross_validation": {**retrieval["cv"], **medical["cv"], "folds": N_SPLITS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-dir", type=Path, default=Path(__file__).resolve().parents[2] / "config" / "assistant")
    args = parser.parse_args()
    result = calibrate(args.config_dir)
    header = (
        "# Thresholds of the assistant, chosen by cross-validation on the training set (knowledge.yaml questions,\n"
        "# intents.yaml messages); never on the benchmark's held-out set. Generated by\n"
        f"#   python -m consult.assistant.calibrate   ({datetime.now(UTC):%Y-%m-%d})\n"
        "# Edit the training data, then run it again rather than editing these numbers by hand.\n"
    )
    (args.config_dir / "thresholds.yaml").write_text(
        header + yaml.safe_dump(result, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    print(yaml.safe_dump(result, sort_keys=False, allow_unicode=True))


if __name__ == "__main__":
    main()
