"""Analysis runs on the in-process worker thread: start from the site or the CLI, progress, results, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult.analysis.results import latest_run, load_run_results
from consult.analysis.runs import STALE_ERROR
from consult.models import (
    AnalysisRun,
    AutomaticLabel,
    ContributionPrinciple,
    LabelSource,
    Role,
    RunContribution,
    RunStatus,
    RunTheme,
    utcnow,
)
from tests.consult.analysis_support import STAFF_ROLES, wait_for_run


def _jobs(app):
    return app.extensions["consult.jobs"]


def _start(client, consultation, n_themes="3"):
    return client.post(f"/consultations/{consultation.slug}/analyses", data={"n_themes": n_themes})


@pytest.mark.slow
def test_moderator_runs_an_analysis_that_fills_results_and_automatic_labels(
    app, client, session, sign_in, make_user, corpus
):
    sign_in(make_user(Role.MODERATOR))
    author_labels_before = session.exec(
        select(ContributionPrinciple).where(ContributionPrinciple.source == LabelSource.AUTHOR)
    ).all()

    response = _start(client, corpus.consultation)

    assert response.status_code == 303
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _jobs(app).wait(timeout=300)
    run = wait_for_run(session, run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.backend == "thread" and run.job_id
    assert run.n_contributions == len(corpus.published) + len(corpus.pending)
    assert len(run.fingerprint) == 64 and run.versions["scikit-learn"] and run.timings["total"] > 0
    results = load_run_results(session=session, run=run)
    assert len(results.themes) == 3
    members = {cid for theme in results.themes for cid in theme.contribution_ids}
    assert members <= {c.id for c in corpus.published}  # pending contributions are labelled, not themed
    assert all(theme.verbatims for theme in results.themes)
    assert results.opinion_groups and len(results.opinions["points"]) == len(corpus.voters)
    # Every contribution, pending ones included, got automatic labels in the run's one commit.
    labels = {row.contribution_id: row for row in session.exec(select(AutomaticLabel))}
    assert set(labels) == {c.id for c in corpus.published + corpus.pending}
    assert all(row.run_id == run.id for row in labels.values())
    assert sum(1 for row in labels.values() if row.theme_id) >= len(labels) // 2
    nlp_rows = session.exec(select(ContributionPrinciple).where(ContributionPrinciple.source == LabelSource.NLP)).all()
    assert nlp_rows and all(row.words and 0 < row.score <= 1 for row in nlp_rows)
    # People's labels are untouched.
    author_labels_after = session.exec(
        select(ContributionPrinciple).where(ContributionPrinciple.source == LabelSource.AUTHOR)
    ).all()
    assert {(r.contribution_id, r.principle_id) for r in author_labels_after} == {
        (r.contribution_id, r.principle_id) for r in author_labels_before
    }
    page = client.get(f"/consultations/{corpus.consultation.slug}/analyses")
    assert page.status_code == 200
    assert results.themes[0].label in page.get_data(as_text=True)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_see_the_runs_page(client, sign_in, make_user, make_consultation, role):
    consultation = make_consultation()
    sign_in(make_user(role))
    response = client.get(f"/consultations/{consultation.slug}/analyses")
    assert response.status_code == 200
    assert "Lancer une analyse" in response.get_data(as_text=True)


def test_citizens_cannot_see_or_start_runs(client, session, sign_in, make_user, make_consultation):
    consultation = make_consultation()
    sign_in(make_user(Role.CITIZEN))
    assert client.get(f"/consultations/{consultation.slug}/analyses").status_code == 403
    assert _start(client, consultation).status_code == 403
    assert session.exec(select(AnalysisRun)).all() == []


def test_anonymous_visitors_are_sent_to_login(client, make_consultation):
    consultation = make_consultation()
    response = _start(client, consultation)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_unknown_consultation_or_run_is_404(client, sign_in, make_user, make_consultation):
    sign_in(make_user(Role.ANALYST))
    assert client.get("/consultations/nope/analyses").status_code == 404
    consultation = make_consultation()
    assert client.get(f"/consultations/{consultation.slug}/analyses/999").status_code == 404


def test_bad_number_of_themes_is_refused_in_french_and_kept(client, session, sign_in, make_user, make_consultation):
    consultation = make_consultation()
    sign_in(make_user(Role.ANALYST))
    response = _start(client, consultation, n_themes="mille")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "entre 2 et 40" in text and 'value="mille"' in text
    assert session.exec(select(AnalysisRun)).all() == []


def test_second_run_while_one_is_active_is_refused(client, session, sign_in, make_user, make_consultation):
    consultation = make_consultation()
    session.add(AnalysisRun(consultation_id=consultation.id, status=RunStatus.RUNNING, heartbeat_at=utcnow()))
    session.commit()
    sign_in(make_user(Role.MODERATOR))
    response = _start(client, consultation)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "déjà en cours" in page
    assert len(session.exec(select(AnalysisRun)).all()) == 1


def test_progress_is_polled_with_htmx_while_active_and_stops_after(
    client, session, sign_in, make_user, make_consultation
):
    consultation = make_consultation()
    run = AnalysisRun(
        consultation_id=consultation.id, status=RunStatus.RUNNING, heartbeat_at=utcnow(), step="themes", progress=55
    )
    session.add(run)
    session.commit()
    sign_in(make_user(Role.ANALYST))
    url = f"/consultations/{consultation.slug}/analyses/{run.id}"
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'hx-trigger="every 2s"' in fragment
    assert 'value="55"' in fragment and "Thèmes et idées" in fragment
    run.status, run.progress = RunStatus.SUCCEEDED, 100
    session.add(run)
    session.commit()
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in fragment and "Terminée" in fragment


def test_a_run_whose_worker_died_is_marked_failed_and_can_be_retried(
    app, client, session, sign_in, make_user, make_consultation
):
    consultation = make_consultation()
    dead = AnalysisRun(
        consultation_id=consultation.id,
        status=RunStatus.RUNNING,
        heartbeat_at=utcnow() - timedelta(seconds=app.config["ANALYSIS_STALE_SECONDS"] + 5),
        parameters={"n_themes": 2},
    )
    session.add(dead)
    session.commit()
    sign_in(make_user(Role.MODERATOR))

    page = client.get(f"/consultations/{consultation.slug}/analyses/{dead.id}").get_data(as_text=True)

    assert "En échec" in page and "interrompu" in page and "Relancer" in page
    session.expire_all()
    assert session.get(AnalysisRun, dead.id).error == STALE_ERROR
    response = client.post(f"/consultations/{consultation.slug}/analyses/{dead.id}/relancer")
    assert response.status_code == 303
    assert _jobs(app).wait(timeout=300)
    retried = session.exec(select(AnalysisRun).where(AnalysisRun.retry_of_id == dead.id)).one()
    assert retried.parameters == {"n_themes": 2}
    # No published contribution: the run still succeeds, with nothing to group.
    assert wait_for_run(session, retried.id).status == RunStatus.SUCCEEDED


def test_a_failing_run_shows_its_error_and_keeps_the_previous_results(app, client, session, sign_in, make_user, corpus):
    previous = AnalysisRun(consultation_id=corpus.consultation.id, status=RunStatus.SUCCEEDED, finished_at=utcnow())
    session.add(previous)
    session.commit()
    # Parameters a past version could have stored: the nlp library rejects them mid-run.
    broken = AnalysisRun(consultation_id=corpus.consultation.id, parameters={"n_themes": "beaucoup"})
    session.add(broken)
    session.commit()
    from consult.analysis.jobs import run_analysis

    with app.app_context():
        run_analysis(broken.id)

    failed = wait_for_run(session, broken.id)
    assert failed.status == RunStatus.FAILED and "beaucoup" in failed.error
    assert session.exec(select(RunContribution).where(RunContribution.run_id == broken.id)).all() == []
    assert session.exec(select(RunTheme).where(RunTheme.run_id == broken.id)).all() == []
    assert latest_run(session=session, consultation_id=corpus.consultation.id).id == previous.id
    sign_in(make_user(Role.ANALYST))
    page = client.get(f"/consultations/{corpus.consultation.slug}/analyses/{broken.id}").get_data(as_text=True)
    assert "beaucoup" in page and "restent ceux affichés" in page


def test_only_failed_runs_can_be_retried(client, session, sign_in, make_user, make_consultation):
    consultation = make_consultation()
    done = AnalysisRun(consultation_id=consultation.id, status=RunStatus.SUCCEEDED)
    session.add(done)
    session.commit()
    sign_in(make_user(Role.MODERATOR))
    response = client.post(f"/consultations/{consultation.slug}/analyses/{done.id}/relancer")
    assert response.status_code == 303
    assert "Seule une analyse en échec" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.slow
def test_cli_analyse_waits_and_reports(runner, session, corpus):
    result = runner.invoke(args=["analyse", corpus.consultation.slug, "--themes", "3", "--wait"])
    assert result.exit_code == 0, result.output
    assert "Analyse terminée" in result.output
    run = session.exec(select(AnalysisRun)).one()
    assert run.status == RunStatus.SUCCEEDED and run.requested_by_id is None


def test_cli_analyse_errors(runner, make_consultation):
    assert "aucune consultation" in runner.invoke(args=["analyse", "inconnue"]).output
    consultation = make_consultation()
    result = runner.invoke(args=["analyse", consultation.slug, "--themes", "1"])
    assert result.exit_code == 1 and "entre 2 et 40" in result.output


def test_analysis_index_lists_consultations_with_their_latest_run(
    client, session, sign_in, make_user, make_consultation
):
    consultation = make_consultation(title="Consultation analysée")
    session.add(AnalysisRun(consultation_id=consultation.id, status=RunStatus.FAILED, error="x"))
    session.commit()
    sign_in(make_user(Role.CITIZEN))
    assert client.get("/analyse/").status_code == 403
    sign_in(make_user(Role.ANALYST))
    page = client.get("/analyse/").get_data(as_text=True)
    assert "Consultation analysée" in page and "En échec" in page
    assert 'href="/analyse/"' in page  # the header links analysts to it
