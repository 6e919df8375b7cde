"""Opinion groups from votes: the Pol.is method, reimplemented from its published description.

Input is a participants x statements matrix (1 agree, -1 disagree, 0 pass, NaN unseen; agree is
+1 here, the opposite of Pol.is's internal sign, which changes no distance). Moderated-out
statements are zeroed, the matrix is centred on column means (unseen = mean), reduced to 2-D by PCA
and projected with the sparsity-aware scaling; participants with enough votes form up to 100 base
clusters, grouped into 2..5 opinion groups (k: the one whose groups best predict held-out votes, or
Pol.is's silhouette rule). Then: representative statements
per group with their statistics, overall and group-informed consensus, divisive statements, and
the statement-routing priority.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import ndtr
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.extmath import randomized_svd, svd_flip
from threadpoolctl import threadpool_limits

from nlp.vote_prediction import leave_one_out_correct

AGREE, DISAGREE, PASS = 1, -1, 0
# One-sided 90% normal quantile: the significance bar Pol.is uses for every selection test.
Z_90 = 1.2816
# Priority given to meta statements (about the conversation itself) by the routing rule.
META_PRIORITY = 7.0**2
# Pol.is metadata columns in participants-votes.csv; every other column is a statement.
POLIS_META_COLUMNS = (
    "participant",
    "xid",
    "group-id",
    "n-comments",
    "n-votes",
    "n-agree",
    "n-disagree",
)


class PolisFormatError(ValueError):
    """The file is not in the Pol.is open-data layout."""


@dataclass(frozen=True)
class VoteMatrix:
    """Participants x statements votes (1 agree, -1 disagree, 0 pass, NaN unseen) with their ids."""

    values: np.ndarray
    participants: tuple[str, ...]
    statements: tuple[str, ...]
    moderated_out: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PolisConversation:
    """A conversation read from the Pol.is open-data layout."""

    matrix: VoteMatrix
    reference_groups: np.ndarray  # Pol.is's own group-id per participant, -1 where not grouped
    statement_texts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement that sets a group apart, with the counts and tests behind the choice."""

    statement: str
    group: int
    direction: str  # "agree" or "disagree": how the group votes it, more than the rest
    n_agree: int
    n_disagree: int
    n_seen: int  # votes in the group, passes included
    agree_ratio: float
    disagree_ratio: float
    p_success: float  # (1 + n_direction) / (2 + n_seen)
    p_test: float  # z of the in-group proportion against 1/2
    repness: float  # p_success over the same rate in the other groups
    repness_test: float  # z of the two-proportion test, group vs other groups
    p_value: float  # one-sided, of repness_test


@dataclass(frozen=True)
class ConsensusStatement:
    """A statement most participants agree (or disagree) with."""

    statement: str
    direction: str
    n_agree: int
    n_disagree: int
    n_seen: int
    p_success: float
    p_test: float
    p_value: float
    group_consensus: float  # product over groups of the group's (smoothed) rate in this direction


@dataclass(frozen=True)
class DivisiveStatement:
    """A statement on which groups disagree most with one another."""

    statement: str
    agree_ratios: tuple[float, ...]  # smoothed agree rate per group
    spread: float  # highest minus lowest group agree rate
    most_agree_group: int
    least_agree_group: int
    z: float  # two-proportion test between those two groups
    p_value: float
    extremity: float


def votes_to_matrix(events: Iterable[Sequence], moderated_out: Iterable[str] = ()) -> VoteMatrix:
    """Build a vote matrix from (participant, statement, vote) events in time order; latest wins."""
    latest: dict[tuple[str, str], int] = {}
    participants: dict[str, None] = {}
    statements: dict[str, None] = {}
    for participant, statement, vote in events:
        vote = _check_vote(vote)
        participant, statement = str(participant), str(statement)
        participants.setdefault(participant)
        statements.setdefault(statement)
        latest[participant, statement] = vote
    row = {p: i for i, p in enumerate(participants)}
    col = {s: j for j, s in enumerate(statements)}
    values = np.full((len(row), len(col)), np.nan)
    for (participant, statement), vote in latest.items():
        values[row[participant], col[statement]] = vote
    return VoteMatrix(values, tuple(row), tuple(col), frozenset(map(str, moderated_out)))


