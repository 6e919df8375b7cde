"""RGPD rights: download everything held about me, delete my account (anonymised, contributions kept)."""

import json
import re

from consult.models import User
from tests.consult.conftest import PASSWORD


def test_my_data_downloads_json_with_account(client, make_user, auth):
    user = make_user()
    auth.login(user)
    response = client.get("/compte/mes-donnees.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == user.email
    assert data["account"]["pseudonym"] == user.pseudonym
    assert data["account"]["privacy_consent_at"]
    assert "password_hash" not in json.dumps(data)


def test_my_data_requires_login(client):
    assert client.get("/compte/mes-donnees.json").status_code == 302


def test_delete_account_erases_personal_data(client, make_user, auth, session):
    user = make_user()
    auth.login(user)
    response = client.post("/compte/suppression", data={"password": PASSWORD})
    assert response.status_code == 302
    session.expire_all()
    deleted = session.get(User, user.id)
    assert deleted.email is None and deleted.password_hash is None
    assert re.fullmatch(r"anonyme-[0-9a-f]{24}", deleted.pseudonym)  # random: no internal id
    assert deleted.deleted_at is not None
    assert client.get("/compte/").status_code == 302  # logged out


def test_delete_account_wrong_password_keeps_everything(client, make_user, auth, session):
    user = make_user()
    auth.login(user)
    response = client.post("/compte/suppression", data={"password": "pas-le-bon"})
    assert response.status_code == 422
    assert "Mot de passe incorrect" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).email == user.email


def test_deleted_account_frees_email_for_a_new_signup(client, make_user, auth):
    user = make_user(email="reprise@example.fr")
    auth.login(user)
    client.post("/compte/suppression", data={"password": PASSWORD})
    response = client.post(
        "/inscription",
        data={
            "email": "reprise@example.fr",
            "pseudonym": "Nouvelle personne",
            "password": "Tres-bon-mot2passe",
            "consent": "y",
        },
    )
    assert response.status_code == 303  # a new account, to confirm by e-mail
