"""Sign-up, login, logout and password change: success, validation in French, input kept, sessions."""

import pytest
from sqlmodel import select

from consult.models import User
from tests.consult.conftest import PASSWORD

GOOD = {"email": "Alice@Example.fr", "pseudonym": "Alice B", "password": "Tres-bon-mot2passe", "consent": "y"}


def signup(client, **overrides):
    return client.post("/inscription", data={**GOOD, **overrides})


def test_signup_creates_an_account_to_confirm_by_email(client, session, mailbox):
    response = signup(client)
    assert (
        response.status_code == 303 and response.headers["Location"] == "/verifiez-votre-messagerie?reason=inscription"
    )
    user = session.exec(select(User).where(User.email == "alice@example.fr")).one()
    assert user.pseudonym == "Alice B"
    assert user.role == "citizen"
    assert user.password_hash.startswith("$argon2id$")
    assert user.privacy_consent_at is not None
    assert user.email_verified_at is None
    assert "Alice B" not in client.get("/").get_data(as_text=True)  # not signed in before confirming
    assert mailbox.wait_for("alice@example.fr")["Subject"] == "Confirmez votre adresse électronique"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "pas-une-adresse"}, "email", "Saisissez une adresse électronique valide"),
        ({"pseudonym": "ab"}, "pseudonym", "Le pseudonyme doit faire de 3 à 40 caractères"),
        ({"password": "court1A"}, "password", "au moins 12 caractères"),
        ({"password": "azertyuiop123"}, "password", "trop courant"),
        ({"password": "uniquementdeslettres"}, "password", "deux types de caractères"),
        ({"password": "alice-Example-2026"}, "password", "ne doit pas contenir votre adresse"),
        ({"consent": ""}, "consent", "accepter la politique de confidentialité"),
    ],
)
def test_signup_validation_keeps_input(client, session, overrides, field, message):
    data = {**GOOD, **overrides}
    if not data["consent"]:
        del data["consent"]
    response = client.post("/inscription", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-error"' in html
    # the user's input is kept (except the password, never echoed back)
    if field != "email":
        assert 'value="Alice@Example.fr"' in html
    if field != "pseudonym":
        assert 'value="Alice B"' in html
    assert GOOD["password"] not in html
    assert session.exec(select(User)).all() == []


def test_signup_duplicate_pseudonym_is_said_but_not_the_email(client, make_user):
    make_user(email="alice@example.fr", pseudonym="alice b")
    response = signup(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ce pseudonyme est déjà utilisé" in html  # pseudonyms are public anyway
    assert "existe déjà" not in html  # whether an address has an account is not (see test_accounts_by_mail)


def test_login_logout(client, make_user, auth):
    user = make_user()
    response = auth.login(user)
    assert response.status_code == 302
    assert user.pseudonym in client.get("/").get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert "Se connecter" in client.get("/").get_data(as_text=True)
    assert client.get("/compte/").status_code == 302


def test_login_wrong_password_says_so_in_french_and_keeps_email(client, make_user):
    user = make_user()
    response = client.post("/connexion", data={"email": user.email, "password": "mauvais-mot-de-passe"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Adresse électronique ou mot de passe incorrect." in html
    assert f'value="{user.email}"' in html


def test_login_unknown_email_same_message(client):
    response = client.post("/connexion", data={"email": "inconnu@example.fr", "password": PASSWORD})
    assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)


def test_login_redirects_to_next_but_not_offsite(client, make_user):
    user = make_user()
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD, "next": "/compte/"})
    assert response.headers["Location"] == "/compte/"
    client.post("/deconnexion")
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD, "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_protected_page_redirects_anonymous_to_login_with_next(client):
    response = client.get("/compte/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=/compte/")


def test_deleted_user_cannot_log_in(client, make_user, session):
    from consult.models import utcnow

    user = make_user()
    email = user.email
    user.deleted_at = utcnow()
    session.add(user)
    session.commit()
    response = client.post("/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 422


def test_password_change(client, make_user, auth, session):
    user = make_user()
    auth.login(user)
    new = "Un-nouveau-mot-2-passe"
    response = client.post("/compte/mot-de-passe", data={"current_password": PASSWORD, "new_password": new})
    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200  # this session stays valid
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 422
    assert auth.login(user, new).status_code == 302


def test_password_change_logs_out_other_sessions(app, make_user):
    user = make_user()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/connexion", data={"email": user.email, "password": PASSWORD})
    first.post("/compte/mot-de-passe", data={"current_password": PASSWORD, "new_password": "Un-nouveau-mot-2-passe"})
    assert first.get("/compte/").status_code == 200
    assert second.get("/compte/").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"current_password": "faux-mot-de-passe", "new_password": "Un-nouveau-mot-2-passe"},
            "Le mot de passe actuel est incorrect.",
        ),
        ({"current_password": PASSWORD, "new_password": "court"}, "au moins 12 caractères"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "doit être différent"),
    ],
)
def test_password_change_errors(client, make_user, auth, data, message):
    auth.login(make_user())
    response = client.post("/compte/mot-de-passe", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_password_page_requires_login(client):
    assert client.get("/compte/mot-de-passe").status_code == 302
