"""Contribution forms (CSRF and input retention; the rules live in services) and list filters from the URL."""

from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField

from consult.contributions.listing import DEFAULT_SORT, RELEVANCE, SORTS, ListFilters
from consult.models import ContributionStatus


class ContributionForm(FlaskForm):
    title = StringField()
    body = TextAreaField()
    theme = StringField()
    principles = SelectMultipleField(validate_choice=False)
    redact_personal_data = BooleanField()


class WithdrawForm(FlaskForm):
    confirm = HiddenField(default="1")


def parse_filters(args: MultiDict) -> ListFilters:
    """Read the list filters from the query string; unknown sorts and statuses fall back to the defaults."""
    status = args.get("status", "").strip()
    sort = args.get("sort", "").strip()
    return ListFilters(
        status=status if status in set(ContributionStatus) else ContributionStatus.PUBLISHED,
        theme=args.get("theme", "").strip()[:4],
        principle=args.get("principle", "").strip()[:4],
        q=args.get("q", "").strip()[:200],
        sort=sort if sort in SORTS or sort == RELEVANCE else DEFAULT_SORT,
    )
