"""Accounts confirmed by e-mail, uniform sign-up and login answers, password reset (issue 10, defect 7).

Every message goes through a real SMTP server on loopback (aiosmtpd, the `mailbox` fixture).
"""

from __future__ import annotations

import logging
import re
import time
from email.message import EmailMessage

import itsdangerous.timed
import pytest
from sqlmodel import func, select

from consult.config import ConfigError
from consult.mail.backends import ConsoleBackend, FolderBackend
from consult.models import User
from tests.consult.conftest import PASSWORD, link_in

NEW_PASSWORD = "Un-nouveau-mot-de-passe-9"
FORM = {"email": "camille@example.fr", "pseudonym": "Camille", "password": PASSWORD, "consent": "y"}


def sign_up(client, **changes):
    return client.post("/inscription", data={**FORM, **changes})


def log_in(client, email, password=PASSWORD):
    return client.post("/connexion", data={"email": email, "password": password})


def _without_tokens(response) -> str:
    # Each browser gets its own CSRF token; everything else must be identical.
    return re.sub(
        r'("X-CSRFToken": "|name="csrf_token" type="hidden" value=")[^"]+', r"\1…", response.get_data(as_text=True)
    )


def count_users(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(User)).one()


def test_sign_up_confirm_then_sign_in(client, session, mailbox):
    assert sign_up(client).status_code == 303
    assert log_in(client, FORM["email"]).status_code == 422  # not before the address is confirmed
    message = mailbox.wait_for(FORM["email"])
    assert message["Subject"] == "Confirmez votre adresse électronique"
    assert message["From"] == "Consultation test <ne-pas-repondre@example.fr>"
    assert "Bonjour Camille," in message.get_content()
    path = link_in(message)
    page = client.get(path)  # following the link only shows a button: mail scanners GET links
    assert page.status_code == 200 and "Confirmer mon adresse" in page.get_data(as_text=True)
    assert session.exec(select(User.email_verified_at)).one() is None
    assert client.post(path).headers["Location"] == "/connexion"
    assert log_in(client, FORM["email"]).status_code == 302
    assert client.post(path).status_code == 404  # single use
    assert "Lien expiré ou déjà utilisé" in client.get(path).get_data(as_text=True)


def test_sign_up_answers_alike_whether_or_not_the_address_has_an_account(app, session, make_user, mailbox):
    owner = make_user(email="owner@example.fr", pseudonym="Propriétaire")
    answers = []
    for email, pseudonym in (("owner@example.fr", "Intrus"), ("nobody@example.fr", "Nouveau")):
        client = app.test_client()
        response = sign_up(client, email=email, pseudonym=pseudonym)
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], _without_tokens(page)))
    assert answers[0] == answers[1]
    # Only the owner learns that someone tried, and nothing changed for their account.
    notice = mailbox.wait_for("owner@example.fr")
    assert notice["Subject"] == "Vous avez déjà un compte"
    assert "/connexion" in notice.get_content() and "/mot-de-passe-oublie" in notice.get_content()
    session.refresh(owner)
    assert owner.pseudonym == "Propriétaire" and log_in(app.test_client(), owner.email).status_code == 302
    assert session.exec(select(User).where(User.pseudonym == "Intrus")).first() is None
    assert mailbox.wait_for("nobody@example.fr")["Subject"] == "Confirmez votre adresse électronique"


def test_login_answers_alike_for_an_unknown_address_and_a_wrong_password(client, make_user, mailbox):
    user = make_user()
    unknown = log_in(client, "inconnu@example.fr")
    wrong = log_in(client, user.email, "Mauvais-mot-de-passe-1")
    assert unknown.status_code == wrong.status_code == 422
    assert _without_tokens(unknown).replace("inconnu@example.fr", user.email) == _without_tokens(wrong)


def test_unconfirmed_account_gets_a_new_link_only_with_the_right_password(client, session, mailbox):
    sign_up(client)
    mailbox.wait_for(FORM["email"])
    assert "incorrect" in log_in(client, FORM["email"], "Mauvais-mot-de-passe-1").get_data(as_text=True)
    response = log_in(client, FORM["email"])
    assert "Confirmez d'abord votre adresse" in response.get_data(as_text=True).replace("&#39;", "'")
    fresh = mailbox.wait_for(FORM["email"], count=2)
    assert len(mailbox.to(FORM["email"])) == 2
    assert client.post(link_in(fresh)).status_code == 303


