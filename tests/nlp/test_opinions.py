"""Opinion groups (Pol.is method): matrix, groups, statement statistics, routing priority."""

import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, silhouette_score

from nlp.opinions import (
    META_PRIORITY,
    OpinionGroups,
    PolisFormatError,
    VoteMatrix,
    _silhouette,
    polis_priority,
    read_polis,
    votes_to_matrix,
)
from nlp.vote_prediction import hide_votes, vote_prediction_accuracy

POLIS_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "polis"


def make_camps(n_per_camp=30, n_statements=24, seen=0.8, seed=0, consensus=(), moderated=()):
    """Two planted camps voting opposite ways on every statement, with passes and unseen cells."""
    rng = np.random.default_rng(seed)
    camp = np.repeat([0, 1], n_per_camp)
    stance = rng.choice([-1.0, 1.0], n_statements)
    stance = np.where(camp[:, None] == 0, stance, -stance)
    noise = rng.random(stance.shape)
    values = np.where(noise < 0.85, stance, np.where(noise < 0.93, 0.0, -stance))
    for j in consensus:  # everyone agrees, whatever their camp
        values[:, j] = np.where(rng.random(len(camp)) < 0.95, 1.0, 0.0)
    values[rng.random(values.shape) > seen] = np.nan
    statements = tuple(f"s{j}" for j in range(n_statements))
    participants = tuple(f"p{i}" for i in range(len(camp)))
    moderated_ids = frozenset(statements[j] for j in moderated)
    return VoteMatrix(values, participants, statements, moderated_ids), camp


def test_two_planted_camps_are_recovered():
    matrix, camp = make_camps()
    model = OpinionGroups(random_state=0).fit(matrix)
    assert model.n_groups_ == 2
    assert (model.groups_ >= 0).all()
    assert adjusted_rand_score(camp, model.groups_) == 1.0
    assert model.embedding_.shape == (60, 2)
    assert sorted(model.group_sizes_) == [30, 30]


def test_fit_returns_self_and_follows_sklearn_conventions():
    model = OpinionGroups(random_state=3, max_groups=4)
    assert clone(model).get_params() == model.get_params()
    assert not any(name.endswith("_") for name in vars(model))
    matrix, _ = make_camps()
    assert model.fit(matrix) is model


def test_same_seed_gives_identical_results():
    matrix, _ = make_camps(seed=4)
    first = OpinionGroups(random_state=7).fit(matrix)
    second = OpinionGroups(random_state=7).fit(matrix)
    np.testing.assert_array_equal(first.groups_, second.groups_)
    np.testing.assert_allclose(first.embedding_, second.embedding_)
    assert first.representative_ == second.representative_
    assert first.consensus_ == second.consensus_


def test_plain_array_input_gets_index_ids():
    matrix, camp = make_camps()
    model = OpinionGroups().fit(matrix.values)
    assert model.participants_[:2] == ["0", "1"]
    assert adjusted_rand_score(camp, model.groups_) == 1.0


def test_moderated_out_statement_is_ignored_everywhere():
    matrix, camp = make_camps(moderated=[0])
    # The moderated statement splits participants by parity, against the camps: it must not count.
    values = matrix.values.copy()
    values[:, 0] = np.where(np.arange(len(camp)) % 2 == 0, 1.0, -1.0)
    model = OpinionGroups().fit(VoteMatrix(values, matrix.participants, matrix.statements, matrix.moderated_out))
    assert adjusted_rand_score(camp, model.groups_) == 1.0
    reported = [s.statement for group in model.representative_.values() for s in group]
    reported += [s.statement for d in model.consensus_.values() for s in d]
    reported += [s.statement for s in model.divisive_]
    assert "s0" not in reported
    assert "s0" not in model.statement_priorities()


def test_consensus_statement_is_detected():
    matrix, _ = make_camps(consensus=[3])
    model = OpinionGroups().fit(matrix)
    agreed = [s.statement for s in model.consensus_["agree"]]
    assert agreed[0] == "s3"
    top = model.consensus_["agree"][0]
    assert top.p_success > 0.5 and top.p_value < 0.1 and top.n_disagree == 0
    # Group-informed consensus: every group agrees, so s3 has the highest product of agree rates.
    assert model.statements_[int(np.argmax(model.group_consensus_))] == "s3"
    assert "s3" not in [s.statement for s in model.divisive_]


def test_divisive_statements_split_the_groups():
    matrix, _ = make_camps(consensus=[3])
    model = OpinionGroups().fit(matrix)
    assert model.divisive_
    for item in model.divisive_:
        assert item.spread > 0.5 and item.p_value < 0.1
        assert item.most_agree_group != item.least_agree_group
        assert len(item.agree_ratios) == model.n_groups_


