"""What every published document shares: the public address of pages, and which contributions may be shown."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from consult.analysis.services import find_personal_data_many
from consult.models import Contribution
from consult.visibility import published_contributions

# Placeholder id used to turn a route into a template (routes take integers).
_ID = 987654321


@dataclass(frozen=True)
class PublicLinks:
    """Absolute addresses on the public site (config PUBLIC_URL), the same from the site and the command line."""

    consultation_template: str
    contribution_template: str

    def consultation(self, slug: str) -> str:
        return self.consultation_template.replace("__slug__", slug)

    def contribution(self, contribution_id: int) -> str:
        return self.contribution_template.replace(str(_ID), str(contribution_id))


def public_links() -> PublicLinks:
    """Build the link templates from the routes, on the configured public address (app context needed)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    with current_app.test_request_context("/", base_url=base):
        return PublicLinks(
            consultation_template=url_for("consultations.detail", slug="__slug__", _external=True),
            contribution_template=url_for("contributions.detail", contribution_id=_ID, _external=True),
        )


def published_condition(consultation_id: int):
    """The contributions a published document may show: the consultation's published ones (consult.visibility)."""
    return (Contribution.consultation_id == consultation_id) & published_contributions()


def mask_personal_data(texts: list[str]) -> list[str]:
    """The texts with any personal data the detector still finds masked, as the site masks it at submission.

    Published texts were screened when submitted (and moderators redact what the detector missed); documents
    that leave the site for good (open data, syntheses) are screened once more, so that a text published
    before a detector improvement, or imported, never carries a detectable phone number or health disclosure.
    """
    return [
        found.redacted if found else text for text, found in zip(texts, find_personal_data_many(texts), strict=True)
    ]
