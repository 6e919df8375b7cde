"""Analysts' open data pages and commands: permissions, check then import, download, command line."""

from __future__ import annotations

import html as html_module
import io
import zipfile
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from consult.models import Contribution, ImportBatch, ImportTask, Role
from tests.consult.opendata_support import write_polis

CSV = "texte\nUne première contribution recueillie en atelier.\nUne seconde sur papier.\n"


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body built by hand: the test client spools large uploads to a file it never closes."""
    boundary = "----consult-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(client, slug, data=CSV, name="atelier.csv", fmt="csv", **fields):
    return client.post(
        f"/consultations/{slug}/import",
        data={"format": fmt, "action": "check", "file": (io.BytesIO(data.encode()), name), **fields},
        content_type="multipart/form-data",
    )


def follow(app, client, response):
    """Wait for the background job a POST started, then open the task page it redirected to."""
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert app.extensions["consult.jobs"].wait(timeout=300)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return page.headers.get("Location") or response.headers["Location"], page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/consultations/{slug}/import", "/consultations/{slug}/donnees-ouvertes.zip"])
def test_pages_are_for_analysts_and_admins(client, make_user, make_consultation, sign_in, path):
    slug = make_consultation().slug
    url = path.format(slug=slug)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for role, expected in [(Role.CITIZEN, 403), (Role.MODERATOR, 403), (Role.ANALYST, 200), (Role.ADMIN, 200)]:
        sign_in(make_user(role))
        assert client.get(url).status_code == expected, role
    assert client.get(path.format(slug="nulle-part")).status_code == 404


def test_citizens_cannot_import(client, make_user, make_consultation, sign_in, session):
    consultation = make_consultation()
    sign_in(make_user(Role.CITIZEN))
    assert upload(client, consultation.slug).status_code == 403
    assert session.exec(select(Contribution)).all() == []


def test_check_then_import(app, client, make_user, make_consultation, sign_in, session):
    consultation = make_consultation()
    sign_in(make_user(Role.ANALYST))
    url, html = follow(app, client, upload(client, consultation.slug))
    assert "aucun problème" in html and "Importer 2 contributions" in html
    assert session.exec(select(Contribution)).all() == []  # the check writes nothing
    url, html = follow(app, client, client.post(url))
    assert "Import n°" in html and "2 contribution(s) et 0 vote(s) importés" in html
    assert [c.channel for c in session.exec(select(Contribution))] == ["import", "import"]
    page = client.get(f"/consultations/{consultation.slug}/import").get_data(as_text=True)
    assert "Imports précédents" in page and "atelier.csv" in page
    task = session.exec(select(ImportTask)).one()
    assert task.data == b"" and task.batch_id is not None  # the file is not kept once imported
    # Imported once: confirming again is refused.
    assert client.post(url).status_code == 409
    assert len(session.exec(select(Contribution)).all()) == 2


def test_progress_is_shown_while_the_task_runs(client, make_user, make_consultation, sign_in, session):
    consultation = make_consultation()
    user = sign_in(make_user(Role.ANALYST))
    task = ImportTask(
        token="t" * 32,
        consultation_id=consultation.id,
        user_id=user.id,
        source_name="a.csv",
        format="csv",
        data=b"texte\nUn\n",
        status="running",
        stage="screen",
        progress=40,
    )
    session.add(task)
    session.commit()
    url = f"/consultations/{consultation.slug}/import/{task.token}"
    html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html and 'hx-trigger="every 2s"' in html and 'value="40"' in html
    assert "Contrôle des données personnelles" in html
    task.updated_at = datetime(2020, 1, 1, tzinfo=UTC)  # its worker died long ago
    session.add(task)
    session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Le traitement a échoué" in html and "every 2s" not in html


def test_problems_are_listed_with_lines_and_nothing_is_imported(
    app, client, make_user, make_consultation, sign_in, session
):
    consultation = make_consultation()
    sign_in(make_user(Role.ANALYST))
    url, html = follow(
        app, client, upload(client, consultation.slug, data="texte,auteur\nBon texte,a\n,b\nUn autre,c,d\n")
    )
    assert "2 problèmes" in html
    assert "ligne 3 : texte vide." in html and "ligne 4 : 3 colonnes au lieu de 2." in html
    assert "Importer" not in html.split('id="import-task"', 1)[1].split("Vérifier un autre fichier")[0]
    assert client.post(url).status_code == 409
    assert session.exec(select(ImportBatch)).all() == []


def test_missing_text_column_names_the_form_field(app, client, make_user, make_consultation, sign_in):
    """The page's message told the analyst to use --text-column, an option of the command, not of this page."""
    consultation = make_consultation()
    sign_in(make_user(Role.ANALYST))
    _, page = follow(app, client, upload(client, consultation.slug, data="message,auteur\nUn texte assez long,a\n"))
    page = html_module.unescape(page)
    assert "champ « Colonne du texte » de la page d'import" in page and "colonnes du fichier : message, auteur" in page


