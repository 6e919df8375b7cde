"""A stored analysis run built by hand (no nlp): two themes with ideas, principles, votes and opinion groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from consult.models import (
    AnalysisRun,
    Channel,
    ContributionStatus,
    RunContribution,
    RunOpinionGroup,
    RunStatus,
    RunTheme,
)
from tests.consult.contribution_factories import add_contribution

FINISHED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SEEN = [(12, 3, 1), (2, 9, 1), (7, 7, 2), (5, 1, 0), (0, 0, 0), (9, 2, 1), (3, 8, 0), (4, 4, 4)]


@dataclass
class StoredRun:
    consultation: object
    run: AnalysisRun
    contributions: list  # the 8 published ones: 0-3 in theme "0" (data), 4-7 in theme "1" (access)
    hidden: object  # published when analysed, hidden since
    phone: object  # its text holds a phone number the submission screening did not catch


@pytest.fixture
def stored_run(session, make_consultation, make_user) -> StoredRun:
    consultation = make_consultation(
        slug="sante-demain",
        title="Le numérique en santé de demain",
        question="Comment voulez-vous que vos données de santé soient utilisées ?",
    )
    return store_run(session, consultation, [make_user() for _ in range(5)])


def store_run(session, consultation, authors) -> StoredRun:
    """Add 8 published contributions (and one hidden since) by `authors` and a succeeded run about them."""
    start = datetime(2026, 11, 2, 10, tzinfo=UTC)
    texts = [
        ("Un dossier médical partagé vraiment complet", "Tous les comptes rendus doivent arriver dans le dossier."),
        (
            "Consentement explicite pour la recherche",
            "Chaque usage de mes données pour la recherche doit être demandé.",
        ),
        ("Hébergement des données en France", "Les données de santé doivent rester sur des serveurs publics."),
        ("Savoir qui a consulté mon dossier", "Je veux voir la liste des personnes qui ont ouvert mon dossier."),
        ("Des bornes dans les mairies", "Installer des bornes d'accès à Mon espace santé dans chaque mairie."),
        ("Un accompagnement humain", "Des médiateurs numériques pour les personnes âgées, en agence."),
        ("Appelez-moi pour en parler", "Je monte un collectif, appelez-moi au 06 12 34 56 78 pour en parler."),
        ("Une application accessible", "L'application doit respecter le RGAA et marcher avec un lecteur d'écran."),
    ]
    made = []
    for n, (title, body) in enumerate(texts):
        made.append(
            add_contribution(
                session,
                consultation,
                authors[n % 5],
                title=title,
                body=body,
                commit=False,
                created_at=start + timedelta(days=n),
                channel=Channel.IMPORT if n == 5 else Channel.WEB,
            )
        )
    hidden = add_contribution(
        session,
        consultation,
        authors[0],
        title="Texte masqué depuis l'analyse",
        body="Ce texte ne doit apparaître nulle part.",
        commit=False,
        created_at=start,
    )
    session.flush()
    run = AnalysisRun(
        consultation_id=consultation.id,
        status=RunStatus.SUCCEEDED,
        finished_at=FINISHED,
        parameters={"n_themes": "auto", "random_state": 0},
        versions={"consult": "0.1.0", "scikit-learn": "1.9.1"},
        fingerprint="ab" * 32,
        n_contributions=9,
        n_votes=100,
        n_participants=14,
        summary={
            "snapshot": {
                "statuses": {"published": 9, "pending": 2, "rejected": 1},
                "channels": {"web": 8},
                "people": 21,
            }
        },
        opinions={
            "n_participants": 14,
            "n_grouped": 12,
            "points": [[-1.0, 0.2, 0], [-0.8, 0.1, 0], [-1.1, -0.3, 0], [1.0, 0.4, 1], [0.9, -0.2, 1]],
            "consensus": [
                {"contribution_id": made[0].id, "direction": "agree", "n_agree": 12, "n_disagree": 3, "n_seen": 16},
                {"contribution_id": hidden.id, "direction": "agree", "n_agree": 9, "n_disagree": 0, "n_seen": 9},
            ],
            "divisive": [{"contribution_id": made[2].id, "agree_ratios": [0.9, 0.1], "spread": 0.8}],
        },
    )
    session.add(run)
    session.flush()
    session.add_all(
        [
            RunTheme(
                run_id=run.id,
                key="0",
                label="données",
                terms=["données", "dossier", "recherche"],
                size=5,
                position=0,
                reference_theme_id="T06",
                reference_score=0.3,
                verbatims=[
                    {"contribution_id": made[1].id, "text": "x", "score": 0.9},
                    {"contribution_id": hidden.id, "text": "caché", "score": 0.8},
                ],
            ),
            RunTheme(
                run_id=run.id,
                key="0.1",
                parent_key="0",
                label="consentement",
                terms=["consentement"],
                size=3,
                position=0,
                verbatims=[{"contribution_id": made[1].id, "text": "x", "score": 0.9}],
            ),
            RunTheme(
                run_id=run.id,
                key="1",
                label="accès",
                terms=["accès", "mairie", "application"],
                size=4,
                position=1,
                reference_theme_id="T02",
                reference_score=0.4,
                verbatims=[{"contribution_id": made[6].id, "text": "masqué", "score": 0.7}],
            ),
            RunTheme(
                run_id=run.id,
                key="1.1",
                parent_key="1",
                label="bornes",
                terms=["bornes"],
                size=2,
                position=0,
                verbatims=[{"contribution_id": made[4].id, "text": "x", "score": 0.9}],
            ),
        ]
    )
    principles = {0: ["P05"], 1: ["P05", "P07"], 2: ["P07"], 3: ["P05"], 4: ["P12"], 5: ["P12"], 6: [], 7: ["P12"]}
    for n, contribution in enumerate(made):
        agree, disagree, passes = SEEN[n]
        session.add(
            RunContribution(
                run_id=run.id,
                contribution_id=contribution.id,
                status=ContributionStatus.PUBLISHED,
                theme_key="0" if n < 4 else "1",
                idea_key=("0.1" if n in (1, 2) else None) if n < 4 else ("1.1" if n in (4, 5) else None),
                principles=[{"id": p, "score": 0.8, "words": ["mot"]} for p in principles[n]],
                agree_count=agree,
                disagree_count=disagree,
                pass_count=passes,
            )
        )
    session.add(
        RunContribution(
            run_id=run.id,
            contribution_id=hidden.id,
            status=ContributionStatus.PUBLISHED,
            theme_key="0",
            idea_key="0.1",
            principles=[{"id": "P05", "score": 0.9, "words": []}],
            agree_count=9,
            disagree_count=0,
            pass_count=0,
        )
    )
    session.add_all(
        [
            RunOpinionGroup(
                run_id=run.id,
                number=0,
                size=8,
                center_x=-1.0,
                center_y=0.0,
                representative=[
                    {"contribution_id": made[2].id, "direction": "agree", "n_agree": 7, "n_disagree": 1, "n_seen": 8},
                    {"contribution_id": hidden.id, "direction": "agree", "n_agree": 5, "n_disagree": 0, "n_seen": 5},
                ],
            ),
            RunOpinionGroup(
                run_id=run.id,
                number=1,
                size=4,
                center_x=1.0,
                center_y=0.1,
                representative=[
                    {"contribution_id": made[2].id, "direction": "disagree", "n_agree": 0, "n_disagree": 4, "n_seen": 4}
                ],
            ),
        ]
    )
    hidden.status = ContributionStatus.HIDDEN
    session.add(hidden)
    session.commit()
    return StoredRun(consultation, run, made, hidden, made[6])
