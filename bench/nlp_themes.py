"""Theme discovery quality on the Grand débat sample: NMI against the 20 questions, fixed k and automatic k."""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score

from nlp.embeddings import TfidfLsaEmbedder
from nlp.text import lemma_strings
from nlp.themes import ThemeModel

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "granddebat-2019-sample"


def load(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["question_code"] for row in rows]


def nmi(labels, assignments) -> float:
    return round(normalized_mutual_info_score(labels, assignments), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3, help="random states to try at k=20")
    parser.add_argument("--no-auto", action="store_true", help="skip the automatic k run")
    args = parser.parse_args()
    csv_path = DATA / "responses_sample.csv"
    if not csv_path.exists():
        print(f"no data at {csv_path}: nothing to measure", file=sys.stderr)
        return 0
    texts, labels = load(csv_path)
    print(f"{len(texts)} texts, {len(set(labels))} questions")

    start = time.perf_counter()
    lemmas = lemma_strings(texts, mode="lookup")
    print(f"lemmas (lookup): {time.perf_counter() - start:.1f} s")

    # Baseline: what the calibration tried (LSA 100 + k-means).
    start = time.perf_counter()
    lsa = TfidfLsaEmbedder(random_state=0).fit_transform(texts, lemmas=lemmas)
    baseline = KMeans(20, n_init=3, random_state=0).fit_predict(lsa)
    print(f"baseline LSA(100)+k-means k=20: NMI {nmi(labels, baseline)} ({time.perf_counter() - start:.1f} s)")

    scores = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        model = ThemeModel(n_themes=20, n_ideas=2, random_state=seed).fit(texts, lemmas=lemmas)
        scores.append(nmi(labels, model.assignments_))
        print(f"ThemeModel k=20 random_state={seed}: NMI {scores[-1]} ({time.perf_counter() - start:.1f} s)")
    print(f"ThemeModel k=20: NMI mean {np.mean(scores):.4f}, min {min(scores)}, max {max(scores)}")

    if not args.no_auto:
        start = time.perf_counter()
        model = ThemeModel(n_themes="auto", n_ideas=2, random_state=0).fit(texts, lemmas=lemmas)
        print(
            f"ThemeModel k=auto: chose k={model.n_themes_}, NMI {nmi(labels, model.assignments_)} "
            f"({time.perf_counter() - start:.1f} s)"
        )
        print("  separation gain by k:", model.k_scores_)
        # The curve the criterion should track: NMI of the final model at each candidate k.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            curve = {
                k: nmi(labels, ThemeModel(n_themes=k, n_ideas=2).fit(texts, lemmas=lemmas).assignments_)
                for k in model.k_scores_
            }
        print("  NMI by k:", curve)
    return 0


if __name__ == "__main__":
    sys.exit(main())