def test_representative_statements_carry_consistent_statistics():
    matrix, camp = make_camps()
    model = OpinionGroups().fit(matrix)
    for group, items in model.representative_.items():
        assert 1 <= len(items) <= model.n_representative
        members = matrix.values[model.groups_ == group]
        for item in items:
            column = members[:, matrix.statements.index(item.statement)]
            assert item.n_agree == int((column == 1).sum())
            assert item.n_disagree == int((column == -1).sum())
            assert item.n_seen == int((~np.isnan(column)).sum())
            assert item.agree_ratio == pytest.approx(item.n_agree / item.n_seen)
            assert 0 <= item.p_value <= 1 and item.repness > 1
            # A group is represented by the way it votes, more than the other group does.
            ratio = item.agree_ratio if item.direction == "agree" else item.disagree_ratio
            assert ratio > 0.5
        directions = [item.direction for item in items]
        assert directions == sorted(directions, key=lambda d: d != "agree")


def test_pass_votes_count_as_seen_not_as_agreement():
    values = np.ones((20, 8))
    values[:, 5] = 0.0  # everyone passes on s5
    values[10:, :4] = -1.0
    model = OpinionGroups().fit(values)
    assert model.n_pass_[5] == 20 and model.n_agree_[5] == 0
    assert "5" not in [s.statement for s in model.consensus_["agree"]]
    assert "5" not in [s.statement for s in model.consensus_["disagree"]]
    # Passes are seen: the routing priority of an all-pass statement is low.
    priorities = model.statement_priorities()
    assert priorities["5"] < priorities["6"]


def test_participants_with_few_votes_are_left_out():
    matrix, _ = make_camps(n_per_camp=20)
    values = matrix.values.copy()
    values[0, :] = np.nan
    values[0, :3] = 1.0  # 3 votes: under the 7-vote rule
    values[1, :] = np.nan  # never voted
    model = OpinionGroups().fit(VoteMatrix(values, matrix.participants, matrix.statements))
    assert model.groups_[0] == -1 and model.groups_[1] == -1
    assert (model.groups_[2:] >= 0).all()
    assert np.isfinite(model.embedding_[0]).all()


def test_small_conversations_are_topped_up_to_min_participants():
    values = np.full((20, 30), np.nan)
    rng = np.random.default_rng(1)
    for i in range(20):
        values[i, : 2 + i // 4] = rng.choice([-1.0, 1.0], 2 + i // 4)  # 2 to 6 votes each
    model = OpinionGroups(min_participants=15).fit(values)
    assert (model.groups_ >= 0).sum() == 15
    assert (model.groups_[8:] >= 0).all()  # the most active voters (4 votes or more)


def test_predict_places_participants_in_their_group():
    matrix, _ = make_camps()
    model = OpinionGroups().fit(matrix)
    np.testing.assert_array_equal(model.predict(matrix.values), model.groups_)
    with pytest.raises(ValueError, match="statement columns"):
        model.transform(matrix.values[:, :3])


def test_statement_priorities_follow_the_routing_rule():
    matrix, _ = make_camps()
    model = OpinionGroups().fit(matrix)
    priorities = model.statement_priorities(seen={"s1"}, meta={"s2"})
    assert "s1" not in priorities
    assert priorities["s2"] == META_PRIORITY
    assert all(p > 0 for p in priorities.values())
    # A statement nobody has seen: ((1 - 1/2) * (0 + 1) * 1/2 * (1 + 8)) ** 2.
    assert polis_priority(0, 0, 0) == pytest.approx((0.25 * 9) ** 2)
    assert polis_priority(0, 0, 0) > polis_priority(30, 5, 2)
    assert polis_priority(10, 0, 0) > polis_priority(0, 0, 10)  # passes lower the priority
    assert model.next_statement(seen=model.statements_[1:], random_state=0) == "s0"
    assert model.next_statement(seen=model.statements_) is None


def test_votes_to_matrix_keeps_the_latest_vote():
    events = [("a", "1", 1), ("b", "1", -1), ("a", "2", 0), ("a", "1", -1), ("c", "2", "1")]
    matrix = votes_to_matrix(events, moderated_out=["2"])
    assert matrix.participants == ("a", "b", "c")
    assert matrix.statements == ("1", "2")
    np.testing.assert_array_equal(matrix.values, [[-1, 0], [-1, np.nan], [np.nan, 1]])
    assert matrix.moderated_out == {"2"}
    with pytest.raises(ValueError, match="vote must be"):
        votes_to_matrix([("a", "1", 2)])


def test_invalid_matrices_are_rejected():
    with pytest.raises(ValueError, match="1, -1, 0"):
        OpinionGroups().fit(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="empty"):
        OpinionGroups().fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="no vote"):
        OpinionGroups().fit(np.full((3, 3), np.nan))