def test_a_new_sign_up_replaces_an_unconfirmed_one(app, session, mailbox):
    first, second = app.test_client(), app.test_client()
    sign_up(first, pseudonym="Premier essai")
    old_link = link_in(mailbox.wait_for(FORM["email"]))
    sign_up(second, pseudonym="Second essai", password=NEW_PASSWORD)
    new_link = link_in(mailbox.wait_for(FORM["email"], count=2))
    assert count_users(session) == 1
    assert second.post(old_link).status_code == 404  # the earlier attempt's link gives nothing
    assert second.post(new_link).status_code == 303
    assert log_in(second, FORM["email"], NEW_PASSWORD).status_code == 302
    assert session.exec(select(User.pseudonym)).one() == "Second essai"


def test_confirmation_links_expire(app, client, session, mailbox, monkeypatch):
    real_time = time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 73 * 3600)
    sign_up(client)  # the link is dated 73 hours ago: past the 72 hours
    message = mailbox.wait_for(FORM["email"])
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    assert client.post(link_in(message)).status_code == 404
    assert session.exec(select(User.email_verified_at)).one() is None


@pytest.mark.parametrize("token", ["x", "a" * 300, "WzEsImFiYyJd.Zz.sig", "%00", "..%2F..%2Fetc"])
def test_forged_links_are_404(client, token):
    for path in (f"/confirmation/{token}", f"/mot-de-passe/nouveau/{token}"):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 404


# Password reset


def test_password_reset_journey(app, session, make_user, mailbox):
    user = make_user()
    elsewhere = app.test_client()
    log_in(elsewhere, user.email)
    client = app.test_client()
    response = client.post("/mot-de-passe-oublie", data={"email": user.email.upper()})
    assert response.headers["Location"] == "/verifiez-votre-messagerie?reason=mot-de-passe"
    message = mailbox.wait_for(user.email)
    assert message["Subject"] == "Choisir un nouveau mot de passe"
    path = link_in(message)
    weak = client.post(path, data={"password": "court"})
    assert weak.status_code == 422 and "au moins 12 caractères" in weak.get_data(as_text=True)
    assert client.post(path, data={"password": NEW_PASSWORD}).headers["Location"] == "/connexion"
    assert client.get("/compte/", follow_redirects=False).status_code == 302
    assert elsewhere.get("/compte/").status_code == 302  # every session ended
    assert log_in(client, user.email).status_code == 422  # the old password is gone
    assert log_in(client, user.email, NEW_PASSWORD).status_code == 302
    assert client.post(path, data={"password": "Encore-un-autre-9x"}).status_code == 404  # single use


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(app, make_user, mailbox):
    user = make_user()
    known = app.test_client().post("/mot-de-passe-oublie", data={"email": user.email})
    unknown = app.test_client().post("/mot-de-passe-oublie", data={"email": "personne@example.fr"})
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    mailbox.wait_for(user.email)
    time.sleep(0.3)
    assert mailbox.to("personne@example.fr") == []
    odd = app.test_client().post("/mot-de-passe-oublie", data={"email": "a\r\nBcc: x@example.fr"})
    assert odd.status_code == 303  # never a header built from what was typed


def test_password_reset_links_expire_after_an_hour(client, make_user, mailbox, monkeypatch):
    user = make_user()
    real_time = time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 61 * 60)
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    message = mailbox.wait_for(user.email)
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    assert client.post(link_in(message), data={"password": NEW_PASSWORD}).status_code == 404


def test_a_reset_confirms_an_unconfirmed_address(client, session, mailbox):
    sign_up(client)
    mailbox.wait_for(FORM["email"])
    client.post("/mot-de-passe-oublie", data={"email": FORM["email"]})
    reset = mailbox.wait_for(FORM["email"], count=2)
    client.post(link_in(reset), data={"password": NEW_PASSWORD})
    assert log_in(client, FORM["email"], NEW_PASSWORD).status_code == 302


def test_links_use_the_public_url_never_the_host_header(make_app, app, make_user, mailbox):
    client = make_app(PUBLIC_URL="https://consultation.example.fr").test_client()
    user = make_user()
    client.post("/mot-de-passe-oublie", data={"email": user.email}, headers={"Host": "attaquant.example"})
    content = mailbox.wait_for(user.email).get_content()
    assert "https://consultation.example.fr/mot-de-passe/nouveau/" in content and "attaquant" not in content


