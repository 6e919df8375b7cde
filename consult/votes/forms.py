"""Vote form: CSRF and the submitted value; the rules live in services."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import AnyOf, InputRequired


class VoteForm(FlaskForm):
    # The value comes from the pressed button (name="value"), never typed: a bad one is a 400.
    value = IntegerField(validators=[InputRequired(), AnyOf([1, -1, 0])])
    next = HiddenField()