def write_polis(tmp_path, rows, comments=None):
    votes = tmp_path / "participants-votes.csv"
    votes.write_text("\n".join(rows) + "\n", encoding="utf-8")
    if comments is None:
        return votes, None
    path = tmp_path / "comments.csv"
    path.write_text("\n".join(comments) + "\n", encoding="utf-8")
    return votes, path


def test_read_polis_layout(tmp_path):
    votes, comments = write_polis(
        tmp_path,
        [
            "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2",
            "7,0,0,2,1,1,1,-1,",
            "9,,0,1,0,0,,,0",
        ],
        [
            "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body",
            '1,x,0,7,1,0,1,"Plus de soins, moins d\'attente"',
            "2,x,2,7,0,0,-1,spam",
        ],
    )
    conversation = read_polis(votes, comments)
    matrix = conversation.matrix
    assert matrix.participants == ("7", "9") and matrix.statements == ("0", "1", "2")
    np.testing.assert_array_equal(matrix.values, [[1, -1, np.nan], [np.nan, np.nan, 0]])
    assert matrix.moderated_out == {"2"}
    assert conversation.statement_texts["0"] == "Plus de soins, moins d'attente"
    np.testing.assert_array_equal(conversation.reference_groups, [0, -1])


def test_read_polis_rejects_other_layouts(tmp_path):
    votes, _ = write_polis(tmp_path, ["id,text", "1,bonjour"])
    with pytest.raises(PolisFormatError, match="participant"):
        read_polis(votes)
    votes, _ = write_polis(tmp_path, ["participant,0", "1,oui"])
    with pytest.raises(PolisFormatError, match="not a number"):
        read_polis(votes)
    votes, _ = write_polis(tmp_path, ["participant,0", "1,1"], ["comment-id,text", "0,x"])
    with pytest.raises(PolisFormatError, match="moderated"):
        read_polis(votes, tmp_path / "comments.csv")


@pytest.mark.shared_data
@pytest.mark.skipif(not POLIS_DATA.is_dir(), reason="shared Pol.is data absent")
def test_real_conversation_pol_is_rule_matches_its_groups_and_ours_explain_held_out_votes():
    folder = POLIS_DATA / "brexit-consensus"
    conversation = read_polis(folder / "participants-votes.csv", folder / "comments.csv")
    model = OpinionGroups(random_state=0, k_selection="silhouette").fit(conversation.matrix)
    reference = conversation.reference_groups
    both = (reference >= 0) & (model.groups_ >= 0)
    assert adjusted_rand_score(reference[both], model.groups_[both]) > 0.8
    matrix = conversation.matrix
    remaining, hidden = hide_votes(matrix.values, reference >= 0, random_state=0)
    ours = OpinionGroups(random_state=0).fit(VoteMatrix(remaining, matrix.participants, matrix.statements))
    score = functools.partial(vote_prediction_accuracy, matrix.values, remaining, hidden=hidden)
    assert 2 <= ours.n_groups_ <= 5
    assert score(groups=ours.groups_) > score(groups=np.zeros(len(reference), dtype=int)) + 0.02


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 25).flatmap(
        lambda n: st.integers(1, 12).flatmap(
            lambda m: st.lists(st.sampled_from([1.0, -1.0, 0.0, np.nan]), min_size=n * m, max_size=n * m).map(
                lambda cells: np.array(cells).reshape(n, m)
            )
        )
    )
)
def test_any_small_matrix_fits_consistently(values):
    if np.isnan(values).all():
        return
    model = OpinionGroups().fit(values)
    grouped = model.groups_ >= 0
    np.testing.assert_array_equal(grouped, model.in_conversation_)
    assert model.group_sizes_.sum() == grouped.sum() and (model.group_sizes_ > 0).all()
    assert set(model.representative_) == set(range(model.n_groups_))
    assert np.isfinite(model.embedding_).all()


def test_silhouette_matches_sklearn_with_a_singleton_cluster():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 2))
    labels = rng.integers(0, 3, 40)
    labels[0] = 3  # a cluster of one
    distances = np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=-1))
    assert _silhouette(distances, labels) == pytest.approx(silhouette_score(points, labels))