def test_messages_are_in_the_language_of_the_page_or_of_the_owner(app, make_user, mailbox):
    client = app.test_client()
    client.get("/langue/en")
    sign_up(client)
    assert mailbox.wait_for(FORM["email"])["Subject"] == "Confirm your email address"
    owner = make_user(locale="en")
    sign_up(app.test_client(), email=owner.email, pseudonym="Quelqu'un")  # a French page, an English owner
    assert mailbox.wait_for(owner.email)["Subject"] == "You already have an account"


def test_a_recipient_cannot_be_flooded(make_app, app, make_user, mailbox):
    limited = make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1, RATE_LIMIT_MAIL_PER_ADDRESS="3 per hour")
    user = make_user()
    codes = []
    for n in range(4):  # four different clients, one address
        client = limited.test_client()
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}
        codes.append(client.post("/mot-de-passe-oublie", data={"email": user.email}, headers=headers).status_code)
    assert codes == [303, 303, 303, 429]
    other = limited.test_client().post("/mot-de-passe-oublie", data={"email": "autre@example.fr"})
    assert other.status_code == 303


def test_an_unreachable_mail_server_changes_nothing_for_the_visitor(make_app, app, session, caplog):
    broken = make_app(MAIL_PORT=1)  # nothing listens there
    with caplog.at_level(logging.ERROR):
        response = sign_up(broken.test_client())
        assert response.status_code == 303
        assert broken.extensions["consult.mail"].wait(10)
    assert "e-mail not sent" in caplog.text and FORM["email"] not in caplog.text
    assert count_users(session) == 1  # the visitor can ask for a new link by signing in


# Backends and production settings


def _message() -> EmailMessage:
    message = EmailMessage()
    message["Subject"], message["To"], message["From"] = "Sujet", "a@example.fr", "b@example.fr"
    message.set_content("Corps du message, accentué.\n")
    return message


def test_console_backend_prints_readable_messages(capsys):
    ConsoleBackend({}).deliver(_message())
    out = capsys.readouterr().out
    assert "Subject: Sujet" in out and "Corps du message, accentué." in out


def test_folder_backend_writes_eml_files(tmp_path):
    FolderBackend({"MAIL_FOLDER": str(tmp_path / "mail")}).deliver(_message())
    [written] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject: Sujet" in written.read_bytes()


PRODUCTION = {"ENV": "production", "SECRET_KEY": "p" * 48, "PUBLIC_URL": "https://consultation.example.fr"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"MAIL_BACKEND": "console"}, "CONSULT_MAIL_BACKEND=smtp is required"),
        ({"MAIL_BACKEND": "folder"}, "CONSULT_MAIL_BACKEND=smtp is required"),
        ({"MAIL_BACKEND": "pigeon"}, "CONSULT_MAIL_BACKEND must be"),
        ({"MAIL_HOST": "smtp.example.fr", "MAIL_SECURITY": "none"}, "CONSULT_MAIL_SECURITY=none"),
        ({"PUBLIC_URL": ""}, "CONSULT_PUBLIC_URL"),
        ({"PUBLIC_URL": "http://consultation.example.fr"}, "CONSULT_PUBLIC_URL"),
    ],
)
def test_production_refuses_unsafe_mail_settings(make_app, app, changes, message):
    with pytest.raises(ConfigError, match=message):
        make_app(**(PRODUCTION | changes))


def test_production_accepts_smtp_with_tls(make_app, app):
    make_app(**PRODUCTION, MAIL_HOST="smtp.example.fr", MAIL_SECURITY="starttls")


def test_unconfirmed_accounts_are_erased_after_a_week(runner, session, make_user):
    from datetime import timedelta

    from consult.models import utcnow

    stale = make_user(email_verified_at=None, created_at=utcnow() - timedelta(days=8))
    recent = make_user(email_verified_at=None, created_at=utcnow() - timedelta(days=6))
    confirmed = make_user(created_at=utcnow() - timedelta(days=400))
    dry = runner.invoke(args=["purge", "--dry-run", "--only", "comptes jamais confirmés"])
    assert "comptes jamais confirmés : 1 à traiter" in dry.output
    assert count_users(session) == 3
    ids = stale.id, recent.id, confirmed.id
    assert runner.invoke(args=["purge", "--only", "comptes jamais confirmés"]).exit_code == 0
    session.expire_all()
    assert [session.get(User, user_id) is not None for user_id in ids] == [False, True, True]
