"""The assistant's forms: CSRF and input retention; the rules live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired


class MessageForm(FlaskForm):
    text = TextAreaField()
    consultation = HiddenField()


class ActionForm(FlaskForm):
    action = HiddenField()


class VoteForm(FlaskForm):
    # WTForms no longer turns a ValueError into a field error: a bad value must fail as a ValidationError (400).
    value = IntegerField(validators=[InputRequired(), AnyOf([1, -1, 0])])


class DraftForm(FlaskForm):
    title = StringField()
    body = TextAreaField()
    redact_personal_data = BooleanField()
    send = BooleanField()


class LoginForm(FlaskForm):
    email = EmailField()
    password = PasswordField()


class SignupForm(FlaskForm):
    """The inline sign-up: field names differ from the login form's, both being on the page at once."""

    new_email = EmailField()
    new_pseudonym = StringField()
    new_password = PasswordField()
    consent = BooleanField()
