"""Outgoing e-mail: messages rendered from templates/mail/ in the recipient's language, sent in the background.

One backend per process, chosen by `CONSULT_MAIL_BACKEND`:

* "console" (development default): the message is printed on the server's standard output;
* "folder": each message is written as an .eml file in `CONSULT_MAIL_FOLDER` (development, demonstrations);
* "smtp": sent to `CONSULT_MAIL_HOST` (production, where it is required; the tests run a real SMTP server
  on loopback).

Messages are rendered during the request (its language, the site's public address) and handed to an outbox
thread, so the page never waits for the mail server and answers in the same time whether a message is sent or
not (no way to tell from the timing whether an address has an account). A message that cannot be sent is logged
(without its content) and dropped: the person can ask again.
"""

from __future__ import annotations

from email.message import EmailMessage

from flask import Flask, current_app, render_template
from flask_babel import force_locale

from consult.mail.backends import BACKENDS, Outbox


def init_app(app: Flask) -> None:
    name = app.config["MAIL_BACKEND"]
    backend = BACKENDS[name](app.config)
    app.extensions["consult.mail"] = Outbox(backend, app.logger)


def outbox() -> Outbox:
    return current_app.extensions["consult.mail"]


def public_url(path: str) -> str:
    """An absolute link for a message: from CONSULT_PUBLIC_URL, never from the request's Host header.

    A Host header is chosen by whoever sends the request: a reset link built from it could point to another
    site and hand it the token.
    """
    base = current_app.config["PUBLIC_URL"]
    return base.rstrip("/") + path


def render_message(template: str, *, to: str, locale: str | None = None, **context) -> EmailMessage:
    """Render templates/mail/<template>.txt: its first line is the subject, the rest the body (plain text)."""
    with force_locale(locale or "fr"):
        text = render_template(f"mail/{template}.txt", service=current_app.config["SERVICE_NAME"], **context)
    subject, _, body = text.strip().partition("\n")
    message = EmailMessage()
    message["Subject"] = subject.strip()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Auto-Submitted"] = "auto-generated"  # no automatic replies (RFC 3834)
    message.set_content(body.strip() + "\n")
    return message


def send(template: str, *, to: str, locale: str | None = None, **context) -> None:
    """Render the message now and queue it for sending."""
    outbox().put(render_message(template, to=to, locale=locale, **context))
