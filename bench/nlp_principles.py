"""Ethical principles on real citizen text we did not write: precision, recall and off-topic rate.

    .venv/bin/python -m bench.nlp_principles [--shared ../shared/data]

Sets (texts read in place from ../shared/data, never copied; bench/data/principles_real_labels.csv
holds only ids and our labels):
- République numérique 2015 (digital bill, not health): 100 random contributions + 100 drawn among
  those the lexicon of the time labelled ("flagged"), labelled by reading them. The threshold is
  chosen on this set (dev).
- Grand débat 2019 (ecology, taxes: off-topic): 120 random answers + 80 flagged, all labelled with
  no principle after reading; and the rate of answers given a principle over all 30,000.
- tests/nlp/data/principles_eval.csv: 107 sentences written by us next to the lexicon (optimistic).
Labelling rules are in bench/RESULTS.md ("Ethical principles on real text").
"""

from __future__ import annotations

import argparse
import csv
import itertools
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bench.nlp_classify import prf, read_eval_set
from nlp.principles import PrincipleClassifier
from nlp.taxonomy import load_taxonomy
from nlp.text import lemma_strings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
LABELS = ROOT / "bench" / "data" / "principles_real_labels.csv"
THRESHOLDS = (0.4, 0.5, 0.55, 0.6, 0.7, 0.8)


def read_corpora(shared: Path) -> dict[str, dict[str, str]]:
    """{dataset: {id: text}} for the two real corpora."""
    files = {
        "granddebat-2019-sample": shared / "granddebat-2019-sample" / "responses_sample.csv",
        "republique-numerique-2015": shared / "republique-numerique-2015" / "contributions.csv",
    }
    corpora = {}
    for name, path in files.items():
        with open(path, encoding="utf-8", newline="") as handle:
            corpora[name] = {row["id"]: row["text"] for row in csv.DictReader(handle)}
    return corpora


def read_labels() -> dict[str, list[tuple[str, str, set[str]]]]:
    """{dataset: [(id, drawn, principles)]} from the ids-and-labels file."""
    out: dict[str, list] = {}
    with open(LABELS, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["dataset"], []).append((row["id"], row["drawn"], set(row["principles"].split())))
    return out


class Corpus:
    """A corpus fitted once (keyword rarity is learnt on the whole corpus, as `analyze` does)."""

    def __init__(self, texts: list[str], **params):
        self.texts = texts
        self.lemmas = lemma_strings(texts, mode="lookup")
        self.model = PrincipleClassifier(load_taxonomy(), lemma_mode="lookup", **params).fit(texts, lemmas=self.lemmas)
        self.scores = self.model.predict_scores(texts, lemmas=self.lemmas)

    def assigned(self, rows, threshold) -> list[set[str]]:
        ids = self.model.principle_ids_
        return [{ids[j] for j in np.flatnonzero(self.scores[i] >= threshold)} for i in rows]


def fmt(ratios) -> str:
    return " / ".join(f"{v:.3f}" for v in ratios)


CONTEXT_WEIGHTS = (0.5, 0.7, 1.0)
LABEL_WEIGHTS = (0.0, 0.4, 0.8)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--no-gate", action="store_true", help="the lexicon without its domain gate")
    args = parser.parse_args(argv)
    corpora, labels = read_corpora(args.shared), read_labels()
    ids = [p.id for p in load_taxonomy().principles]
    rn, gd = "republique-numerique-2015", "granddebat-2019-sample"
    position = {name: {key: i for i, key in enumerate(texts)} for name, texts in corpora.items()}
    rows = [position[rn][key] for key, _, _ in labels[rn]]
    gold = [g for _, _, g in labels[rn]]
    n_random = sum(bool(g) for _, d, g in labels[rn] if d == "random")
    gate = {"domain_gate": not args.no_gate}

    print("République numérique (dev, 200 labelled): micro P / R / F1 by context weight, label weight and threshold\n")
    print(
        "| context weight | label weight | threshold | micro P / R / F1 | macro P / R / F1 "
        "| random draw given a principle "
        f"(labelled: {n_random}/100) |"
    )
    print("|---:|---:|---:|---|---|---:|")
    best, started = None, time.perf_counter()
    for weight, label_weight in itertools.product(CONTEXT_WEIGHTS, LABEL_WEIGHTS):
        params = {"context_weight": weight, "label_weight": label_weight, **gate}
        fitted = Corpus(list(corpora[rn].values()), **params)
        for t in THRESHOLDS:
            pred = fitted.assigned(rows, t)
            result = prf(gold, pred, ids)
            random_rows = [p for p, (_, d, _) in zip(pred, labels[rn], strict=True) if d == "random"]
            print(
                f"| {weight} | {label_weight} | {t} | {fmt(result['micro'])} | {fmt(result['macro'])} "
                f"| {sum(map(bool, random_rows))}/100 |"
            )
            if best is None or result["micro"][2] > best[2]:
                best = (params, t, result["micro"][2], result)
    params, threshold, _, result = best
    print(
        f"\n(RN fits: {time.perf_counter() - started:.1f} s.) **Chosen on République numérique: context weight "
        f"{params['context_weight']}, label weight {params['label_weight']}, threshold {threshold}** (best micro-F1)\n"
    )
    support = Counter(p for g in gold for p in g)
    print("| principle | support | P / R / F1 |\n|---|---:|---|")
    for i in ids:
        if support[i] or result["per_id"][i][0]:
            print(f"| {i} | {support[i]} | {fmt(result['per_id'][i])} |")

    print("\nReported on the other sets with those parameters:\n")
    fitted = Corpus(list(corpora[gd].values()), **params)
    gd_pred = fitted.assigned([position[gd][key] for key, _, _ in labels[gd]], threshold)
    all_gd = fitted.assigned(range(len(corpora[gd])), threshold)
    print(
        f"- Grand débat, all {len(all_gd):,} distinct answers: **{np.mean([bool(p) for p in all_gd]):.1%} given a "
        "principle** (off-topic rate)"
    )
    for kind in ("random", "flagged"):
        sub = [p for p, (_, d, _) in zip(gd_pred, labels[gd], strict=True) if d == kind]
        print(
            f"- Grand débat, {kind} draw ({len(sub)} labelled, all with no principle): {sum(map(bool, sub))} given one"
        )
    drivers = Counter()
    texts_gd = list(corpora[gd].values())
    flagged = [i for i, p in enumerate(all_gd) if p]
    for labels_of_text in fitted.model.predict([texts_gd[i] for i in flagged]) if flagged else []:
        drivers.update(label.words[0] for label in labels_of_text if label.score >= threshold and label.words)
    print(f"- Grand débat: top words behind those labels: {', '.join(f'{w} {n}' for w, n in drivers.most_common(12))}")
    texts, eval_gold = read_eval_set()
    own = Corpus(texts, **params)
    result = prf(eval_gold, own.assigned(range(len(texts)), threshold), ids)
    print(
        f"- our own sentences (written next to the lexicon: optimistic): micro P / R / F1 {fmt(result['micro'])}, "
        f"macro {fmt(result['macro'])}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
