"""Imports: dry run with every problem and its line, all or nothing, screening, channel, sources kept."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from consult.models import (
    Channel,
    Contribution,
    ContributionStatus,
    Flag,
    ImportBatch,
    ImportedContribution,
    ImportedParticipant,
    ModerationMode,
    User,
    Vote,
)
from consult.opendata.imports import import_contributions
from consult.opendata.sources import Columns, SourceFiles
from tests.consult.opendata_support import SHARED_DATA, read_csv, write_polis

SHARED_POLIS = SHARED_DATA / "polis"

GOOD_CSV = (
    "id,texte,auteur\n"
    "a1,Il faut un dossier médical partagé accessible partout en France.,p1\n"
    'a2,"Les données de santé doivent rester en Europe,\nsur des serveurs publics.",p2\n'
    "a3,Former les soignants au numérique dès leurs études.,p1\n"
)


def run(app, session, consultation, data, fmt="csv", name="atelier.csv", columns=None, dry_run=False, user=None):
    with app.app_context():
        report = import_contributions(
            session=session,
            consultation=consultation,
            files=SourceFiles.from_bytes(name, data if isinstance(data, bytes) else data.encode()),
            fmt=fmt,
            columns=columns or Columns(),
            dry_run=dry_run,
            user=user,
        )
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
        return report


def contributions(session, consultation):
    return session.exec(
        select(Contribution).where(Contribution.consultation_id == consultation.id).order_by(Contribution.id)
    ).all()


def test_csv_import_keeps_source_lines_ids_and_authors(app, session, make_consultation):
    consultation = make_consultation()
    report = run(app, session, consultation, GOOD_CSV, columns=Columns(author="auteur"))
    assert report.ok and (report.rows, report.participants) == (3, 2)
    rows = contributions(session, consultation)
    assert [c.channel for c in rows] == [Channel.IMPORT] * 3
    assert [c.status for c in rows] == [ContributionStatus.PUBLISHED] * 3
    assert rows[1].body == "Les données de santé doivent rester en Europe,\nsur des serveurs publics."
    assert rows[1].title == "Les données de santé doivent rester en Europe,"  # first line of the text
    assert rows[0].author_id == rows[2].author_id != rows[1].author_id
    sources = {s.contribution_id: s for s in session.exec(select(ImportedContribution))}
    assert [(sources[c.id].external_id, sources[c.id].line) for c in rows] == [("a1", 2), ("a2", 3), ("a3", 5)]
    author = session.get(User, rows[0].author_id)
    assert author.email is None and author.password_hash is None  # cannot sign in
    participant = session.get(ImportedParticipant, author.id)
    assert participant.external_id == "p1" and participant.batch_id == report.batch.id
    batch = session.get(ImportBatch, report.batch.id)
    assert (batch.contribution_count, batch.participant_count, batch.format) == (3, 2, "csv")


def test_dry_run_lists_every_problem_with_its_line_and_writes_nothing(app, session, make_consultation):
    consultation = make_consultation()
    data = (
        "texte;thème;date\n"
        "Un texte correct sur la télémédecine.;T01;2019-02-01\n"
        ";T01;2019-02-01\n"  # line 3: empty text
        "Un autre texte.;T99;2019-02-01\n"  # line 4: unknown theme
        "Encore un texte.;T02;le 3 février\n"  # line 5: bad date
        "Trop;de;colonnes;ici\n"  # line 6
        "Dernier texte valable.;t03;01/02/2019 10:30\n"
    )
    report = run(app, session, consultation, data, columns=Columns(theme="thème", date="date"), dry_run=True)
    assert [p.line for p in report.problems] == [3, 4, 5, 6]
    messages = [str(p) for p in report.problems]
    assert "ligne 3 : texte vide." in messages[0]
    assert "T99" in messages[1] and "le 3 février" in messages[2] and "4 colonnes au lieu de 3" in messages[3]
    assert contributions(session, consultation) == []
    # The same file for real: refused as a whole, nothing written.
    report = run(app, session, consultation, data, columns=Columns(theme="thème", date="date"))
    assert not report.ok and report.batch is None
    assert contributions(session, consultation) == [] and session.exec(select(ImportBatch)).all() == []


def test_dry_run_of_a_good_file_writes_nothing(app, session, make_consultation):
    consultation = make_consultation()
    report = run(app, session, consultation, GOOD_CSV, dry_run=True)
    assert report.ok and report.rows == 3 and report.batch is None
    assert contributions(session, consultation) == [] and session.exec(select(User)).all() == []


def test_missing_text_column_names_the_columns_found(app, session, make_consultation):
    report = run(app, session, make_consultation(), "identifiant,message\n1,Bonjour à tous\n", dry_run=True)
    [problem] = report.problems
    assert problem.line == 1 and "identifiant, message" in problem.message
    report = run(app, session, make_consultation(), GOOD_CSV, columns=Columns(title="titre"), dry_run=True)
    assert "« titre » n'existe pas" in report.problems[0].message


def test_dates_themes_and_titles_from_columns(app, session, make_consultation):
    consultation = make_consultation()
    data = "titre,texte,theme,quand\nUn titre,Le texte assez long de cette proposition.,t05,2019-02-01 14:30\n"
    assert run(app, session, consultation, data, columns=Columns(theme="theme", date="quand")).ok
    [row] = contributions(session, consultation)
    assert (row.title, row.theme_id) == ("Un titre", "T05")
    assert row.created_at.replace(tzinfo=None).isoformat() == "2019-02-01T13:30:00"  # Paris time → UTC


def test_personal_data_is_masked_and_flagged_for_moderators(app, session, make_consultation):
    consultation = make_consultation()
    data = (
        'texte\n"Appelez-moi au 06 12 34 56 78 pour en parler, je suis disponible le soir."\nRien de personnel ici.\n'
    )
    report = run(app, session, consultation, data)
    assert report.redacted == 1 and report.redacted_kinds == ["numéro de téléphone"]
    masked, clean = contributions(session, consultation)
    assert "06 12" not in masked.body and "[téléphone]" in masked.body and "06 12" not in masked.title
    [flag] = session.exec(select(Flag)).all()
    assert flag.contribution_id == masked.id and flag.reason == "donnees_personnelles"
    assert "numéro de téléphone" in flag.details and masked.flag_count == 1 and clean.flag_count == 0
    flagger = session.get(User, flag.user_id)
    assert flagger.password_hash is None


def test_pre_moderated_consultations_get_pending_imports(app, session, make_consultation):
    consultation = make_consultation(moderation=ModerationMode.PRE)
    report = run(app, session, consultation, GOOD_CSV)
    assert report.by_status == {"pending": 3}
    assert {c.status for c in contributions(session, consultation)} == {ContributionStatus.PENDING}


def test_same_file_twice_is_refused(app, session, make_consultation):
    consultation = make_consultation()
    assert run(app, session, consultation, GOOD_CSV).ok
    report = run(app, session, consultation, GOOD_CSV, dry_run=True)
    assert "déjà été importé" in report.problems[0].message
    assert run(app, session, make_consultation(), GOOD_CSV).ok  # another consultation may take it


def test_repeated_ids_outside_polis_are_a_note_not_a_problem(app, session, make_consultation):
    data = "id,text\nx,Premier texte\nx,Deuxième texte\n"
    report = run(app, session, make_consultation(), data, dry_run=True)
    assert report.ok and "lignes 3" in report.notes[0]


def test_utf16_files_with_their_bom_are_read(app, session, make_consultation):
    consultation = make_consultation()
    # A spreadsheet's « Unicode text » export: UTF-16 with a byte-order mark, tab-separated.
    report = run(app, session, consultation, "texte\tauteur\nÉviter les déserts médicaux.\tA\n".encode("utf-16"))
    assert report.ok and not report.notes
    assert contributions(session, consultation)[0].body == "Éviter les déserts médicaux."


def test_windows_1252_files_are_read_with_a_note(app, session, make_consultation):
    consultation = make_consultation()
    report = run(app, session, consultation, "texte\nÉviter les déserts médicaux.\n".encode("cp1252"))
    assert report.ok and "Windows-1252" in report.notes[0]
    assert contributions(session, consultation)[0].body == "Éviter les déserts médicaux."


def test_json_objects_with_lines(app, session, make_consultation):
    consultation = make_consultation()
    data = json.dumps(
        {"contributions": [{"text": "Premier texte importé en JSON."}, {"text": ""}, {"text": "Troisième."}]},
        indent=2,
    )
    report = run(app, session, consultation, data, fmt="json", name="a.json", dry_run=True)
    assert [(p.line, p.message) for p in report.problems] == [(6, "texte vide.")]
    report = run(app, session, consultation, '[{"text": "Un"},\n {"text": "Deux"},\n 3]', fmt="json", dry_run=True)
    assert [p.line for p in report.problems] == [3]
    report = run(app, session, consultation, '[{"text": "Un"} {"text": "Deux"}]', fmt="json", dry_run=True)
    assert "JSON invalide" in report.problems[0].message
    assert run(app, session, consultation, '[{"text": "Un texte"}, {"text": "Deux textes"}]', fmt="json").ok
    assert [c.body for c in contributions(session, consultation)] == ["Un texte", "Deux textes"]


def test_decidim_proposals(app, session, make_consultation):
    consultation = make_consultation()
    data = (
        "id;title/fr;body/fr;state;withdrawn;published_at;votes\n"
        "11;Des bornes en mairie;<p>Installer des bornes <strong>Mon espace santé</strong>.</p><p>Avec aide.</p>;"
        "accepted;false;2023-05-02 10:00:00 UTC;12\n"
        "12;Retirée;<p>Finalement non.</p>;withdrawn;true;2023-05-03 10:00:00 UTC;0\n"
    )
    report = run(app, session, consultation, data, fmt="decidim", name="proposals.csv")
    assert report.ok and "soutiens" in report.notes[0]
    first, withdrawn = contributions(session, consultation)
    assert first.title == "Des bornes en mairie"
    assert first.body == "Installer des bornes Mon espace santé.\nAvec aide."
    assert first.created_at.replace(tzinfo=None).isoformat() == "2023-05-02T10:00:00"
    assert withdrawn.status == ContributionStatus.WITHDRAWN


def test_polis_folder_statements_votes_and_moderation(app, session, make_consultation, tmp_path):
    consultation = make_consultation()
    folder = write_polis(
        tmp_path / "conversation",
        comments=[
            ("0", "10", "1", "We need better trains."),
            ("1", "11", "-1", "Off topic"),
            ("2", "10", "0", "More buses"),
        ],
        votes=[(1, "0", "10", 1), (2, "0", "11", -1), (3, "0", "11", 1), (4, "2", "12", 0), (5, "1", "12", 1)],
    )
    with app.app_context():
        report = import_contributions(
            session=session, consultation=consultation, files=SourceFiles.from_path(folder), fmt="polis"
        )
        session.commit()
    assert (report.rows, report.votes, report.participants) == (3, 4, 3)  # participant 11 changed their mind
    trains, off_topic, buses = contributions(session, consultation)
    assert (trains.agree_count, trains.disagree_count, trains.vote_count) == (2, 0, 2)
    assert off_topic.status == ContributionStatus.REJECTED and off_topic.rejection_reason
    assert (buses.pass_count, buses.status) == (1, ContributionStatus.PUBLISHED)
    assert trains.author_id == buses.author_id
    assert len(session.exec(select(Vote)).all()) == 4


def test_polis_problems_have_file_and_line(app, session, make_consultation, tmp_path):
    folder = write_polis(
        tmp_path / "broken",
        comments=[("0", "1", "1", "A statement"), ("0", "1", "1", "Same id")],
        votes=[(1, "0", "1", 1), (2, "9", "1", 1), (3, "0", "2", 5)],
    )
    with app.app_context():
        report = import_contributions(
            session=session,
            consultation=make_consultation(),
            files=SourceFiles.from_path(folder),
            fmt="polis",
            dry_run=True,
        )
        problems = [str(p) for p in report.problems]
    assert problems == [
        "comments.csv, ligne 3 : comment-id « 0 » en double.",
        "votes.csv, ligne 3 : vote sur une déclaration inconnue (comment-id « 9 »).",
        "votes.csv, ligne 4 : vote « 5 » invalide (1, -1 ou 0 attendu).",
    ]
    with app.app_context():
        report = import_contributions(
            session=session, consultation=make_consultation(), files=SourceFiles("vide", {}), fmt="polis", dry_run=True
        )
        assert "comments.csv manque" in str(report.problems[0])


def test_polis_matrix_when_votes_csv_is_absent(app, session, make_consultation, tmp_path):
    consultation = make_consultation()
    folder = write_polis(tmp_path / "m", comments=[("5", "0", "1", "Un"), ("7", "1", "1", "Deux")])
    (folder / "participants-votes.csv").write_text(
        "participant,group-id,n-comments,n-votes,n-agree,n-disagree,5,7\n0,0,1,2,1,1,1,-1\n1,,1,1,0,0,,0\n"
    )
    with app.app_context():
        report = import_contributions(
            session=session, consultation=consultation, files=SourceFiles.from_path(folder), fmt="polis"
        )
        session.commit()
    assert (report.rows, report.votes, report.participants) == (2, 3, 2)
    first, second = contributions(session, consultation)
    assert (first.agree_count, second.disagree_count, second.pass_count) == (1, 1, 1)


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_POLIS.exists(), reason="needs ../shared/data (real Pol.is conversations)")
def test_shared_polis_conversation_imports_with_its_counts(app, session, make_consultation):
    folder = SHARED_POLIS / "brexit-consensus"
    comments = read_csv(folder / "comments.csv")
    consultation = make_consultation()
    with app.app_context():
        report = import_contributions(
            session=session, consultation=consultation, files=SourceFiles.from_path(folder), fmt="polis"
        )
        session.commit()
    assert report.ok and report.rows == len(comments)
    by_body = {c.title: c for c in contributions(session, consultation)}
    assert len(by_body) >= len(comments) - 2
    expected_votes = {}
    for row in read_csv(folder / "votes.csv"):
        expected_votes[row["voter-id"], row["comment-id"]] = row["vote"]
    assert report.votes == len(expected_votes)
    sources = {s.external_id: s.contribution_id for s in session.exec(select(ImportedContribution))}
    for row in comments[:10]:
        contribution = session.get(Contribution, sources[row["comment-id"]])
        assert contribution.agree_count == sum(
            1 for (_, cid), vote in expected_votes.items() if cid == row["comment-id"] and vote == "1"
        )
