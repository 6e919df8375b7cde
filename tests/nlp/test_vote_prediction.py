"""Held-out vote prediction: the yardstick of opinion groups (hand-computed and planted answers)."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from nlp.opinions import OpinionGroups
from nlp.vote_prediction import (
    hide_votes,
    leave_one_out_accuracy,
    leave_one_out_correct,
    predict_hidden,
    vote_prediction_accuracy,
)

N = np.nan
H = 9.0  # placeholder for a hidden cell in the hand-written matrix below


def test_each_hidden_vote_follows_its_group_then_the_statement_then_agree():
    # p0-p2 form group 0, p3-p4 group 1, p5 has no group. Columns, one rule each:
    # 0 group majority (+2, the statement's overall is -1) | 1 group tie -> statement (-2)
    # 2 group has no remaining vote -> statement (+1) | 3 no group -> statement (-2)
    # 4 statement tie -> agree | 5 a pass weighs nothing: group 1 nets 0 -> statement (+1)
    remaining = np.array(
        [
            [H, H, 1, -1, 1, 1],
            [1, 1, 1, -1, -1, 0],
            [1, -1, -1, 0, N, N],
            [-1, -1, H, -1, N, H],
            [-1, -1, N, 1, N, 0],
            [-1, 0, N, H, H, N],
        ]
    )
    hidden = remaining == H
    truth = {(0, 0): 1, (0, 1): -1, (3, 2): 1, (3, 5): -1, (5, 3): 1, (5, 4): -1}
    values = remaining.copy()
    for cell, vote in truth.items():
        values[cell] = vote
    remaining[hidden] = N
    groups = np.array([0, 0, 0, 1, 1, -1])
    # Row-major order of the hidden cells: (0,0) (0,1) (3,2) (3,5) (5,3) (5,4)
    np.testing.assert_array_equal(predict_hidden(remaining, groups, hidden), [1, -1, 1, 1, -1, 1])
    assert vote_prediction_accuracy(values, remaining, groups, hidden) == pytest.approx(3 / 6)


def test_hide_votes_hides_a_seeded_share_of_the_selected_participants_agree_and_disagree_votes():
    rng = np.random.default_rng(0)
    values = rng.choice([1.0, -1.0, 0.0, N], size=(40, 30))
    rows = np.arange(40) < 30
    remaining, hidden = hide_votes(values, rows, random_state=3)
    candidates = (np.abs(values) == 1) & rows[:, None]
    assert hidden.sum() == round(0.15 * candidates.sum())
    assert not (hidden & ~candidates).any()  # never a pass, an unseen cell or an unselected participant
    assert np.isnan(remaining[hidden]).all()
    np.testing.assert_array_equal(remaining[~hidden], values[~hidden])
    again, hidden_again = hide_votes(values, rows, random_state=3)
    np.testing.assert_array_equal(hidden, hidden_again)
    assert not np.array_equal(hidden, hide_votes(values, rows, random_state=4)[1])
    with pytest.raises(ValueError, match="share"):
        hide_votes(values, share=1.5)


def planted(n_camps=2, per_camp=40, n_statements=30, seed=0):
    """Camps that vote their camp's stance on every statement they see (no noise)."""
    rng = np.random.default_rng(seed)
    camp = np.repeat(np.arange(n_camps), per_camp)
    values = rng.choice([-1.0, 1.0], (n_camps, n_statements))[camp]
    values[rng.random(values.shape) < 0.3] = N
    return values, camp


def test_true_camps_predict_every_hidden_vote_and_one_group_only_the_majority():
    values, camp = planted()
    remaining, hidden = hide_votes(values, random_state=0)
    assert vote_prediction_accuracy(values, remaining, camp, hidden) == 1.0
    # Everyone in one group: each hidden vote is predicted by its statement's sign over the
    # remaining votes (agree on a tie), which is right only for the camp that statement's majority is.
    everyone = np.zeros(len(camp), dtype=int)
    net = np.nansum(remaining, axis=0)
    expected = np.where(net[np.nonzero(hidden)[1]] >= 0, 1, -1) == values[hidden]
    assert vote_prediction_accuracy(values, remaining, everyone, hidden) == pytest.approx(expected.mean())
    assert expected.mean() < 0.8


def test_leave_one_out_leaves_each_vote_out_of_its_own_prediction():
    votes = np.array([[1, 1], [1, -1], [-1, N], [0, -1]])
    groups = np.array([0, 0, 1, -1])
    # (0,0): group 0 without it: +1 right; (0,1): -1 wrong; (1,0): +1 right; (1,1): +1 wrong;
    # (2,0): group 1 has nothing else, statement without it +2 -> wrong. Ungrouped rows are not scored.
    np.testing.assert_array_equal(leave_one_out_correct(votes, groups), [True, False, True, False, False])
    assert leave_one_out_accuracy(votes, groups) == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="grouped"):
        leave_one_out_correct(votes, np.full(4, -1))


@pytest.mark.parametrize("n_camps", [2, 3, 4])
def test_k_chosen_by_votes_finds_the_planted_camps(n_camps):
    rng = np.random.default_rng(n_camps)
    values, camp = planted(n_camps=n_camps, per_camp=60, n_statements=40, seed=n_camps)
    noisy = np.where(rng.random(values.shape) < 0.1, -values, values)  # 10 % of votes against the camp
    model = OpinionGroups(random_state=0).fit(noisy)
    assert model.n_groups_ == n_camps
    assert adjusted_rand_score(camp, model.groups_) > 0.85  # 4 camps overlap a little in 2-D
    assert set(model.vote_accuracy_) >= {2, n_camps}
    assert model.vote_accuracy_[n_camps] > 0.85


def test_k_selection_is_checked():
    values, _ = planted()
    with pytest.raises(ValueError, match="k_selection"):
        OpinionGroups(k_selection="elbow").fit(values)
