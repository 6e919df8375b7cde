"""Similar contributions and near-duplicates on Grand débat answers: perturbed copies, latency at 100k, grouping."""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

import numpy as np

from nlp.similar import DUPLICATE_THRESHOLD, SHORT_THRESHOLD, SimilarityIndex, find_duplicate_groups, prepare

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "granddebat-2019-sample"
LETTERS = "abcdefghijlmnoprstuvé"


def load(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def typos(text: str, rng: random.Random, rate: float = 0.04) -> str:
    """Substitute, delete, insert or swap about `rate` of the characters (at least one edit)."""
    chars = list(text)
    for _ in range(max(1, round(len(chars) * rate))):
        if len(chars) < 2:
            break
        i = rng.randrange(len(chars) - 1)
        edit = rng.randrange(4)
        if edit == 0:
            chars[i] = rng.choice(LETTERS)
        elif edit == 1:
            del chars[i]
        elif edit == 2:
            chars.insert(i, rng.choice(LETTERS))
        else:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def reorder(text: str, rng: random.Random) -> str:
    """Cut the text in 2-4 chunks of words and shuffle them (sentences moved around)."""
    words = text.split()
    n = min(len(words), rng.randint(2, 4))
    cuts = sorted(rng.sample(range(1, len(words)), n - 1)) if n > 1 else []
    chunks = [words[a:b] for a, b in zip([0, *cuts], [*cuts, len(words)], strict=True)]
    rng.shuffle(chunks)
    return " ".join(w for chunk in chunks for w in chunk)


def truncate(text: str, rng: random.Random) -> str:
    """Keep the first 50-85 % of the text."""
    return text[: max(1, int(len(text) * rng.uniform(0.5, 0.85)))]


PERTURBATIONS = {
    "typos": typos,
    "reorder": reorder,
    "truncate": truncate,
    "all three": lambda t, rng: truncate(reorder(typos(t, rng), rng), rng),
}


def rank_of_original(index: SimilarityIndex, query: str, key: str, keys: list[str], k: int) -> int | None:
    """Rank (1-based) of the first hit whose text equals the original (exact duplicates count)."""
    for rank, (i, _) in enumerate(index.query(query, k=k), start=1):
        if keys[i] == key:
            return rank
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=1000, help="perturbed copies per perturbation")
    parser.add_argument("--min-words", type=int, default=5, help="originals shorter than this are not queried")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = DATA / "responses_sample.csv"
    if not path.exists():
        print(f"no data at {path}: nothing to measure", file=sys.stderr)
        return 0
    texts = load(path)
    keys = [prepare(t) for t in texts]
    rng = random.Random(args.seed)
    eligible = [i for i, t in enumerate(texts) if len(t.split()) >= args.min_words]
    print(f"{len(texts)} answers, {len(eligible)} with >= {args.min_words} words (queried)")

    start = time.perf_counter()
    index = SimilarityIndex().fit(texts)
    print(f"fit on {len(texts)}: {time.perf_counter() - start:.1f} s")
    copy_scores, other_scores = [], []
    for name, perturb in PERTURBATIONS.items():
        ranks = []
        for i in rng.sample(eligible, args.queries):
            query = perturb(texts[i], rng)
            ranks.append(rank_of_original(index, query, keys[i], keys, k=3))
            hits = index.query(query, k=2)
            copy_scores.extend(s for j, s in hits if keys[j] == keys[i])
            other_scores.extend(s for j, s in hits if keys[j] != keys[i])
        top1 = sum(r == 1 for r in ranks) / len(ranks)
        top3 = sum(r is not None for r in ranks) / len(ranks)
        print(f"  {name:<10} rank 1: {top1:.3f}  rank <= 3: {top3:.3f}  ({len(ranks)} queries)")
    copy_scores, other_scores = np.array(copy_scores), np.array(other_scores)
    print(
        f"  cosine copy->original: p5 {np.percentile(copy_scores, 5):.2f}, median "
        f"{np.median(copy_scores):.2f}; best non-copy hit: median {np.median(other_scores):.2f}, "
        f"p95 {np.percentile(other_scores, 95):.2f}"
    )

    # Index of 100,000: the answers plus perturbed variants.
    variants = [
        PERTURBATIONS[rng.choice(list(PERTURBATIONS))](texts[rng.randrange(len(texts))], rng)
        for _ in range(100_000 - len(texts))
    ]
    start = time.perf_counter()
    big = SimilarityIndex().fit(texts + variants)
    print(
        f"fit on {len(texts) + len(variants)}: {time.perf_counter() - start:.1f} s, "
        f"{big.matrix_.nnz / 1e6:.1f} M non-zeros"
    )
    big.query("échauffement", k=5)  # builds the posting lists once
    latencies = []
    for i in rng.sample(eligible, 500):
        query = typos(texts[i], rng)
        start = time.perf_counter()
        big.query(query, k=5)
        latencies.append(time.perf_counter() - start)
    ms = np.array(latencies) * 1000
    print(
        f"query latency over 100k (k=5, 500 typo'd answers): median {np.median(ms):.1f} ms, "
        f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms"
    )

    # Duplicate groups: speed on the 30,000, and recall on 1,000 planted perturbed copies.
    for _ in range(2):
        wall, cpu = time.perf_counter(), time.process_time()
        groups = find_duplicate_groups(texts)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"find_duplicate_groups on {len(texts)}: {wall:.1f} s wall, {cpu:.1f} s CPU; "
            f"{len(groups)} groups, {sum(len(g) for g in groups)} texts "
            f"(threshold {DUPLICATE_THRESHOLD}, {SHORT_THRESHOLD} under 8 words)"
        )
    exact = sum(1 for g in groups if len({keys[i] for i in g}) == 1)
    print(f"  {exact} groups are identical after normalisation; near-duplicate examples:")
    for g in [g for g in groups if len({keys[i] for i in g}) > 1][:8]:
        print("    " + " | ".join(repr(texts[i][:60]) for i in g[:3]))
    planted = rng.sample(eligible, 1000)
    for name in ("typos", "reorder", "truncate"):
        copies = [PERTURBATIONS[name](texts[i], rng) for i in planted]
        groups = find_duplicate_groups(texts + copies)
        group_of = {i: n for n, g in enumerate(groups) for i in g}
        together = sum(
            1
            for k, i in enumerate(planted)
            if (len(texts) + k) in group_of and group_of.get(i) == group_of[len(texts) + k]
        )
        print(f"  planted {name:<8} copies grouped with their original: {together / len(planted):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
