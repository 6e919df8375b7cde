"""Admin user list and role assignment; every protected route answers 403 to the wrong roles."""

from html import unescape

import pytest

from consult.models import User


@pytest.mark.parametrize("role", ["citizen", "moderator", "analyst"])
def test_admin_pages_forbidden_to_other_roles(client, make_user, auth, role):
    auth.login(make_user(role=role))
    response = client.get("/admin/utilisateurs")
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)
    target = make_user()
    assert client.post(f"/admin/utilisateurs/{target.id}/role", data={"role": "admin"}).status_code == 403


def test_admin_pages_redirect_anonymous(client):
    assert client.get("/admin/utilisateurs").status_code == 302


def test_admin_lists_and_searches_users(client, make_user, auth):
    auth.login(make_user(role="admin"))
    make_user(pseudonym="Bérénice", email="berenice@example.fr")
    make_user(pseudonym="Octave", email="octave@example.fr")
    html = client.get("/admin/utilisateurs?q=bere").get_data(as_text=True)
    assert "Bérénice" in html and "Octave" not in html


def test_admin_sets_role(client, make_user, auth, session):
    auth.login(make_user(role="admin"))
    target = make_user()
    response = client.post(f"/admin/utilisateurs/{target.id}/role", data={"role": "moderator"})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(User, target.id).role == "moderator"
    # Roles in words, in the list and the confirmation, not their internal names (« modifié : moderator »)
    page = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f"Rôle de {target.pseudonym} modifié : Modérateur." in page
    assert '<option value="moderator" selected>Modérateur</option>' in page
    assert ">moderator</option>" not in page and ">citizen</option>" not in page


def test_admin_cannot_set_unknown_role_or_demote_self(client, make_user, auth, session):
    admin = make_user(role="admin")
    auth.login(admin)
    target = make_user()
    client.post(f"/admin/utilisateurs/{target.id}/role", data={"role": "dictator"})
    client.post(f"/admin/utilisateurs/{admin.id}/role", data={"role": "citizen"})
    session.expire_all()
    assert session.get(User, target.id).role == "citizen"
    assert session.get(User, admin.id).role == "admin"
    assert "retirer votre propre rôle" in client.get("/admin/utilisateurs").get_data(as_text=True)


def test_admin_role_unknown_user_404(client, make_user, auth):
    auth.login(make_user(role="admin"))
    assert client.post("/admin/utilisateurs/99999/role", data={"role": "moderator"}).status_code == 404