def read_polis(participants_votes: str | Path, comments: str | Path | None = None) -> PolisConversation:
    """Read a Pol.is export: participants-votes.csv, and comments.csv for texts and moderation."""
    header, rows = _read_csv(participants_votes)
    if "participant" not in header:
        raise PolisFormatError(f"{participants_votes}: no 'participant' column (not the Pol.is layout)")
    vote_cols = [j for j, name in enumerate(header) if name not in POLIS_META_COLUMNS]
    pid, gid = (
        header.index("participant"),
        header.index("group-id") if "group-id" in header else None,
    )
    values = np.full((len(rows), len(vote_cols)), np.nan)
    groups = np.full(len(rows), -1)
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise PolisFormatError(f"{participants_votes}: line {i + 2} has {len(row)} cells, not {len(header)}")
        for k, j in enumerate(vote_cols):
            if row[j].strip():
                values[i, k] = _parse_cell(row[j], participants_votes, i + 2)
        if gid is not None and row[gid].strip():
            groups[i] = int(_parse_cell(row[gid], participants_votes, i + 2, votes_only=False))
    texts, moderated = read_polis_comments(comments) if comments else ({}, frozenset())
    statements = tuple(header[j] for j in vote_cols)
    matrix = VoteMatrix(values, tuple(row[pid] for row in rows), statements, moderated)
    return PolisConversation(matrix, groups, texts)


def read_polis_comments(path: str | Path) -> tuple[dict[str, str], frozenset[str]]:
    """Read comments.csv: statement texts and the ids moderated out (moderated == -1)."""
    header, rows = _read_csv(path)
    missing = {"comment-id", "moderated"} - set(header)
    if missing:
        raise PolisFormatError(f"{path}: missing column(s) {', '.join(sorted(missing))} (not Pol.is comments.csv)")
    cid, mod = header.index("comment-id"), header.index("moderated")
    body = header.index("comment-body") if "comment-body" in header else None
    texts = {row[cid]: row[body] for row in rows if body is not None and len(row) > body}
    moderated = frozenset(row[cid] for row in rows if len(row) > mod and row[mod].strip() == "-1")
    return texts, moderated


def polis_priority(n_agree, n_disagree, n_pass, extremity=0.0):
    """Pol.is routing priority of a statement from its vote counts; new statements bubble up."""
    n_agree, n_disagree, n_pass = (np.asarray(x, dtype=float) for x in (n_agree, n_disagree, n_pass))
    n_seen = n_agree + n_disagree + n_pass
    pass_rate = (n_pass + 1) / (n_seen + 2)
    agree_rate = (n_agree + 1) / (n_seen + 2)
    importance = (1 - pass_rate) * (np.asarray(extremity) + 1) * agree_rate
    return (importance * (1 + 8 * 2.0 ** (-n_seen / 5))) ** 2


