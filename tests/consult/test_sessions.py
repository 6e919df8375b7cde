"""Session security: fixation, logout and password change end every copy of a session, production cookie flags,
and password-checking forms are rate limited (issue 10, defect 10 and "make the class impossible")."""

from __future__ import annotations

import pytest
from sqlmodel import SQLModel

from tests.consult.conftest import PASSWORD, PRODUCTION_CONFIG


def login(client, user, password=PASSWORD):
    response = client.post("/connexion", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.status_code
    return response


def cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, value: str):
    """A second browser (an attacker) holding a copy of the cookie `value`."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def signed_in(client) -> bool:
    return client.get("/compte/").status_code == 200


def test_logout_invalidates_every_copy_of_the_cookie(app, client, make_user):
    user = make_user()
    login(client, user)
    copied = cookie(client)
    assert signed_in(replay(app, copied))
    client.post("/deconnexion")
    assert not signed_in(client)
    assert not signed_in(replay(app, copied))  # the copy made before logout no longer works


def test_logout_ends_the_users_other_browsers_too(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    phone.post("/deconnexion")
    assert not signed_in(laptop)  # a copied cookie cannot be told from another browser: all end
    login(laptop, user)
    assert signed_in(laptop)


def test_session_fixation_a_cookie_planted_before_login_gives_nothing(app, client, make_user):
    user = make_user()
    client.get("/langue/en")  # the visitor has a session (language) before signing in
    planted = cookie(client)
    login(client, user)
    after = cookie(client)
    assert after != planted
    attacker = replay(app, planted)
    assert not signed_in(attacker)
    assert signed_in(client)
    with client.session_transaction() as http_session:
        assert set(http_session) <= {"user_id", "user_version", "lang", "_permanent", "_fresh", "csrf_token"}
        assert http_session["lang"] == "en"  # the language choice survives the fresh session


def csrf_token(client, path="/connexion") -> str:
    html = client.get(path).get_data(as_text=True)
    return html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_session_fixation_a_csrf_token_known_before_login_is_worthless_after(app, client, make_user):
    # An attacker who planted a cookie can read its CSRF token (the cookie is signed, not encrypted): the token of
    # the session before login must not be accepted on the signed-in session's forms.
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    planted = csrf_token(client)
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": planted})
    assert response.status_code == 302
    with client.session_transaction() as http_session:
        assert "csrf_token" not in http_session  # a new secret is drawn at the next form
    assert signed_in(client)
    change = {"current_password": PASSWORD, "new_password": "Un-autre-mot-de-passe-s0lide"}
    refused = client.post("/compte/mot-de-passe", data={**change, "csrf_token": planted})
    assert refused.status_code == 400 and "jeton de sécurité" in refused.get_data(as_text=True)
    fresh = csrf_token(client, "/compte/")
    assert fresh != planted
    assert client.post("/compte/mot-de-passe", data={**change, "csrf_token": fresh}).status_code == 302


def test_password_change_logs_out_the_other_sessions_only(app, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    new = "Un-autre-mot-de-passe-s0lide"
    response = here.post("/compte/mot-de-passe", data={"current_password": PASSWORD, "new_password": new})
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    login(elsewhere, user, new)


def test_deleted_account_session_is_over(app, client, make_user):
    user = make_user()
    login(client, user)
    copied = cookie(client)
    assert client.post("/compte/suppression", data={"password": PASSWORD}).status_code == 302
    assert not signed_in(client)
    assert not signed_in(replay(app, copied))


def test_production_cookie_flags(make_app, app, make_user):
    client = make_app(**PRODUCTION_CONFIG).test_client()
    response = login(client, make_user())
    set_cookie = response.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")}
    assert {"secure", "httponly", "samesite", "path", "expires"} <= attributes
    assert "SameSite=Lax" in set_cookie and "Path=/" in set_cookie
    assert "domain" not in attributes  # host-only: not sent to other subdomains


def test_development_cookie_is_httponly_but_not_secure(client, make_user):
    set_cookie = login(client, make_user()).headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "Secure" not in set_cookie


def test_a_tampered_cookie_is_ignored(app, client, make_user):
    login(client, make_user())
    value = cookie(client)
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert not signed_in(replay(app, forged))


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/compte/suppression", {"password": "mauvais"}),
        ("/compte/mot-de-passe", {"current_password": "mauvais", "new_password": "Un-autre-mot-de-passe-s0lide"}),
    ],
)
def test_password_checking_forms_are_rate_limited(make_app, app, make_user, path, data):
    limited = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN="3 per minute", RATE_LIMIT_WRITE="3 per minute")
    SQLModel.metadata.create_all(limited.extensions["consult.engine"])
    client = limited.test_client()
    login(client, make_user())
    codes = [client.post(path, data=data).status_code for _ in range(4)]
    assert codes[:3] == [422, 422, 422] and codes[3] == 429
