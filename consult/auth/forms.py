"""Sign-up, login and password forms: CSRF and input retention; the rules live in services."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField


class SignupForm(FlaskForm):
    email = StringField()
    pseudonym = StringField()
    password = PasswordField()
    consent = BooleanField()


class LoginForm(FlaskForm):
    email = StringField()
    password = PasswordField()
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField()
    new_password = PasswordField()


class EmailForm(FlaskForm):
    email = StringField()


class ConfirmForm(FlaskForm):
    """A button: following a mailed link only shows a page; the change happens on POST (link scanners GET)."""


class NewPasswordForm(FlaskForm):
    password = PasswordField()