class OpinionGroups(BaseEstimator):
    """Pol.is-style opinion groups, representative and consensus statements from a vote matrix.

    Parameters
    ----------
    random_state : int, RandomState or None
        Seeds the SVD and the k-means runs; a fixed value gives identical results.
    n_components : int
        Dimensions of the PCA embedding (Pol.is: 2).
    min_votes : int
        Votes a participant needs to be grouped (capped at the number of statements).
    min_participants : int
        If fewer participants qualify, the most active voters are added up to this number.
    n_base_clusters : int
        k of the first k-means on the embedding; groups are then made of base clusters.
    max_groups : int
        Largest number of groups tried (also capped at 2 + n_base_clusters // 12, as in Pol.is).
    n_init : int
        Random (Forgy) initialisations of each group k-means; the lowest inertia wins.
    min_group_size : int
        A k-means run leaving a group with fewer participants loses to runs that do not (not in
        Pol.is, whose single run from existing rows rarely isolates one outlier).
    k_selection : {"votes", "silhouette"}
        How the number of groups (2..max_groups) is chosen. "votes": groups are there to explain
        votes, so each vote is predicted from the others by its group's majority
        (``nlp.vote_prediction.leave_one_out_correct``) and a larger k replaces the current one
        only when it predicts significantly more votes (paired z > ``k_min_z``).
        "silhouette": Pol.is's rule (best silhouette of the base-cluster centres, with
        ``k_smoothing``).
    k_min_z : float
        With k_selection="votes", the paired z (gain in votes predicted over its standard error)
        a larger k needs: groups stay few unless more of them explain clearly more votes, and k
        does not flip with noise.
    k_smoothing : int
        With k_selection="silhouette", a k above 2 is kept only if it also wins the silhouette on
        this many bootstrap resamplings of the base clusters, standing in for Pol.is's rule that a
        new k must win several updates in a row.
    n_representative, n_consensus, n_divisive : int
        How many statements to keep per group / overall.
    z_threshold : float
        One-sided z a test must exceed (1.2816 = 90%).
    """

    def __init__(
        self,
        random_state=0,
        n_components=2,
        min_votes=7,
        min_participants=15,
        n_base_clusters=100,
        max_groups=5,
        n_init=10,
        min_group_size=3,
        k_selection="votes",
        k_min_z=3.0,
        k_smoothing=4,
        n_representative=5,
        n_consensus=5,
        n_divisive=5,
        z_threshold=Z_90,
    ):
        self.random_state = random_state
        self.n_components = n_components
        self.min_votes = min_votes
        self.min_participants = min_participants
        self.n_base_clusters = n_base_clusters
        self.max_groups = max_groups
        self.n_init = n_init
        self.min_group_size = min_group_size
        self.k_selection = k_selection
        self.k_min_z = k_min_z
        self.k_smoothing = k_smoothing
        self.n_representative = n_representative
        self.n_consensus = n_consensus
        self.n_divisive = n_divisive
        self.z_threshold = z_threshold

    def fit(self, X, y=None):
        """Compute embedding, groups and statement statistics of a VoteMatrix or a vote array."""
        matrix = _as_vote_matrix(X)
        rng = check_random_state(self.random_state)
        values = matrix.values
        self.participants_ = list(matrix.participants)
        self.statements_ = list(matrix.statements)
        self.moderated_out_ = np.array([s in matrix.moderated_out for s in self.statements_], dtype=bool)
        self.n_votes_ = (~np.isnan(values)).sum(axis=1)
        self.in_conversation_ = self._in_conversation(self.n_votes_, values.shape[1])
        # One BLAS/OpenMP thread: at these sizes thread start-up costs more than it saves, and
        # several times more on a shared machine.
        with threadpool_limits(limits=1):
            self._fit_embedding(values, rng)
            self._fit_groups(rng, values)
        self._fit_statistics(values)
        return self

    def transform(self, X):
        """Project vote rows (same statement order as in fit) into the fitted embedding."""
        values = _as_vote_matrix(X).values
        if values.shape[1] != len(self.statements_):
            raise ValueError(f"expected {len(self.statements_)} statement columns, got {values.shape[1]}")
        return self._project(values)

    def predict(self, X):
        """Assign vote rows to the nearest group centre in the embedding."""
        embedded = self.transform(X)
        distances = ((embedded[:, None, :] - self.group_centers_[None]) ** 2).sum(axis=-1)
        return distances.argmin(axis=1)

    def statement_priorities(self, seen: Iterable[str] = (), meta: Iterable[str] = ()) -> dict[str, float]:
        """Routing priority of each statement not seen yet (moderated-out ones excluded)."""
        seen, meta = set(map(str, seen)), set(map(str, meta))
        priorities = polis_priority(self.n_agree_, self.n_disagree_, self.n_pass_, self.extremity_)
        return {
            statement: float(META_PRIORITY if statement in meta else priorities[j])
            for j, statement in enumerate(self.statements_)
            if statement not in seen and not self.moderated_out_[j]
        }

    def next_statement(self, seen: Iterable[str] = (), meta: Iterable[str] = (), random_state=None) -> str | None:
        """Draw the next statement to show, with probability proportional to its priority."""
        priorities = self.statement_priorities(seen, meta)
        if not priorities:
            return None
        weights = np.array(list(priorities.values()))
        rng = check_random_state(random_state)
        return list(priorities)[rng.choice(len(weights), p=weights / weights.sum())]

    # -- embedding -------------------------------------------------------------------------------

    def _in_conversation(self, n_votes, n_statements):
        """Participants with enough votes, topped up with the most active to min_participants."""
        keep = (n_votes >= min(self.min_votes, n_statements)) & (n_votes > 0)
        if keep.sum() < self.min_participants:
            order = np.argsort(-n_votes, kind="stable")[: self.min_participants]
            keep[order[n_votes[order] > 0]] = True
        return keep

    def _zero_moderated(self, values):
        # Pol.is zeroes whole moderated-out columns: they stop weighing on the PCA but count as
        # "seen" in the sparsity scaling. Dropping them instead cost up to 0.2 ARI against Pol.is's
        # own groups where many statements are moderated (bench/RESULTS.md).
        values = values.copy()
        values[:, self.moderated_out_] = 0.0
        return values

    def _fit_embedding(self, values, rng):
        ratings = self._zero_moderated(values)
        seen = ~np.isnan(ratings)
        # Columns nobody saw get a 0 centre (nanmean of an empty column would warn and give NaN).
        self.center_ = np.nanmean(np.where(seen.any(axis=0), ratings, 0.0), axis=0)
        # Unseen votes take the column mean, i.e. 0 once centred.
        centred = np.where(seen, ratings - self.center_, 0.0)
        n_components = min(self.n_components, *centred.shape)
        _, _, vt = randomized_svd(centred, n_components, n_iter=7, random_state=rng)
        self.components_ = svd_flip(None, vt, u_based_decision=False)[1]
        self.extremity_ = np.linalg.norm(self.components_, axis=0)
        self.embedding_ = self._sparsity_aware(centred @ self.components_.T, seen)

    def _project(self, values):
        ratings = self._zero_moderated(values)
        seen = ~np.isnan(ratings)
        return self._sparsity_aware(np.where(seen, ratings - self.center_, 0.0) @ self.components_.T, seen)

    @staticmethod
    def _sparsity_aware(projected, seen):
        # A participant who saw few statements has a projection summed over few terms: scaling by
        # sqrt(n_statements / n_seen) pushes them out from the centre instead of piling them there.
        scale = np.sqrt(seen.shape[1] / np.maximum(seen.sum(axis=1), 1))
        return projected * scale[:, None]

    # -- clustering ------------------------------------------------------------------------------

    def _fit_groups(self, rng, values):
        points = self.embedding_[self.in_conversation_]
        # Rounded, because projections equal up to float noise are the same point to k-means.
        n_base = min(self.n_base_clusters, len(np.unique(points.round(9), axis=0)))
        if n_base == 0:
            raise ValueError("no participant has voted: nothing to group")
        with warnings.catch_warnings():
            # Near-duplicate points can leave a base cluster empty; it then weighs nothing.
            warnings.simplefilter("ignore", ConvergenceWarning)
            base = KMeans(n_base, n_init=1, random_state=rng.randint(2**31)).fit(points)
        centers = base.cluster_centers_
        weights = np.bincount(base.labels_, minlength=n_base).astype(float)
        seed = rng.randint(2**31)
        votes = self._zero_moderated(values)[self.in_conversation_]
        self.silhouette_, labels = self._choose_k(centers, weights, seed, rng, votes, base.labels_)
        members = labels[base.labels_]
        # Number groups by decreasing size so that ids are stable across runs and meaningful.
        found, sizes = np.unique(members, return_counts=True)
        rank = np.empty(labels.max() + 1, dtype=int)
        rank[found[np.argsort(-sizes, kind="stable")]] = np.arange(len(found))
        members = rank[members]
        self.n_groups_ = len(found)
        self.base_centers_ = centers
        self.base_labels_ = np.full(len(self.participants_), -1)
        self.base_labels_[self.in_conversation_] = base.labels_
        self.groups_ = np.full(len(self.participants_), -1)
        self.groups_[self.in_conversation_] = members
        self.group_sizes_ = np.bincount(members, minlength=self.n_groups_)
        self.group_centers_ = np.array([points[members == g].mean(axis=0) for g in range(self.n_groups_)])

    def _group_kmeans(self, centers, weights, k, seed):
        # Forgy initialisation (random existing centres), like Pol.is's seeding from existing rows:
        # k-means++ seeds far outliers and then returns one-participant "groups".
        rng = np.random.RandomState(seed)
        return _weighted_kmeans(centers, weights, k, rng, self.n_init, self.min_group_size)

    def _silhouettes(self, centers, weights, seed):
        """Silhouette (on base-cluster centres) of the weighted k-means for each candidate k."""
        present = weights > 0
        n_present = int(present.sum())
        max_k = min(self.max_groups, 2 + n_present // 12, n_present - 1)
        scores, labelings = {}, {}
        distances = np.sqrt(((centers[present][:, None] - centers[present][None]) ** 2).sum(axis=-1))
        for k in range(2, max_k + 1):
            labels = self._group_kmeans(centers[present], weights[present], k, seed)
            if len(np.unique(labels)) < 2:
                continue
            scores[k] = _silhouette(distances, labels)
            labelings[k] = np.zeros(len(centers), dtype=int)
            labelings[k][present] = labels  # an empty base cluster's label does not matter
        return scores, labelings

    def _choose_k(self, centers, weights, seed, rng, votes, base_labels):
        self.vote_accuracy_ = {}
        if len(centers) <= 2:
            return {}, np.arange(len(centers))
        scores, labelings = self._silhouettes(centers, weights, seed)
        if not scores:
            return scores, np.zeros(len(centers), dtype=int)
        if self.k_selection == "votes":
            return scores, labelings[self._k_by_votes(labelings, votes, base_labels)]
        if self.k_selection != "silhouette":
            raise ValueError(f"k_selection must be 'votes' or 'silhouette', got {self.k_selection!r}")
        best = max(scores, key=scores.get)
        if best > 2 and not self._k_is_stable(best, centers, weights, seed, rng):
            best = 2
        return scores, labelings[best]

    def _k_by_votes(self, labelings, votes, base_labels):
        # Paired comparison, vote by vote: a larger k must predict significantly more votes than
        # the current choice, so a gain within the noise neither buys a group nor flips k.
        correct = {k: leave_one_out_correct(votes, labels[base_labels]) for k, labels in sorted(labelings.items())}
        self.vote_accuracy_ = {k: float(c.mean()) for k, c in correct.items()}
        best = min(correct)
        for k in correct:
            gain = correct[k].astype(float) - correct[best]
            spread = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else 0.0
            if gain.mean() > 0 and gain.mean() > self.k_min_z * spread:
                best = k
        return best

    def _k_is_stable(self, k, centers, weights, seed, rng):
        # Pol.is only leaves its current k when the same new k wins several updates in a row;
        # without the vote history, bootstrap resamplings of the base clusters play the updates.
        for _ in range(self.k_smoothing):
            resampled = rng.multinomial(int(weights.sum()), weights / weights.sum()).astype(float)
            scores, _ = self._silhouettes(centers, resampled, seed)
            if not scores or max(scores, key=scores.get) != k:
                return False
        return True

    # -- statement statistics ----------------------------------------------------------------------

    def _fit_statistics(self, values):
        self.n_agree_ = (values == AGREE).sum(axis=0)
        self.n_disagree_ = (values == DISAGREE).sum(axis=0)
        self.n_pass_ = (values == PASS).sum(axis=0)
        grouped = [values[self.groups_ == g] for g in range(self.n_groups_)]
        self.group_n_agree_ = np.array([(v == AGREE).sum(axis=0) for v in grouped])
        self.group_n_disagree_ = np.array([(v == DISAGREE).sum(axis=0) for v in grouped])
        self.group_n_seen_ = np.array([(~np.isnan(v)).sum(axis=0) for v in grouped])
        n_seen = self.group_n_seen_
        self.group_consensus_ = np.prod((self.group_n_agree_ + 1) / (n_seen + 2), axis=0)
        self.group_consensus_disagree_ = np.prod((self.group_n_disagree_ + 1) / (n_seen + 2), axis=0)
        self.representative_ = {g: self._representative(g) for g in range(self.n_groups_)}
        self.consensus_ = {d: self._consensus(d) for d in ("agree", "disagree")}
        self.divisive_ = self._divisive()

    def _representative(self, g):
        n_agree, n_disagree = self.group_n_agree_[g], self.group_n_disagree_[g]
        n_seen = self.group_n_seen_[g]
        rest = {
            "agree": self.group_n_agree_.sum(axis=0) - n_agree,
            "disagree": self.group_n_disagree_.sum(axis=0) - n_disagree,
        }
        rest_seen = self.group_n_seen_.sum(axis=0) - n_seen
        stats = {}
        for direction, n_dir in (("agree", n_agree), ("disagree", n_disagree)):
            p_success = (1 + n_dir) / (2 + n_seen)
            p_test = _proportion_z(n_dir, n_seen)
            repness = p_success / ((1 + rest[direction]) / (2 + rest_seen))
            repness_test = _two_proportion_z(n_dir + 1, n_seen + 1, rest[direction] + 1, rest_seen + 1)
            stats[direction] = np.array([p_success, p_test, repness, repness_test])
        agree = stats["agree"][3] > stats["disagree"][3]
        best = np.where(agree, stats["agree"], stats["disagree"])  # rows: p, p_test, r, r_test
        active = ~self.moderated_out_
        passed = active & (best[3] > self.z_threshold) & (best[1] > self.z_threshold)
        if not passed.any():
            # Every group gets at least its most distinctive statement, even if no test passes.
            fallback = np.flatnonzero(active)
            chosen = fallback[[np.argmax(best[3][fallback])]] if len(fallback) else []
        else:
            candidates = np.flatnonzero(passed)
            candidates = candidates[np.argsort(-best.prod(axis=0)[candidates], kind="stable")]
            best_agree = [j for j in candidates if agree[j]][:1]
            chosen = (best_agree + [j for j in candidates if j not in best_agree])[: self.n_representative]
            chosen = sorted(chosen, key=lambda j: not agree[j])  # stable: agrees first
        return [
            RepresentativeStatement(
                statement=self.statements_[j],
                group=g,
                direction="agree" if agree[j] else "disagree",
                n_agree=int(n_agree[j]),
                n_disagree=int(n_disagree[j]),
                n_seen=int(n_seen[j]),
                agree_ratio=_ratio(n_agree[j], n_seen[j]),
                disagree_ratio=_ratio(n_disagree[j], n_seen[j]),
                p_success=float(best[0, j]),
                p_test=float(best[1, j]),
                repness=float(best[2, j]),
                repness_test=float(best[3, j]),
                p_value=_p_value(best[3, j]),
            )
            for j in chosen
        ]

    def _consensus(self, direction):
        counts = self.n_agree_ if direction == "agree" else self.n_disagree_
        n_seen = self.n_agree_ + self.n_disagree_ + self.n_pass_
        group = self.group_consensus_ if direction == "agree" else self.group_consensus_disagree_
        p_success = (1 + counts) / (2 + n_seen)
        p_test = _proportion_z(counts, n_seen)
        kept = np.flatnonzero(~self.moderated_out_ & (p_success > 0.5) & (p_test > self.z_threshold))
        kept = kept[np.argsort(-(p_success * p_test)[kept], kind="stable")][: self.n_consensus]
        return [
            ConsensusStatement(
                statement=self.statements_[j],
                direction=direction,
                n_agree=int(self.n_agree_[j]),
                n_disagree=int(self.n_disagree_[j]),
                n_seen=int(n_seen[j]),
                p_success=float(p_success[j]),
                p_test=float(p_test[j]),
                p_value=_p_value(p_test[j]),
                group_consensus=float(group[j]),
            )
            for j in kept
        ]

    def _divisive(self):
        # Not a Pol.is output: the statements whose smoothed agree rate differs most between two
        # groups, kept when a two-proportion test between those groups passes the same z bar.
        if self.n_groups_ < 2:
            return []
        rates = (self.group_n_agree_ + 1) / (self.group_n_seen_ + 2)
        columns = np.arange(rates.shape[1])
        hi, lo = rates.argmax(axis=0), rates.argmin(axis=0)
        agree, seen = self.group_n_agree_, self.group_n_seen_
        z = _two_proportion_z(
            agree[hi, columns] + 1,
            seen[hi, columns] + 1,
            agree[lo, columns] + 1,
            seen[lo, columns] + 1,
        )
        spread = rates[hi, columns] - rates[lo, columns]
        found = np.flatnonzero(~self.moderated_out_ & (z > self.z_threshold))
        found = found[np.lexsort((-z[found], -spread[found]))][: self.n_divisive]
        return [
            DivisiveStatement(
                statement=self.statements_[j],
                agree_ratios=tuple(float(r) for r in rates[:, j]),
                spread=float(spread[j]),
                most_agree_group=int(hi[j]),
                least_agree_group=int(lo[j]),
                z=float(z[j]),
                p_value=_p_value(z[j]),
                extremity=float(self.extremity_[j]),
            )
            for j in found
        ]


def _weighted_kmeans(points, weights, k, rng, n_init, min_size=0.0, max_iter=100):
    """Weighted Lloyd k-means from weight-proportional random seeds; labels of the best run."""
    # Hand-written because the points are at most a few hundred base-cluster centres: sklearn's
    # KMeans costs 10-30 ms of fixed overhead per call and choosing k takes about a hundred runs.
    best = (True, np.inf, None)
    for _ in range(n_init):
        centers = points[rng.choice(len(points), k, replace=False, p=weights / weights.sum())]
        labels = None
        for _ in range(max_iter):
            distances = ((points[:, None, :] - centers[None]) ** 2).sum(axis=-1)
            new_labels = distances.argmin(axis=1)
            if labels is not None and np.array_equal(new_labels, labels):
                break
            labels = new_labels
            membership = np.zeros((len(points), k))
            membership[np.arange(len(points)), labels] = weights
            mass = membership.sum(axis=0)
            # An emptied cluster keeps its previous centre.
            centers = np.where(mass[:, None] > 0, membership.T @ points / np.maximum(mass, 1e-12)[:, None], centers)
        inertia = float((weights * distances[np.arange(len(points)), labels]).sum())
        # Runs leaving a group under min_size lose to any run that does not: the lowest inertia is
        # often a far outlier alone against everyone else, which is no opinion group.
        too_small = bool(np.bincount(labels, weights=weights, minlength=k).min() < min_size)
        if (too_small, inertia) < best[:2]:
            best = (too_small, inertia, labels)
    return best[2]


def _silhouette(distances, labels) -> float:
    """Mean silhouette from a distance matrix (sklearn's silhouette_score without its overhead)."""
    clusters = np.unique(labels)
    one_hot = labels[:, None] == clusters[None]
    sizes = one_hot.sum(axis=0)
    mean_to = distances @ one_hot / sizes  # mean distance from each point to each cluster
    own = one_hot.argmax(axis=1)
    n_own = sizes[own]
    intra = np.where(n_own > 1, mean_to[np.arange(len(labels)), own] * n_own / np.maximum(n_own - 1, 1), 0.0)
    mean_to[np.arange(len(labels)), own] = np.inf
    inter = mean_to.min(axis=1)
    score = np.where(n_own > 1, (inter - intra) / np.maximum(np.maximum(inter, intra), 1e-12), 0.0)
    return float(score.mean())


def _p_value(z) -> float:
    """One-sided p-value of a z score."""
    return float(ndtr(-z))


def _ratio(count, total) -> float:
    return float(count / total) if total else 0.0


def _proportion_z(successes, n):
    """z of a proportion against 1/2 with a +1 pseudo-count (Pol.is's prop-test)."""
    n = np.asarray(n, dtype=float)
    return 2 * np.sqrt(n + 1) * ((np.asarray(successes) + 1) / (n + 1) - 0.5)


def _two_proportion_z(s1, n1, s2, n2):
    """Pooled two-proportion z-test of s1/n1 against s2/n2 (0 where undefined)."""
    s1, n1, s2, n2 = (np.asarray(x, dtype=float) for x in (s1, n1, s2, n2))
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / spread
    return np.where(spread > 0, z, 0.0)


def _check_vote(vote) -> int:
    try:
        number = float(vote)
    except (TypeError, ValueError):
        raise ValueError(f"vote must be 1, -1 or 0, got {vote!r}") from None
    if number not in (AGREE, DISAGREE, PASS):
        raise ValueError(f"vote must be 1, -1 or 0, got {vote!r}")
    return int(number)


def _parse_cell(text, path, line, votes_only=True):
    try:
        number = float(text)
    except ValueError:
        raise PolisFormatError(f"{path}: line {line}: {text!r} is not a number (not the Pol.is layout)") from None
    if votes_only and number not in (AGREE, DISAGREE, PASS):
        raise PolisFormatError(f"{path}: line {line}: vote {text!r} is not 1, -1, 0 or empty")
    return number


def _read_csv(path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise PolisFormatError(f"{path}: empty file")
        rows = [row for row in reader if row]
    return [name.strip() for name in header], rows


def _as_vote_matrix(X) -> VoteMatrix:
    if isinstance(X, VoteMatrix):
        matrix = X
    else:
        values = np.asarray(X, dtype=float)
        if values.ndim != 2:
            raise ValueError(f"expected a 2-D participants x statements matrix, got shape {values.shape}")
        n, m = values.shape
        matrix = VoteMatrix(values, tuple(map(str, range(n))), tuple(map(str, range(m))))
    values = np.asarray(matrix.values, dtype=float)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"empty vote matrix (shape {values.shape})")
    bad = ~np.isnan(values) & ~np.isin(values, (AGREE, DISAGREE, PASS))
    if bad.any():
        raise ValueError(f"votes must be 1, -1, 0 or NaN; found {values[bad][0]!r}")
    if np.isnan(values).all():
        raise ValueError("the vote matrix holds no vote")
    return VoteMatrix(values, matrix.participants, matrix.statements, matrix.moderated_out)
