"""The demo seed: fictitious participation covering the taxonomy, idempotent, exact counters."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import SQLModel, func, select

from consult.demo import DEMO, DEMO_SLUG, STANCES, load_demo_content, seed_demo
from consult.models import (
    Comment,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    Flag,
    Principle,
    Theme,
    User,
    Vote,
)
from consult.votes.services import consensus_score, divisive_score


@pytest.fixture
def seeded(session):
    # Speed is a benchmark's business, not a test's: a timing assertion here failed on a loaded CI machine.
    report = seed_demo(session=session)
    session.commit()
    return report


def _demo_contributions(session, status=ContributionStatus.PUBLISHED):
    return session.exec(select(Contribution).where(Contribution.status == status)).all()


def test_content_file_is_valid(session):
    content = load_demo_content()
    themes = {t.id for t in session.exec(select(Theme))}
    principles = {p.id for p in session.exec(select(Principle))}
    items = content["contributions"] + content["moderation"] + content["moderation_late"]
    titles = [item["title"] for item in items]
    assert len(titles) == len(set(titles))
    for item in items:
        assert 10 <= len(item["title"]) <= 140, item["title"]
        assert 30 <= len(item["body"].strip()) <= 5000, item["title"]
        assert item["theme"] in themes and set(item["principles"]) <= principles, item["title"]
    assert {item["stance"] for item in content["contributions"]} <= set(STANCES)
    assert {item["about"] for item in content["comments"]} <= set(titles)


def test_seed_creates_a_rich_fictitious_participation(session, seeded):
    assert DEMO and seeded.demo
    published = _demo_contributions(session)
    assert len(published) >= 120
    assert {c.theme_id for c in published} == {t.id for t in session.exec(select(Theme))}
    labels = session.exec(select(ContributionPrinciple).where(ContributionPrinciple.source == "author")).all()
    published_ids = {c.id for c in published}
    assert len({label.principle_id for label in labels if label.contribution_id in published_ids}) == 16
    assert {c.channel for c in published} == {"web", "chat"}
    for status in ("pending", "rejected", "duplicate"):
        assert _demo_contributions(session, status), status
    duplicates = _demo_contributions(session, "duplicate")
    assert all(c.duplicate_of_id for c in duplicates)
    assert all(c.rejection_reason for c in _demo_contributions(session, "rejected"))


def test_demo_citizens_are_pseudonymous(session, seeded):
    citizens = session.exec(select(User).where(User.email.like("citoyen__@demo.consultation.fr"))).all()
    assert len(citizens) == 40
    assert all(u.pseudonym.endswith("(démo)") and "@" not in u.pseudonym for u in citizens)
    authors = {c.author_id for c in session.exec(select(Contribution))}
    assert authors <= {u.id for u in citizens}


def test_votes_and_comments(session, seeded):
    votes = session.exec(select(Vote)).all()
    assert len(votes) >= 2000
    assert Counter(v.value for v in votes).keys() == {-1, 0, 1}
    voted = {v.contribution_id for v in votes}
    assert voted == {c.id for c in _demo_contributions(session)}  # never on unpublished ones
    own = session.exec(
        select(func.count())
        .select_from(Vote)
        .join(Contribution, Contribution.id == Vote.contribution_id)
        .where(Contribution.author_id == Vote.user_id)
    ).one()
    assert own == 0
    comments = session.exec(select(Comment)).all()
    assert len(comments) >= 30 and sum(c.parent_id is not None for c in comments) >= 5
    assert all(c.author_id != session.get(Contribution, c.contribution_id).author_id for c in comments)


def test_counters_match_vote_and_comment_rows(session, seeded):
    tally = Counter((v.contribution_id, v.value) for v in session.exec(select(Vote)))
    comments = Counter(c.contribution_id for c in session.exec(select(Comment)) if c.status == "published")
    for c in session.exec(select(Contribution)):
        agree, disagree, passes = tally[(c.id, 1)], tally[(c.id, -1)], tally[(c.id, 0)]
        assert (c.agree_count, c.disagree_count, c.pass_count) == (agree, disagree, passes), c.title
        assert c.vote_count == agree + disagree + passes
        assert c.consensus_score == pytest.approx(consensus_score(agree, disagree, c.vote_count))
        assert c.divisive_score == pytest.approx(divisive_score(agree, disagree))
        assert c.comment_count == comments[c.id]


def test_flags_feed_the_moderation_queue_without_hiding(session, seeded):
    flags = session.exec(select(Flag)).all()
    assert len(flags) == seeded.flags_created == 4
    assert sum(1 for f in flags if f.comment_id) == 1
    per_target = Counter(f.contribution_id for f in flags if f.contribution_id)
    for contribution_id, count in per_target.items():
        contribution = session.get(Contribution, contribution_id)
        assert contribution.flag_count == count and contribution.status == "published"


def test_opinion_structure_has_consensus_and_divisive_statements(session, seeded):
    published = _demo_contributions(session)
    consensual = [c for c in published if c.vote_count >= 10 and c.agree_count >= 0.75 * c.vote_count]
    divisive = [
        c for c in published if c.vote_count >= 10 and min(c.agree_count, c.disagree_count) >= 0.35 * c.vote_count
    ]
    assert len(consensual) >= 10 and len(divisive) >= 10


def _snapshot(session):
    session.expire_all()
    return {
        "users": sorted((u.email, u.pseudonym) for u in session.exec(select(User))),
        "contributions": sorted(
            (
                c.id,
                c.title,
                c.author_id,
                c.status,
                c.vote_count,
                c.agree_count,
                c.comment_count,
                c.consensus_score,
            )
            for c in session.exec(select(Contribution))
        ),
        "votes": sorted((v.contribution_id, v.user_id, v.value) for v in session.exec(select(Vote))),
        "comments": sorted((c.id, c.body, c.parent_id) for c in session.exec(select(Comment))),
        "flags": sorted((f.user_id, f.contribution_id, f.reason) for f in session.exec(select(Flag))),
        "flag_counts": sorted((c.id, c.flag_count) for c in session.exec(select(Contribution))),
        "labels": sorted(
            (p.contribution_id, p.principle_id, p.source) for p in session.exec(select(ContributionPrinciple))
        ),
    }


def test_seed_is_idempotent_and_leaves_other_data_alone(session, seeded, make_user):
    from consult.consultations.services import get_consultation

    consultation = get_consultation(session=session, slug=DEMO_SLUG)
    real = make_user(email="vraie.personne@example.fr", pseudonym="Vraie personne")
    own = Contribution(
        consultation_id=consultation.id,
        author_id=real.id,
        title="Une vraie contribution",
        body="Écrite par une vraie personne, hors démonstration.",
        agree_count=7,
        vote_count=7,
    )
    session.add(own)
    session.commit()
    before = _snapshot(session)
    again = seed_demo(session=session)
    session.commit()
    assert (
        again.flags_created,
        again.citizens_created,
        again.contributions_created,
        again.votes_created,
        again.comments_created,
    ) == (0, 0, 0, 0, 0)
    assert not again.consultation_created and not again.accounts_created
    assert _snapshot(session) == before


def test_seed_is_deterministic(tmp_path, session, seeded):
    from consult import create_app
    from consult.db import get_session
    from consult.taxonomy.services import read_taxonomy, sync_taxonomy

    other = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"})
    SQLModel.metadata.create_all(other.extensions["consult.engine"])

    def signature(s):
        pseudonyms = {u.id: u.pseudonym for u in s.exec(select(User))}
        titles = {c.id: c.title for c in s.exec(select(Contribution))}
        return (
            sorted((c.title, pseudonyms[c.author_id]) for c in s.exec(select(Contribution))),
            sorted((titles[v.contribution_id], pseudonyms[v.user_id], v.value) for v in s.exec(select(Vote))),
        )

    with other.app_context():
        other_session = get_session()
        sync_taxonomy(session=other_session, data=read_taxonomy(other.config["TAXONOMY_PATH"]))
        seed_demo(session=other_session)
        other_session.commit()
        assert signature(other_session) == signature(session)
    other.extensions["consult.engine"].dispose()


def test_seed_without_taxonomy_keeps_the_accounts_and_skips_the_content(database_url):
    from consult import create_app
    from consult.db import get_session

    app = create_app({"DATABASE_URL": database_url})
    SQLModel.metadata.create_all(app.extensions["consult.engine"])
    with app.app_context():
        session = get_session()
        report = seed_demo(session=session)
        session.commit()
        assert report.skipped and report.contributions_created == 0
        assert session.exec(select(func.count()).select_from(Contribution)).one() == 0
    app.extensions["consult.engine"].dispose()


def test_cli_reports_fictitious_content(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "contenu fictif" in result.output
    assert "137 contribution(s)" in result.output and "4 signalement(s)" in result.output
