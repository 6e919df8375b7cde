"""Benchmark the supervised TextClassifier (Grand débat questions) and the PrincipleClassifier.

    .venv/bin/python -m bench.nlp_classify [--data ../shared/data/granddebat-2019-sample] [--quick]

Prints markdown tables (pasted into bench/RESULTS.md). Parts:
1. TextClassifier, label = question_code (20 classes): 5-fold stratified CV macro-F1, feature
   variants, a learning curve (macro-F1 vs number of labelled texts), fit/predict times.
2. PrincipleClassifier zero-shot on tests/nlp/data/principles_eval.csv (our own sentences):
   micro/macro P/R/F1, per principle, per dimension, precision per score band; then blending with
   k labelled sentences, cross-validated.
3. PrincipleClassifier speed on the 30,000 Grand débat answers (lemmas passed in, as analyze does).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import typer
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from nlp.classify import TextClassifier
from nlp.principles import PrincipleClassifier
from nlp.taxonomy import load_taxonomy
from nlp.text import lemma_strings, load_pipeline

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "granddebat-2019-sample"
EVAL_SET = ROOT / "tests" / "nlp" / "data" / "principles_eval.csv"


def read_granddebat(folder: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, question codes and theme codes of the Grand débat sample."""
    with open(folder / "responses_sample.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return (
        [r["text"] for r in rows],
        np.array([r["question_code"] for r in rows]),
        np.array([r["theme_code"] for r in rows]),
    )


def macro_f1(y_true, y_pred) -> float:
    return float(f1_score(y_true, y_pred, average="macro"))


def fit_score(texts, lemmas, y, train, test, **params) -> tuple[float, float, float, str]:
    """Macro-F1, fit seconds, predict seconds and F1 per class of one TextClassifier on one split."""
    started = time.perf_counter()
    model = TextClassifier(random_state=0, **params).fit(
        [texts[i] for i in train], y[train], lemmas=[lemmas[i] for i in train]
    )
    fitted = time.perf_counter()
    predicted = model.predict([texts[i] for i in test], lemmas=[lemmas[i] for i in test])
    done = time.perf_counter()
    f1 = f1_score(y[test], predicted, average=None, labels=model.classes_)
    per_class = ", ".join(f"{c} {v:.2f}" for c, v in zip(model.classes_, f1, strict=True))
    return macro_f1(y[test], predicted), fitted - started, done - fitted, per_class


def bench_supervised(texts, lemmas, y, themes, quick: bool) -> None:
    """Part 1: cross-validated macro-F1, variants and learning curve on question codes."""
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(texts, y))
    print("\n### 1. TextClassifier on Grand débat question codes (20 classes, 30,000 answers)\n")
    print("| setting | macro-F1 | fit s | predict s |\n|---|---|---|---|")
    scores, first_per_class = [], ""
    for k, (train, test) in enumerate(folds[:1] if quick else folds):
        f1, fit_s, pred_s, per_class = fit_score(texts, lemmas, y, train, test)
        first_per_class = first_per_class or per_class
        scores.append(f1)
        print(f"| default, fold {k + 1}/5 | {f1:.3f} | {fit_s:.1f} | {pred_s:.1f} |", flush=True)
    print(f"| **default, 5-fold mean ± sd** | **{np.mean(scores):.3f} ± {np.std(scores):.3f}** | | |")
    train, test = folds[0]
    variants = {
        "lemmas only (LinearSVC on lemma TF-IDF)": {"surface_ngrams": False},
        "lemmas + surface words + char 2-5": {"char_ngrams": True},
    }
    for name, params in variants.items():
        f1, fit_s, pred_s, _ = fit_score(texts, lemmas, y, train, test, **params)
        print(f"| {name}, fold 1 | {f1:.3f} | {fit_s:.1f} | {pred_s:.1f} |", flush=True)
    f1, fit_s, pred_s, _ = fit_score(texts, lemmas, themes, train, test)
    print(f"| default, theme_code (ECO/FIS), fold 1 | {f1:.3f} | {fit_s:.1f} | {pred_s:.1f} |")
    print(f"\nF1 per question, fold 1 (default): {first_per_class}")
    learning_curve(texts, lemmas, y, train, test, quick)


