"""Held-out vote prediction: how well a grouping of participants explains the votes they cast.

The yardstick for opinion groups (ARI against another tool's groups rewards copying its update
history, not explaining votes). Protocol:

1. ``hide_votes``: hide a seeded share (15 %) of the agree/disagree votes cast by the participants
   being scored (passes and unseen cells are never hidden);
2. fit the grouping on the remaining votes;
3. ``predict_hidden``: predict each hidden vote by the sign of the participant's group's net
   agreement (agrees minus disagrees) on that statement in the remaining votes; when the group has
   no net agreement there (no remaining vote, or a tie) or the participant has no group, by the sign
   of the statement's net agreement over all remaining votes; agree when that is a tie too;
4. ``vote_prediction_accuracy``: the share of hidden votes predicted right.

Scoring every participant in one group gives the statement-majority baseline: what a grouping adds
is its accuracy above that.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

HIDDEN_SHARE = 0.15


def hide_votes(values, rows=None, share: float = HIDDEN_SHARE, random_state=0):
    """(values with hidden votes set to NaN, boolean mask of the hidden cells).

    Only agree (1) and disagree (-1) votes of the participants selected by the boolean mask
    ``rows`` (all by default) can be hidden; ``round(share * candidates)`` of them are drawn.
    """
    values = np.asarray(values, dtype=float)
    if not 0 < share < 1:
        raise ValueError(f"share must be in (0, 1), got {share}")
    rows = np.ones(len(values), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    if rows.shape != (len(values),):
        raise ValueError("rows must be a boolean mask with one entry per participant")
    candidates = np.flatnonzero((np.abs(values) == 1) & rows[:, None])
    rng = check_random_state(random_state)
    chosen = rng.choice(candidates, int(round(share * len(candidates))), replace=False)
    hidden = np.zeros(values.shape, dtype=bool)
    hidden.flat[chosen] = True
    remaining = values.copy()
    remaining[hidden] = np.nan
    return remaining, hidden


def predict_hidden(remaining, groups, hidden) -> np.ndarray:
    """Predicted sign (1 or -1) of each hidden cell, in ``np.flatnonzero(hidden)`` order.

    ``groups``: one group id per participant, negative for a participant without a group.
    """
    remaining = np.asarray(remaining, dtype=float)
    groups = np.asarray(groups)
    if groups.shape != (len(remaining),):
        raise ValueError("groups must give one id per participant")
    votes = np.nan_to_num(remaining)  # passes and unseen cells weigh 0 in a net agreement
    overall = np.sign(votes.sum(axis=0))
    overall[overall == 0] = 1
    ids = np.unique(groups[groups >= 0])
    net = np.array([votes[groups == g].sum(axis=0) for g in ids]).reshape(len(ids), -1)
    rows, cols = np.nonzero(hidden)
    prediction = overall[cols].copy()
    grouped = groups[rows] >= 0
    if grouped.any():
        position = np.searchsorted(ids, groups[rows[grouped]])
        group_sign = np.sign(net[position, cols[grouped]])
        prediction[grouped] = np.where(group_sign != 0, group_sign, prediction[grouped])
    return prediction


def vote_prediction_accuracy(values, remaining, groups, hidden) -> float:
    """Share of the hidden votes of ``values`` whose sign ``predict_hidden`` gets right."""
    truth = np.asarray(values, dtype=float)[hidden]
    if truth.size == 0:
        raise ValueError("no hidden vote to predict")
    return float((predict_hidden(remaining, groups, hidden) == truth).mean())


def leave_one_out_accuracy(votes, groups) -> float:
    """Share of ``leave_one_out_correct`` votes."""
    return float(leave_one_out_correct(votes, groups).mean())


def leave_one_out_correct(votes, groups) -> np.ndarray:
    """Whether each vote is predicted right from the others (in-sample, each vote left out of its own prediction).

    One boolean per agree/disagree vote of a grouped participant, in row-major order, so that two
    groupings of the same votes can be compared vote by vote (a paired test).

    Every agree/disagree vote of a grouped participant is predicted by the same rule from all the
    other votes (its group's net agreement without it, else the statement's). The grouping itself
    saw the votes, so this flatters finer groupings a little; it needs no refit, which is what
    makes it usable to compare numbers of groups inside a fit.
    """
    votes = np.nan_to_num(np.asarray(votes, dtype=float))
    groups = np.asarray(groups)
    grouped = groups >= 0
    if not grouped.any():
        raise ValueError("no grouped participant")
    votes_in, labels = votes[grouped], groups[grouped]
    rows, cols = np.nonzero(np.abs(votes_in) == 1)
    if not len(rows):
        raise ValueError("no agree/disagree vote to predict")
    ids, position = np.unique(labels, return_inverse=True)
    one_hot = np.zeros((len(ids), len(labels)))
    one_hot[position, np.arange(len(labels))] = 1.0
    net = one_hot @ votes_in  # (groups, statements): agrees minus disagrees
    cast = votes_in[rows, cols]
    own_group = np.sign(net[position[rows], cols] - cast)
    overall = np.sign(votes.sum(axis=0)[cols] - cast)
    prediction = np.where(own_group != 0, own_group, np.where(overall != 0, overall, 1))
    return prediction == cast
