"""Benchmark nlp.opinions against Pol.is's own groups on the shared open data, and time it.

Usage (from the repository root):
    .venv/bin/python bench/nlp_opinions.py                 # table + speed run
    .venv/bin/python bench/nlp_opinions.py --ablations     # + what each design choice is worth
    .venv/bin/python bench/nlp_opinions.py --history scoop-hivemind.affordable-housing
The data (CC BY 4.0, The Computational Democracy Project) is read in place, never copied.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.opinions import OpinionGroups, VoteMatrix, read_polis  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polis"
SEEDS = range(10)
ABLATION_SEEDS = range(5)  # ablation cells are means over these seeds


def load_all(data: Path):
    """(name, PolisConversation) for every conversation folder."""
    folders = sorted(p for p in data.iterdir() if (p / "participants-votes.csv").is_file())
    return [(f.name, read_polis(f / "participants-votes.csv", f / "comments.csv")) for f in folders]


def ari(reference, ours, left_out_as_label=False):
    """ARI over participants Pol.is grouped (and we grouped, unless left-outs count as a label)."""
    keep = reference >= 0 if left_out_as_label else (reference >= 0) & (ours >= 0)
    return adjusted_rand_score(reference[keep], ours[keep])


def table(conversations, make_model=OpinionGroups):
    print(
        "| conversation | participants | statements (moderated out) | Pol.is grouped | Pol.is k "
        "| our grouped | our k | ARI | ARI, our left-out as a group | ARI over seeds 0-9: "
        "mean [min, max] | fit time |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    main_aris, strict_aris = [], []
    for name, conv in conversations:
        ref, matrix = conv.reference_groups, conv.matrix
        started = time.perf_counter()
        model = make_model(random_state=0).fit(matrix)
        seconds = time.perf_counter() - started
        seeds = [ari(ref, make_model(random_state=s).fit(matrix).groups_) for s in SEEDS]
        main_aris.append(ari(ref, model.groups_))
        strict_aris.append(ari(ref, model.groups_, left_out_as_label=True))
        n, m = matrix.values.shape
        print(
            f"| {name} | {n} | {m} ({len(matrix.moderated_out)}) | {(ref >= 0).sum()} "
            f"| {len(set(ref[ref >= 0]))} | {(model.groups_ >= 0).sum()} | {model.n_groups_} "
            f"| {main_aris[-1]:.3f} | {strict_aris[-1]:.3f} | {np.mean(seeds):.3f} "
            f"[{min(seeds):.3f}, {max(seeds):.3f}] | {seconds:.2f} s |"
        )
    print(
        f"\nmedian ARI {statistics.median(main_aris):.3f} (min {min(main_aris):.3f}); "
        f"left-out as a group: median {statistics.median(strict_aris):.3f} "
        f"(min {min(strict_aris):.3f}); >= 0.5 on {sum(a >= 0.5 for a in main_aris)}"
        f"/{len(main_aris)}"
    )


# -- ablations: each one undoes a single design choice ----------------------------------------


class KMeansPlusPlusGroups(OpinionGroups):
    """Groups by k-means++ seeding and lowest inertia (sklearn's default), not Forgy."""

    def _group_kmeans(self, centers, weights, k, seed):
        from sklearn.cluster import KMeans

        model = KMeans(k, n_init=self.n_init, random_state=seed)
        return model.fit(centers, sample_weight=weights).labels_


class NoSparsityScaling(OpinionGroups):
    """Plain PCA projection, without the sqrt(n_statements / n_seen) push-out."""

    @staticmethod
    def _sparsity_aware(projected, seen):
        return projected


class PolisParticipants(OpinionGroups):
    """Oracle: cluster exactly the participants Pol.is grouped (reference, not a method)."""

    reference = None

    def _in_conversation(self, n_votes, n_statements):
        return self.reference >= 0


def drop_moderated(matrix: VoteMatrix) -> VoteMatrix:
    keep = [j for j, s in enumerate(matrix.statements) if s not in matrix.moderated_out]
    return VoteMatrix(matrix.values[:, keep], matrix.participants, tuple(matrix.statements[j] for j in keep))


def ignore_moderation(matrix: VoteMatrix) -> VoteMatrix:
    return VoteMatrix(matrix.values, matrix.participants, matrix.statements)


def ablations(conversations):
    """Median/min over conversations of the per-conversation ARI, averaged over ABLATION_SEEDS."""
    variants = {
        "method as shipped": (OpinionGroups, {}, None),
        "moderated-out statements dropped (not zeroed)": (OpinionGroups, {}, drop_moderated),
        "moderation ignored": (OpinionGroups, {}, ignore_moderation),
        "no sparsity-aware scaling": (NoSparsityScaling, {}, None),
        "k-means++ / lowest inertia for groups": (KMeansPlusPlusGroups, {}, None),
        "no min_group_size": (OpinionGroups, {"min_group_size": 0}, None),
        "no k smoothing (plain silhouette argmax)": (OpinionGroups, {"k_smoothing": 0}, None),
        "min_votes=1 (every voter grouped)": (OpinionGroups, {"min_votes": 1}, None),
        "oracle: Pol.is's participant set": (PolisParticipants, {}, None),
    }
    names = [name for name, _ in conversations]
    print("| variant | median ARI | min ARI | " + " | ".join(n.split(".")[0][:14] for n in names) + " |")
    print("|---|---:|---:|" + "---:|" * len(names))
    for label, (cls, params, transform) in variants.items():
        scores = []
        for _, conv in conversations:
            matrix = transform(conv.matrix) if transform else conv.matrix
            if cls is PolisParticipants:
                cls.reference = conv.reference_groups
            runs = [cls(random_state=seed, **params).fit(matrix) for seed in ABLATION_SEEDS]
            scores.append(np.mean([ari(conv.reference_groups, m.groups_) for m in runs]))
        print(
            f"| {label} | {statistics.median(scores):.3f} | {min(scores):.3f} | "
            + " | ".join(f"{s:.2f}" for s in scores)
            + " |"
        )


def history(data: Path, name: str):
    """Refit on the votes cast up to each fraction of votes.csv: when did Pol.is's groups fit?"""
    conv = read_polis(data / name / "participants-votes.csv", data / name / "comments.csv")
    matrix, ref = conv.matrix, conv.reference_groups
    row = {p: i for i, p in enumerate(matrix.participants)}
    col = {s: j for j, s in enumerate(matrix.statements)}
    with open(data / name / "votes.csv", newline="", encoding="utf-8") as handle:
        events = sorted(
            (int(r["timestamp"]), r["voter-id"], r["comment-id"], float(r["vote"])) for r in csv.DictReader(handle)
        )
    print(f"| share of {name}'s votes | statements seen | our k | ARI vs Pol.is's final groups |")
    print("|---:|---:|---:|---:|")
    for share in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0):
        values = np.full(matrix.values.shape, np.nan)
        for _, voter, comment, vote in events[: int(len(events) * share)]:
            if voter in row and comment in col:
                values[row[voter], col[comment]] = vote
        seen = ~np.isnan(values).all(axis=0)
        cut = VoteMatrix(
            values[:, seen],
            matrix.participants,
            tuple(s for s, keep in zip(matrix.statements, seen, strict=True) if keep),
            matrix.moderated_out,
        )
        model = OpinionGroups(random_state=0).fit(cut)
        print(f"| {share:.0%} | {seen.sum()} | {model.n_groups_} | {ari(ref, model.groups_):.3f} |")


