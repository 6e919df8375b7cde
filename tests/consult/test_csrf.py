"""CSRF: every POST route of the application refuses a request without a valid token."""

import pytest
from werkzeug.routing import IntegerConverter

from tests.consult.conftest import PASSWORD


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _post_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            yield rule


def _sample_url(rule):
    values = {arg: (1 if isinstance(rule._converters[arg], IntegerConverter) else "x") for arg in rule.arguments}
    return rule.rule if not values else __import__("flask").url_for(rule.endpoint, **values)


def test_every_post_route_requires_a_csrf_token(csrf_app, make_user):
    user = make_user(role="admin")
    client = csrf_app.test_client()
    # sign in through a real form with its token, so that protected routes reach the CSRF check
    html = client.get("/connexion").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert (
        client.post("/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token}).status_code
        == 302
    )
    rules = list(_post_rules(csrf_app))
    assert len(rules) >= 5
    with csrf_app.test_request_context():
        urls = [(_sample_url(rule), rule.endpoint) for rule in rules]
    for url, endpoint in urls:
        if endpoint == "auth.logout":
            continue  # checked last: it would end the session
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, (endpoint, response.status_code)
        assert "jeton de sécurité" in response.get_data(as_text=True)
    assert client.post("/deconnexion").status_code == 400


def test_forms_render_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    for path in ["/inscription", "/connexion"]:
        assert 'name="csrf_token"' in client.get(path).get_data(as_text=True)