def learning_curve(texts, lemmas, y, train, test, quick: bool) -> None:
    """Macro-F1 on fold 1's test set when only n of its training texts are labelled."""
    print("\nLearning curve (test = fold 1, 6,000 texts; n training texts, stratified, 3 draws):\n")
    print("| labelled texts | macro-F1 (mean ± sd) |\n|---|---|")
    for n in (50, 200, 1000, len(train)):
        seeds = [0] if n == len(train) or quick else [0, 1, 2]
        values = []
        for seed in seeds:
            subset = train
            if n < len(train):
                subset, _ = train_test_split(train, train_size=n, stratify=y[train], random_state=seed)
            values.append(fit_score(texts, lemmas, y, subset, test)[0])
        print(f"| {n} | {np.mean(values):.3f} ± {np.std(values):.3f} |", flush=True)


def read_eval_set() -> tuple[list[str], list[set[str]]]:
    with open(EVAL_SET, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [{p for p in r["principles"].split(";") if p} for r in rows]


def prf(gold: list[set[str]], pred: list[set[str]], ids: list[str]) -> dict:
    """Micro and macro precision/recall/F1 of multi-label predictions, and F1 per id."""
    counts = {i: [0, 0, 0] for i in ids}  # tp, fp, fn
    for g, p in zip(gold, pred, strict=True):
        for i in p & g:
            counts[i][0] += 1
        for i in p - g:
            counts[i][1] += 1
        for i in g - p:
            counts[i][2] += 1

    def ratios(tp, fp, fn):
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    tp, fp, fn = np.array(list(counts.values())).sum(axis=0)
    per_id = {i: ratios(*c) for i, c in counts.items()}
    macro = np.mean(list(per_id.values()), axis=0)
    return {"micro": ratios(tp, fp, fn), "macro": tuple(macro), "per_id": per_id}


def bench_zero_shot(taxonomy) -> None:
    """Part 2a: zero-shot quality on our hand-labelled sentences."""
    texts, gold = read_eval_set()
    clf = PrincipleClassifier(taxonomy, random_state=0).fit(texts)
    labels = clf.predict(texts)
    pred = [{lab.id for lab in text_labels} for text_labels in labels]
    ids = clf.principle_ids_
    n_labels = sum(len(g) for g in gold)
    print(f"\n### 2. PrincipleClassifier on {len(texts)} hand-written sentences ({n_labels} labels)\n")
    result = prf(gold, pred, ids)
    print("| zero-shot (threshold 0.5) | precision | recall | F1 |\n|---|---|---|---|")
    for kind in ("micro", "macro"):
        print(f"| {kind} | " + " | ".join(f"{v:.3f}" for v in result[kind]) + " |")
    dim_of = {p.id: p.dimension for p in taxonomy.principles}
    dims = prf(
        [{dim_of[i] for i in g} for g in gold],
        [{dim_of[i] for i in p} for p in pred],
        [d.id for d in taxonomy.dimensions],
    )
    print("| dimensions (D1-D4), micro | " + " | ".join(f"{v:.3f}" for v in dims["micro"]) + " |")
    per = ", ".join(f"{i} {f1:.2f}" for i, (_, _, f1) in result["per_id"].items())
    print(f"\nF1 per principle: {per}\n")
    score_bands(clf.predict_scores(texts), gold, ids)
    threshold_sweep(clf.predict_scores(texts), gold, ids)


def score_bands(scores: np.ndarray, gold: list[set[str]], ids: list[str]) -> None:
    """Share of (text, principle) pairs that are right, per band of zero-shot score."""
    truth = np.array([[i in g for i in ids] for g in gold])
    print("| zero-shot score band | pairs | share correct |\n|---|---|---|")
    for low, high in ((0.01, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01)):
        mask = (scores >= low) & (scores < high)
        share = truth[mask].mean() if mask.any() else float("nan")
        print(f"| [{low:.2f}, {min(high, 1):.2f}) | {mask.sum()} | {share:.2f} |")


def threshold_sweep(scores: np.ndarray, gold: list[set[str]], ids: list[str]) -> None:
    print("\n| threshold | micro P | micro R | micro F1 |\n|---|---|---|---|")
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        pred = [{ids[j] for j in np.flatnonzero(row >= threshold)} for row in scores]
        p, r, f = prf(gold, pred, ids)["micro"]
        print(f"| {threshold} | {p:.3f} | {r:.3f} | {f:.3f} |")


def bench_blending(taxonomy) -> None:
    """Part 2b: 5-fold CV; k training sentences labelled, the rest and the test fold unlabelled."""
    texts, gold = read_eval_set()
    ids = [p.id for p in taxonomy.principles]
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(texts))
    settings = {
        "zero-shot only": {},
        "blended (blend_halfway=20, default)": {"blend_halfway": 20},
        "blended (blend_halfway=5)": {"blend_halfway": 5},
        "supervised only where trained (blend_halfway=0)": {"blend_halfway": 0},
    }
    print("\nBlending, 5-fold CV over the sentences (micro-F1 / macro-F1 on held-out folds; k of the")
    print("~85 training sentences labelled, 3 random draws; min_labels_for_supervised=3):\n")
    print("| setting | k | micro-F1 | macro-F1 |\n|---|---|---|---|")
    for name, params in settings.items():
        for k in (0,) if not params else (20, 40, 85):
            micro, macro = [], []
            for seed in (0, 1, 2):
                pred = [set()] * len(texts)
                for train, test in folds:
                    chosen = set(np.random.default_rng(seed).permutation(train)[:k].tolist())
                    labels = [gold[i] if i in chosen else None for i in range(len(texts))]
                    clf = PrincipleClassifier(taxonomy, min_labels_for_supervised=3, random_state=0, **params)
                    labels_test = clf.fit(texts, labels if k else None).predict([texts[i] for i in test])
                    for i, text_labels in zip(test, labels_test, strict=True):
                        pred[i] = {lab.id for lab in text_labels}
                result = prf(gold, pred, ids)
                micro.append(result["micro"][2])
                macro.append(result["macro"][2])
            print(f"| {name} | {k} | {np.mean(micro):.3f} | {np.mean(macro):.3f} |", flush=True)


