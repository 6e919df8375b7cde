"""Flag form: CSRF and input retention; the reasons and rules live in services."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField


class FlagForm(FlaskForm):
    reason = StringField()
    details = TextAreaField()
    next = HiddenField()