# -- a rough emulation of Pol.is's warm-started updates (evidence of path dependence) -----------


def _lloyd(points, weights, centers, max_iter=100):
    """Weighted Lloyd iterations from given centres: (labels, centres)."""
    for _ in range(max_iter):
        labels = ((points[:, None] - centers[None]) ** 2).sum(axis=-1).argmin(axis=1)
        moved = centers.copy()
        for c in range(len(centers)):
            members = labels == c
            if weights[members].sum() > 0:
                moved[c] = np.average(points[members], axis=0, weights=weights[members])
        if np.allclose(moved, centers):
            break
        centers = moved
    return ((points[:, None] - centers[None]) ** 2).sum(axis=-1).argmin(axis=1), centers


def _first_distinct(points, k, exclude=()):
    """The first k distinct rows (Pol.is's k-means initialisation), skipping rows in exclude."""
    chosen = []
    for point in points:
        if len(chosen) == k:
            break
        if not any(np.allclose(point, other) for other in [*exclude, *chosen]):
            chosen.append(point)
    return np.array(chosen).reshape(-1, points.shape[1])


def replay_updates(data: Path, name: str, n_updates: int) -> tuple[float, int]:
    """Re-run the method after each of n_updates slices of votes.csv, warm-starting base clusters
    and groups from the previous update and changing k only after 4 consecutive wins, as the
    published description of Pol.is says; returns (ARI vs Pol.is, final k)."""
    from nlp.opinions import _silhouette

    conv = read_polis(data / name / "participants-votes.csv", data / name / "comments.csv")
    matrix, ref = conv.matrix, conv.reference_groups
    row = {p: i for i, p in enumerate(matrix.participants)}
    col = {s: j for j, s in enumerate(matrix.statements)}
    with open(data / name / "votes.csv", newline="", encoding="utf-8") as handle:
        events = sorted(
            (int(r["timestamp"]), row[r["voter-id"]], col[r["comment-id"]], float(r["vote"]))
            for r in csv.DictReader(handle)
            if r["voter-id"] in row and r["comment-id"] in col
        )
    values = np.full(matrix.values.shape, np.nan)
    in_conv = np.zeros(len(row), dtype=bool)
    base, previous, group_centers, k, challenger, streak = None, None, {}, 2, None, 0
    groups, done = np.full(len(row), -1), 0
    for cut in np.linspace(0, len(events), n_updates + 1).astype(int)[1:]:
        for _, i, j, vote in events[done:cut]:
            values[i, j] = vote
        done = cut
        shown = ~np.isnan(values).all(axis=0)
        n_votes = (~np.isnan(values)).sum(axis=1)
        in_conv |= n_votes >= min(7, shown.sum())  # once in, always in
        if in_conv.sum() < 15:
            top = np.argsort(-n_votes, kind="stable")[:15]
            in_conv[top[n_votes[top] > 0]] = True
        if in_conv.sum() < 4:
            continue
        model = OpinionGroups().fit(
            VoteMatrix(
                values[:, shown], matrix.participants, tuple(np.array(matrix.statements)[shown]), matrix.moderated_out
            )
        )
        components = np.zeros((2, len(col)))
        components[:, shown] = model.components_
        points = model.embedding_[in_conv]
        if previous is not None:  # warm-started power iteration does not flip signs
            flips = np.sign((components * previous).sum(axis=1))
            points, components = points * flips, components * flips[:, None]
        previous = components
        n_base = min(100, len(np.unique(points.round(9), axis=0)))
        init = _first_distinct(points, n_base) if base is None else base[:n_base]
        if len(init) < n_base:
            init = np.vstack([init, _first_distinct(points, n_base - len(init), exclude=init)])
        base_labels, base = _lloyd(points, np.ones(len(points)), init.astype(float))
        weights = np.bincount(base_labels, minlength=len(base)).astype(float)
        present = weights > 0
        centers, w = base[present], weights[present]
        distances = np.sqrt(((centers[:, None] - centers[None]) ** 2).sum(axis=-1))
        scores, labelings = {}, {}
        for kk in range(2, min(5, 2 + len(centers) // 12, len(centers) - 1) + 1):
            start = group_centers.get(kk, _first_distinct(centers, kk))
            if len(start) < kk:
                continue
            labels, group_centers[kk] = _lloyd(centers, w, start.copy())
            if len(np.unique(labels)) > 1:
                scores[kk], labelings[kk] = _silhouette(distances, labels), labels
        if not scores:
            continue
        best = max(scores, key=scores.get)
        if best == k:
            challenger, streak = None, 0
        else:
            streak = streak + 1 if best == challenger else 1
            challenger = best
            if streak >= 4:  # the same new k won 4 updates in a row
                k, challenger, streak = best, None, 0
        chosen = labelings.get(k, labelings[best])
        full = np.zeros(len(base), dtype=int)
        full[present] = chosen
        groups = np.full(len(row), -1)
        groups[in_conv] = full[base_labels]
    return ari(ref, groups), len(set(groups[groups >= 0]))


def replay(conversations, data: Path, updates=(40, 150)):
    print("| conversation | " + " | ".join(f"{n} updates: ARI (k)" for n in updates) + " |")
    print("|---|" + "---:|" * len(updates))
    for name, _ in conversations:
        cells = [replay_updates(data, name, n) for n in updates]
        print(f"| {name} | " + " | ".join(f"{a:.3f} ({k})" for a, k in cells) + " |", flush=True)


def synthetic(n_participants=2000, n_statements=900, n_camps=3, seed=0):
    """Camps with opposite stances; heavy-tailed activity (median ~70 votes, ~11% of cells seen)."""
    rng = np.random.default_rng(seed)
    camp = rng.integers(0, n_camps, n_participants)
    stance = rng.choice([-1.0, 1.0], (n_camps, n_statements))[camp]
    draw = rng.random(stance.shape)
    values = np.where(draw < 0.7, stance, np.where(draw < 0.85, 0.0, -stance))
    activity = np.clip(rng.lognormal(np.log(70), 1.0, n_participants), 1, n_statements)
    values[rng.random(values.shape) > (activity / n_statements)[:, None]] = np.nan
    return values, camp


def speed(repeats=5):
    values, camp = synthetic()
    times, model = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        model = OpinionGroups(random_state=0).fit(values)
        times.append(time.perf_counter() - started)
    seen = (~np.isnan(values)).mean()
    print(
        f"\nspeed: 2,000 participants x 900 statements, {seen:.1%} of cells voted: "
        f"median {statistics.median(times):.2f} s, best {min(times):.2f} s over {repeats} fits "
        f"(target < 1 s); k={model.n_groups_}, ARI vs planted camps "
        f"{adjusted_rand_score(camp, model.groups_):.3f} over grouped "
        f"{(model.groups_ >= 0).sum()}"
    )
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--history", metavar="CONVERSATION")
    parser.add_argument("--replay", action="store_true", help="emulate warm-started updates")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args(argv)
    if args.data.is_dir():
        conversations = load_all(args.data)
        table(conversations)
        if args.ablations:
            print()
            ablations(conversations)
        if args.replay:
            print()
            replay(conversations, args.data)
        if args.history:
            print()
            history(args.data, args.history)
    else:
        print(f"{args.data} absent: skipping the Pol.is comparison", file=sys.stderr)
    if not args.no_speed:
        speed()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
