"""Comment forms: CSRF and input retention; the rules (length, replies, status) live in services."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import Optional


class CommentForm(FlaskForm):
    body = TextAreaField()
    parent_id = IntegerField(validators=[Optional()])
    next = HiddenField()


class CommentEditForm(FlaskForm):
    body = TextAreaField()
    next = HiddenField()


class CommentDeleteForm(FlaskForm):
    next = HiddenField()