def bench_speed(taxonomy, texts: list[str], lemmas: list[str]) -> None:
    """Part 3: cost of the analyze call on 30,000 texts with pre-computed lemmas."""
    load_pipeline("lookup")  # analyze has loaded it already for its lemmas
    started = time.perf_counter()
    clf = PrincipleClassifier(taxonomy, random_state=0).fit(texts, lemmas=lemmas)
    fitted = time.perf_counter()
    labels = clf.predict(texts, lemmas=lemmas)
    done = time.perf_counter()
    share = np.mean([bool(x) for x in labels])
    print(f"\n### 3. PrincipleClassifier speed, {len(texts):,} Grand débat answers (lemmas given)\n")
    print(
        f"fit {fitted - started:.1f} s, predict {done - fitted:.1f} s; "
        f"{share:.1%} of the answers get at least one principle (health is not their subject)."
    )


def main(data: Path = DEFAULT_DATA, quick: bool = False, parts: str = "zero-shot,blending,speed,supervised") -> None:
    """Run the selected parts (comma-separated) and print markdown."""
    taxonomy = load_taxonomy()
    selected = set(parts.split(","))
    if "zero-shot" in selected:
        bench_zero_shot(taxonomy)
    if "blending" in selected:
        bench_blending(taxonomy)
    if not selected & {"speed", "supervised"}:
        return
    if not (data / "responses_sample.csv").exists():
        print(f"\n(Grand débat sample not found under {data}: parts 1 and 3 skipped)")
        return
    texts, questions, themes = read_granddebat(data)
    started = time.perf_counter()
    lemmas = lemma_strings(texts, mode="lookup")
    print(f"\nLemmatised {len(texts):,} answers in {time.perf_counter() - started:.1f} s (lookup).")
    if "speed" in selected:
        bench_speed(taxonomy, texts, lemmas)
    if "supervised" in selected:
        bench_supervised(texts, lemmas, questions, themes, quick)


if __name__ == "__main__":
    typer.run(main)