def test_form_errors_keep_the_choices(client, make_user, make_consultation, sign_in):
    consultation = make_consultation()
    sign_in(make_user(Role.ANALYST))
    fields = {"format": "csv", "text_column": "réponse", "action": "check"}
    response = client.post(f"/consultations/{consultation.slug}/import", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choisissez un fichier." in html and 'value="réponse"' in html
    response = upload(client, consultation.slug, fmt="xls")
    assert response.status_code == 422 and "Choisissez un format." in response.get_data(as_text=True)


def test_someone_elses_task_is_not_found(app, client, make_user, make_consultation, sign_in, session):
    consultation = make_consultation()
    sign_in(make_user(Role.ANALYST))
    url, _ = follow(app, client, upload(client, consultation.slug))
    sign_in(make_user(Role.ANALYST))
    assert client.get(url).status_code == 404 and client.post(url).status_code == 404
    assert session.exec(select(Contribution)).all() == []
    other = make_consultation()
    assert client.get(url.replace(consultation.slug, other.slug)).status_code == 404


def test_uploads_larger_than_the_site_limit_are_accepted_up_to_the_import_limit(
    make_app, make_user, make_consultation, sign_in, app
):
    consultation = make_consultation()
    big = "texte\n" + "Une contribution assez longue pour remplir le fichier.\n" * 40_000  # ~2.2 MB
    small_app = make_app(IMPORT_MAX_BYTES=1_000_000)
    body, content_type = multipart({"format": "csv", "action": "check"}, "gros.csv", big.encode())
    for target, expected in [(app, 303), (small_app, 413)]:
        client = target.test_client()
        with client.session_transaction() as http_session:
            user = make_user(Role.ANALYST)
            http_session["user_id"], http_session["user_version"] = user.id, user.session_version
        response = client.post(f"/consultations/{consultation.slug}/import", data=body, content_type=content_type)
        assert response.status_code == expected


def test_import_needs_the_csrf_token(make_app, make_user, make_consultation):
    app = make_app(WTF_CSRF_ENABLED=True)
    consultation = make_consultation()
    client = app.test_client()
    with client.session_transaction() as http_session:
        user = make_user(Role.ANALYST)
        http_session["user_id"], http_session["user_version"] = user.id, user.session_version
    response = client.post(
        f"/consultations/{consultation.slug}/import",
        data={"format": "csv", "action": "check", "file": (io.BytesIO(CSV.encode()), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_polis_zip_upload(app, client, make_user, make_consultation, sign_in, session, tmp_path):
    consultation = make_consultation()
    folder = write_polis(tmp_path / "conv", [("0", "1", "1", "A first statement")], [(1, "0", "2", 1)])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, f"conv/{path.name}")
    sign_in(make_user(Role.ANALYST))
    response = client.post(
        f"/consultations/{consultation.slug}/import",
        data={"format": "polis", "action": "check", "file": (io.BytesIO(buffer.getvalue()), "conv.zip")},
        content_type="multipart/form-data",
    )
    _, html = follow(app, client, response)
    assert "1 vote(s), 2 participant(s)" in html


def test_download_open_data_zip(client, make_user, make_consultation, make_contribution, sign_in):
    consultation = make_consultation(slug="ma-consultation")
    make_contribution(consultation=consultation, title="Une idée publiée")
    sign_in(make_user(Role.ANALYST))
    response = client.get("/consultations/ma-consultation/donnees-ouvertes.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "ma-consultation-donnees-ouvertes.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert "ma-consultation-donnees-ouvertes/comments.csv" in archive.namelist()
    assert "Une idée publiée" in archive.read("ma-consultation-donnees-ouvertes/comments.csv").decode()


def test_command_line_import_and_export(runner, make_consultation, session, tmp_path):
    consultation = make_consultation(slug="atelier")
    bad = tmp_path / "bad.csv"
    bad.write_text('texte\nBon\n""\n', encoding="utf-8")
    bad.write_text("texte,x\nBon,1\n,2\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(bad), "--consultation", "atelier", "--format", "csv", "--dry-run"])
    assert result.exit_code == 1 and "ligne 3 : texte vide." in result.output
    good = tmp_path / "good.csv"
    good.write_text(CSV, encoding="utf-8")
    result = runner.invoke(args=["import", str(good), "--consultation", "atelier", "--format", "csv", "--dry-run"])
    assert result.exit_code == 0 and "rien n'a été enregistré" in result.output
    assert session.exec(select(Contribution)).all() == []
    result = runner.invoke(args=["import", str(good), "--consultation", "atelier", "--format", "csv"])
    assert result.exit_code == 0 and "2 contribution(s)" in result.output
    assert len(session.exec(select(Contribution)).all()) == 2
    result = runner.invoke(args=["import", str(good), "--consultation", "nulle-part", "--format", "csv"])
    assert result.exit_code == 1 and "aucune consultation" in result.output
    out = tmp_path / "od"
    result = runner.invoke(args=["export-opendata", "atelier", "--out", str(out)])
    assert result.exit_code == 0 and (out / "comments.csv").exists() and (out / "datapackage.json").exists()
    assert consultation.slug in (out / "README.md").read_text(encoding="utf-8")


def test_purge_forgets_tasks_after_a_day(session, make_user, make_consultation):
    from consult.opendata.tasks import purge_import_tasks

    consultation, user = make_consultation(), make_user(Role.ANALYST)
    for token, created in (("a" * 32, datetime(2026, 1, 1, tzinfo=UTC)), ("b" * 32, datetime(2026, 1, 3, tzinfo=UTC))):
        session.add(
            ImportTask(
                token=token,
                consultation_id=consultation.id,
                user_id=user.id,
                source_name="a.csv",
                format="csv",
                data=b"x",
                created_at=created,
            )
        )
    session.commit()
    now = datetime(2026, 1, 3, 12, tzinfo=UTC)
    assert purge_import_tasks(session=session, now=now, dry_run=True) == 1
    assert purge_import_tasks(session=session, now=now, dry_run=False) == 1
    session.commit()
    assert [t.token for t in session.exec(select(ImportTask))] == ["b" * 32]
