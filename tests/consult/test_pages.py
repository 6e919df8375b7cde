"""Public pages, security headers and DSFR error pages."""

import pytest


@pytest.mark.parametrize(
    "path",
    ["/", "/consultations/", "/confidentialite", "/accessibilite", "/mentions-legales", "/inscription", "/connexion"],
)
def test_public_pages_render_with_unique_title(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert 'href="#contenu"' in html and 'id="contenu"' in html
    assert "Consultation citoyenne — numérique en santé" in html
    assert html.count("<title>") == 1


def test_titles_differ_between_pages(client):
    titles = set()
    for path in [
        "/",
        "/consultations/",
        "/confidentialite",
        "/accessibilite",
        "/mentions-legales",
        "/inscription",
        "/connexion",
    ]:
        html = client.get(path).get_data(as_text=True)
        titles.add(html.split("<title>")[1].split("</title>")[0])
    assert len(titles) == 7


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_consultation_page_renders_markdown_safely(client, make_consultation):
    consultation = make_consultation(description="**gras** <script>alert(1)</script> [lien](javascript:alert(1))")
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "<strong>gras</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert 'href="javascript:' not in html


def test_home_lists_consultations_by_status(client, make_consultation):
    from datetime import timedelta

    from consult.models import utcnow

    now = utcnow()
    make_consultation(title="Ouverte maintenant")
    make_consultation(title="Bientôt", opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=30))
    make_consultation(title="Finie", opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1))
    html = client.get("/").get_data(as_text=True)
    assert html.index("Consultations ouvertes") < html.index("Ouverte maintenant") < html.index("Consultations à venir")
    assert html.index("Bientôt") < html.index("Consultations terminées") < html.index("Finie")


def test_404_is_a_dsfr_page(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page non trouvée" in response.get_data(as_text=True)


def test_unknown_consultation_404(client):
    assert client.get("/consultations/inconnue").status_code == 404


def test_405_page_lists_allowed_methods(client):
    response = client.post("/confidentialite")
    assert response.status_code == 405
    assert "Méthode non autorisée" in response.get_data(as_text=True)
    assert "GET" in response.headers["Allow"]


def test_413_for_oversized_request(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/connexion", data={"email": "x" * 500, "password": "y"})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.get_data(as_text=True)


def test_500_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    from consult.errors import handle_unexpected

    app.register_error_handler(Exception, handle_unexpected)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Erreur inattendue" in response.get_data(as_text=True)


def test_static_assets_are_installed(client):
    for path in [
        "/static/vendor/dsfr/dsfr.min.css",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/dsfr/dsfr.module.min.js",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_french_plurals_follow_the_french_rule(app):
    from flask_babel import ngettext

    with app.test_request_context():
        assert ngettext("%(num)d vote", "%(num)d votes", 0) == "0 vote"
        assert ngettext("%(num)d vote", "%(num)d votes", 1) == "1 vote"
        assert ngettext("%(num)d vote", "%(num)d votes", 2) == "2 votes"
