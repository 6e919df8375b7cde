"""Open data export: Pol.is layout, only published data, pseudonymous, deterministic, and the round trip."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sqlmodel import select

from consult.models import (
    Contribution,
    ContributionStatus,
    ImportedContribution,
    ImportedParticipant,
    Vote,
)
from consult.opendata.exports import OpenDataExport, write_directory, zip_stream
from consult.opendata.imports import import_contributions
from consult.opendata.sources import SourceFiles
from consult.publication import public_links
from tests.consult.contribution_factories import add_contribution, add_vote
from tests.consult.opendata_support import read_csv, refresh_counters


def export(app, session, consultation, max_cells=10_000_000):
    with app.app_context():
        return OpenDataExport(
            session=session, consultation=consultation, links=public_links(), matrix_max_cells=max_cells
        )


def export_to(app, session, consultation, folder, **kwargs):
    with app.app_context():
        return write_directory(export(app, session, consultation, **kwargs), folder)


@pytest.fixture
def small(session, make_consultation, make_user):
    """A consultation with published and unpublished contributions and votes by three citizens."""
    consultation = make_consultation(slug="sante-ouverte")
    alice = make_user(pseudonym="Alice Martin", email="alice@example.fr")
    bob, carol = make_user(), make_user()
    when = datetime(2026, 3, 4, 17, 42, 11)
    published = add_contribution(session, consultation, alice, title="Un dossier partagé", created_at=when)
    other = add_contribution(session, consultation, bob, title="Des bornes en mairie", created_at=when)
    hidden = add_contribution(session, consultation, carol, status=ContributionStatus.HIDDEN, title="Caché ici")
    pending = add_contribution(session, consultation, carol, status=ContributionStatus.PENDING, title="En attente")
    for user, contribution, value in [
        (bob, published, 1),
        (carol, published, -1),
        (alice, other, 0),
        (carol, other, 1),
        (bob, hidden, 1),
    ]:
        add_vote(session, contribution, user, value)
    refresh_counters(session, [published, other, hidden, pending])
    return consultation, (alice, bob, carol), (published, other, hidden, pending)


def test_export_holds_only_published_data_with_pseudonymous_participants(app, session, small, tmp_path):
    consultation, users, (published, other, hidden, pending) = small
    names = export_to(app, session, consultation, tmp_path)
    assert names == [
        "README.md", "LICENCE.md", "datapackage.json", "summary.csv", "comments.csv", "votes.csv",
        "participants-votes.csv",
    ]  # fmt: skip
    comments = read_csv(tmp_path / "comments.csv")
    assert [int(c["comment-id"]) for c in comments] == [published.id, other.id]
    assert comments[0]["url"].endswith(f"/contributions/{published.id}")
    assert (comments[0]["agrees"], comments[0]["disagrees"], comments[0]["moderated"]) == ("1", "1", "1")
    # Dates cut to the day, participants numbered 0.. (never account ids, pseudonyms or e-mails).
    assert (comments[0]["datetime"], comments[0]["timestamp"]) == ("2026-03-04", "1772582400000")
    votes = read_csv(tmp_path / "votes.csv")
    assert len(votes) == 4 and {v["comment-id"] for v in votes} == {str(published.id), str(other.id)}
    assert sorted({v["voter-id"] for v in votes} | {c["author-id"] for c in comments}) == ["0", "1", "2"]
    everything = "".join((tmp_path / name).read_text(encoding="utf-8") for name in names)
    for user in users:
        assert user.pseudonym not in everything and user.email not in everything
    assert "Caché ici" not in everything and "En attente" not in everything
    matrix = read_csv(tmp_path / "participants-votes.csv")
    assert [row["n-votes"] for row in matrix] == ["1", "1", "2"]  # alice, bob, carol (votes on hidden left out)
    assert (
        matrix[2][str(published.id)] == "-1" and matrix[2][str(other.id)] == "1" and matrix[0][str(published.id)] == ""
    )
    summary = dict(row.split(",", 1) for row in (tmp_path / "summary.csv").read_text().splitlines())
    assert (summary["comments"], summary["votes"], summary["voters"]) == ("2", "4", "3")


def test_datapackage_documents_every_column(app, session, small, tmp_path):
    consultation, _, _ = small
    names = export_to(app, session, consultation, tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "etalab-2.0"
    for resource in package["resources"]:
        assert resource["path"] in names
        fields = [field["name"] for field in resource["schema"]["fields"]]
        if resource["path"] != "summary.csv":
            header = (tmp_path / resource["path"]).read_text(encoding="utf-8").splitlines()[0].split(",")
            assert fields == header, resource["path"]
        assert all(field["description"] for field in resource["schema"]["fields"])
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "2 contributions publiées, 4 votes, 3 participants" in readme and "Licence Ouverte" in readme
    assert "Licence Ouverte / Open Licence" in (tmp_path / "LICENCE.md").read_text(encoding="utf-8")


def test_personal_data_left_in_published_text_is_masked(app, session, make_consultation, make_user, tmp_path):
    consultation = make_consultation()
    add_contribution(
        session, consultation, make_user(), body="Contactez-moi au 06 12 34 56 78 pour monter un collectif."
    )
    export_to(app, session, consultation, tmp_path)
    [row] = read_csv(tmp_path / "comments.csv")
    assert "06 12" not in row["comment-body"] and "[téléphone]" in row["comment-body"]


def test_large_matrix_is_left_out_and_said_so(app, session, small, tmp_path):
    consultation, _, _ = small
    (tmp_path / "participants-votes.csv").write_text("stale")
    names = export_to(app, session, consultation, tmp_path, max_cells=5)
    assert "participants-votes.csv" not in names and not (tmp_path / "participants-votes.csv").exists()
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "participants-votes.csv` n'est pas fourni" in readme and "3 × 2 cases" in readme
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert "participants-votes.csv" not in [r["path"] for r in package["resources"]]


def test_same_data_same_bytes_and_a_valid_zip(app, session, small, tmp_path):
    consultation, _, _ = small
    with app.app_context():
        first = b"".join(zip_stream(export(app, session, consultation), "dossier"))
        second = b"".join(zip_stream(export(app, session, consultation), "dossier"))
    assert first == second
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert archive.testzip() is None
    export_to(app, session, consultation, tmp_path)
    for name in ("comments.csv", "votes.csv", "participants-votes.csv"):
        assert archive.read(f"dossier/{name}") == (tmp_path / name).read_bytes()


def _matrix(session, consultation, participant_of, statement_of):
    """Participants × statements matrix of the published contributions, rows and columns in source order."""
    rows = session.exec(
        select(Vote.user_id, Vote.contribution_id, Vote.value)
        .join(Contribution, Contribution.id == Vote.contribution_id)
        .where(Contribution.consultation_id == consultation.id, Contribution.status == ContributionStatus.PUBLISHED)
    ).all()
    participants = sorted({participant_of[u] for u, _, _ in rows})
    statements = sorted({statement_of[c] for _, c, _ in rows})
    values = np.full((len(participants), len(statements)), np.nan)
    row, col = {p: i for i, p in enumerate(participants)}, {s: j for j, s in enumerate(statements)}
    for user, cid, value in rows:
        values[row[participant_of[user]], col[statement_of[cid]]] = value
    return participants, statements, values


def test_round_trip_keeps_counts_and_opinion_groups(app, session, make_consultation, make_user, tmp_path):
    """Export the open data, import it into a new consultation: same counts, same opinion groups."""
    from nlp.opinions import OpinionGroups, VoteMatrix

    rng = np.random.default_rng(7)
    source = make_consultation()
    authors = [make_user() for _ in range(4)]
    statements = [add_contribution(session, source, authors[i % 4], commit=False) for i in range(24)]
    voters = [make_user() for _ in range(60)]
    session.commit()
    for n, voter in enumerate(voters):  # two camps that disagree on the first half of the statements
        for j, statement in enumerate(statements):
            if rng.random() < 0.7:
                lean = 0.85 if (n < 30) == (j < 12) else 0.2
                value = 1 if rng.random() < lean else (-1 if rng.random() < 0.85 else 0)
                session.add(Vote(contribution_id=statement.id, user_id=voter.id, value=value))
    session.commit()
    refresh_counters(session, statements)
    export_to(app, session, source, tmp_path / "od")

    target = make_consultation(opens_at=datetime(2026, 1, 1), closes_at=datetime(2026, 2, 1) + timedelta(days=1))
    with app.app_context():
        report = import_contributions(
            session=session, consultation=target, files=SourceFiles.from_path(tmp_path / "od"), fmt="polis"
        )
        session.commit()
    assert report.ok and (report.rows, report.votes) == (24, session.exec(select(Vote)).all().__len__() // 2)

    imported = {s.contribution_id: int(s.external_id) for s in session.exec(select(ImportedContribution))}
    counts = {c.id: (c.agree_count, c.disagree_count, c.pass_count) for c in statements}
    for contribution in session.exec(select(Contribution).where(Contribution.consultation_id == target.id)):
        assert (contribution.agree_count, contribution.disagree_count, contribution.pass_count) == counts[
            imported[contribution.id]
        ]
    rank = {user_id: n for n, user_id in enumerate(sorted({u.id for u in authors + voters}))}
    original = _matrix(session, source, rank, {c.id: c.id for c in statements})
    people = {p.user_id: int(p.external_id) for p in session.exec(select(ImportedParticipant))}
    copy = _matrix(session, target, people, imported)
    assert original[0] == copy[0] and original[1] == copy[1]
    np.testing.assert_array_equal(original[2], copy[2])
    groups = [
        OpinionGroups(random_state=0).fit(VoteMatrix(m[2], tuple(map(str, m[0])), tuple(map(str, m[1])))).groups_
        for m in (original, copy)
    ]
    assert len(set(groups[0])) >= 2
    assert adjusted_rand_score(groups[0], groups[1]) == 1.0
