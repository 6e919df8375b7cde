"""The authorisation matrix, generated from the URL map: every route × every kind of visitor × every status of the
contribution or comment it names, against one policy table.

Each route must be listed in POLICY (a new route without a declared policy fails the test), and for every request:

- a visitor who must sign in is sent to the login page; a role that is not allowed gets a 403; content the
  visitor may not read (consult.visibility) is a 404, and someone else's content for author-only actions a 403;
- nothing answers 5xx;
- no response (HTML, JSON, CSV, the open data ZIP) holds the text of a contribution or comment that this visitor
  may not read, whatever the route.

POST requests carry an empty form: they test who gets through the door, not the forms (other tests do that).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import pytest

from consult.comments.services import change_status, create_comment
from consult.models import Comment, CommentStatus, Contribution, ContributionStatus, Role, User
from consult.visibility import comment_visible_to, contribution_visible_to

PUBLIC = "public"
SIGNED_IN = "signed-in"
MODERATORS = frozenset({Role.MODERATOR})  # admins always pass role checks too
STAFF = frozenset({Role.MODERATOR, Role.ANALYST})
ANALYSTS = frozenset({Role.ANALYST})
ADMINS = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Policy:
    who: str | frozenset  # PUBLIC, SIGNED_IN or the roles allowed
    content: str | None = None  # "contribution" or "comment": the id in the URL is checked against visibility
    own: bool = False  # only the author of that content (after visibility)
    probe_post: bool = True  # False: allowed POSTs would start real work (analysis, model training): not sent


POLICY: dict[str, Policy] = {
    "static": Policy(PUBLIC),
    "pages.index": Policy(PUBLIC),
    "pages.accessibility": Policy(PUBLIC),
    "pages.privacy": Policy(PUBLIC),
    "pages.legal": Policy(PUBLIC),
    "pages.contact": Policy(PUBLIC),
    "pages.set_language": Policy(PUBLIC),
    "taxonomy.index": Policy(PUBLIC),
    "consultations.index": Policy(PUBLIC),
    "consultations.detail": Policy(PUBLIC),
    "contributions.index": Policy(PUBLIC),
    "contributions.detail": Policy(PUBLIC, "contribution"),
    "contributions.new": Policy(SIGNED_IN),
    "contributions.edit": Policy(SIGNED_IN, "contribution", own=True),
    "contributions.withdraw": Policy(SIGNED_IN, "contribution", own=True),
    "contributions.mine": Policy(SIGNED_IN),
    "analysis.similar": Policy(PUBLIC),
    "votes.vote": Policy(SIGNED_IN, "contribution"),
    "comments.thread": Policy(PUBLIC, "contribution"),
    "comments.create": Policy(SIGNED_IN, "contribution"),
    "comments.edit": Policy(SIGNED_IN, "comment", own=True),
    "comments.delete": Policy(SIGNED_IN, "comment", own=True),
    "flags.flag_contribution": Policy(SIGNED_IN, "contribution"),
    "flags.flag_comment": Policy(SIGNED_IN, "comment"),
    "auth.signup": Policy(PUBLIC),
    "auth.login": Policy(PUBLIC),
    "auth.logout": Policy(PUBLIC),
    "auth.check_mail": Policy(PUBLIC),
    "auth.confirm_email": Policy(PUBLIC),
    "auth.forgot_password": Policy(PUBLIC),
    "auth.reset_password": Policy(PUBLIC),
    "auth.change_password": Policy(SIGNED_IN),
    "account.index": Policy(SIGNED_IN),
    "account.my_data": Policy(SIGNED_IN),
    "account.delete": Policy(SIGNED_IN),
    "api.consultations": Policy(PUBLIC),
    "api.consultation": Policy(PUBLIC),
    "api.consultation_analysis": Policy(PUBLIC),
    "api.contributions": Policy(PUBLIC),
    "api.contribution": Policy(PUBLIC, "contribution"),
    "api.contribution_votes": Policy(PUBLIC, "contribution"),
    "api.openapi": Policy(PUBLIC),
    "api.taxonomy": Policy(PUBLIC),
    "assistant.index": Policy(PUBLIC),
    "assistant.message": Policy(PUBLIC, probe_post=False),
    "assistant.action": Policy(PUBLIC),
    "assistant.draft": Policy(PUBLIC),
    "assistant.login": Policy(PUBLIC),
    "assistant.signup": Policy(PUBLIC),
    "assistant.delete": Policy(PUBLIC),
    "assistant.vote": Policy(PUBLIC, "contribution"),
    "moderation.index": Policy(MODERATORS),
    "moderation.panel": Policy(MODERATORS, "contribution"),
    "moderation.act": Policy(MODERATORS, "contribution"),
    "moderation.contribution_journal": Policy(MODERATORS, "contribution"),
    "moderation.comment_panel": Policy(MODERATORS, "comment"),
    "moderation.act_on_comment": Policy(MODERATORS, "comment"),
    "moderation.bulk": Policy(MODERATORS),
    "moderation.journal": Policy(MODERATORS),
    "moderation.journal_csv": Policy(MODERATORS),
    "analysis.index": Policy(STAFF),
    "analysis.run_list": Policy(STAFF),
    "analysis.start": Policy(STAFF, probe_post=False),
    "analysis.run_detail": Policy(STAFF),
    "analysis.retry": Policy(STAFF, probe_post=False),
    "analysis.learning_page": Policy(STAFF),
    "analysis.retrain": Policy(MODERATORS, probe_post=False),
    "dashboard.index": Policy(ANALYSTS),
    "dashboard.show": Policy(ANALYSTS),
    "reports.download": Policy(ANALYSTS),
    "opendata.import_form": Policy(ANALYSTS),
    "opendata.import_submit": Policy(ANALYSTS, probe_post=False),
    "opendata.import_task": Policy(ANALYSTS),
    "opendata.import_confirm": Policy(ANALYSTS, probe_post=False),
    "opendata.export_zip": Policy(ANALYSTS),
    "admin.users": Policy(ADMINS),
    "admin.set_role": Policy(ADMINS),
    "admin_consultations.index": Policy(ADMINS),
    "admin_consultations.create": Policy(ADMINS),
    "admin_consultations.edit": Policy(ADMINS),
}

# "author" wrote every contribution, "commenter" every comment.
VISITORS = ("anonymous", "citizen", "author", "commenter", "moderator", "analyst", "admin")
FILLERS = {"lang": "en", "token": "lien-invalide", "fmt": "json", "action": "publier", "run_id": "1"}


@dataclass
class World:
    slug: str
    users: dict[str, User | None]
    contributions: dict[str, Contribution]  # by status
    comments: dict[str, tuple[Comment, Contribution]]  # "<contribution status>/<comment status>"
    seeded: dict  # what to put back after each POST


def _secret(kind: str, key: str) -> str:
    return f"SECRET-{kind}-{key}-7Q"


@pytest.fixture
def world(session, make_user, make_consultation) -> World:
    consultation = make_consultation(slug="matrice")
    author, commenter = make_user(pseudonym="Auteur matrice"), make_user(pseudonym="Commentateur matrice")
    users = {
        "anonymous": None,
        "citizen": make_user(),
        "author": author,
        "commenter": commenter,
        "moderator": make_user(Role.MODERATOR),
        "analyst": make_user(Role.ANALYST),
        "admin": make_user(Role.ADMIN),
    }
    contributions, comments = {}, {}
    for status in ContributionStatus:
        contribution = Contribution(
            consultation_id=consultation.id,
            author_id=author.id,
            title=_secret("title", status),
            body=_secret("body", status) + " une proposition assez longue pour être valable.",
            status=ContributionStatus.PUBLISHED,
        )
        session.add(contribution)
        session.flush()
        for comment_status in (CommentStatus.PUBLISHED, CommentStatus.PENDING, CommentStatus.HIDDEN):
            key = f"{status}/{comment_status}"
            comment = create_comment(
                session=session, contribution=contribution, author=commenter, body=_secret("comment", key)
            )
            change_status(session=session, comment=comment, status=comment_status)
            comments[key] = (comment, contribution)
        contribution.status = status
        contributions[status] = contribution
    duplicate = contributions[ContributionStatus.DUPLICATE]
    duplicate.duplicate_of_id = contributions[ContributionStatus.PUBLISHED].id
    session.commit()
    seeded = {
        "contributions": {c.id: (c.status, c.title, c.body, c.duplicate_of_id) for c in contributions.values()},
        "comments": {c.id: (c.status, c.body) for c, _ in comments.values()},
    }
    return World(consultation.slug, users, contributions, comments, seeded)


def _restore(session, world: World) -> None:
    """Put the seeded content back after a POST that may have changed it (a withdrawal, a deleted comment)."""
    session.expire_all()
    for contribution_id, (status, title, body, duplicate_of) in world.seeded["contributions"].items():
        row = session.get(Contribution, contribution_id)
        row.status, row.title, row.body, row.duplicate_of_id = status, title, body, duplicate_of
    for comment_id, (status, body) in world.seeded["comments"].items():
        row = session.get(Comment, comment_id)
        row.status, row.body = status, body
    session.commit()


def _sign_in(client, session, user: User | None) -> None:
    with client.session_transaction() as http_session:
        http_session.clear()
        if user is not None:
            session.refresh(user)  # a logout moved the session version on
            http_session["user_id"] = user.id
            http_session["user_version"] = user.session_version


def _targets(policy: Policy, world: World):
    """(label, value of the id, the content and its contribution) for each status the route's id can name."""
    if policy.content == "contribution":
        for status, contribution in world.contributions.items():
            yield status, contribution.id, contribution, contribution
    elif policy.content == "comment":
        for key, (comment, contribution) in world.comments.items():
            yield key, comment.id, comment, contribution
    else:
        yield "-", None, None, None


def _url(rule, world: World, target_id) -> str:
    path = rule.rule
    for argument in rule.arguments:
        value = str(target_id) if argument in ("contribution_id", "comment_id") else None
        value = value or (world.slug if argument == "slug" else None)
        value = value or (str(world.users["citizen"].id) if argument == "user_id" else None)
        value = value or FILLERS.get(argument, "x")
        path = path.replace(f"<{argument}>", value)
        for converter in ("int", "path", "string"):
            path = path.replace(f"<{converter}:{argument}>", value)
    return path


def _expected(policy: Policy, user: User | None, content, parent) -> str:
    if policy.who != PUBLIC and user is None:
        return "login"
    if isinstance(policy.who, frozenset) and not user.has_role(*policy.who):
        return "forbidden"
    if content is not None:
        readable = (
            contribution_visible_to(user, content)
            if isinstance(content, Contribution)
            else comment_visible_to(user, content, parent)
        )
        if not readable:
            return "hidden"
        if policy.own and content.author_id != user.id:
            return "forbidden"
    return "allowed"


def _text(response) -> str:
    body = response.get_data()
    if body[:2] == b"PK":  # the open data archive: read every file in it
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return body.decode("utf-8", "replace")


def _unreadable_secrets(world: World, user: User | None) -> list[str]:
    secrets = [_secret("title", s) for s, c in world.contributions.items() if not contribution_visible_to(user, c)]
    secrets += [_secret("body", s) for s, c in world.contributions.items() if not contribution_visible_to(user, c)]
    # A person's own words are never a leak to them (the RGPD export returns every comment they wrote).
    secrets += [
        _secret("comment", k)
        for k, (m, c) in world.comments.items()
        if not comment_visible_to(user, m, c) and (user is None or m.author_id != user.id)
    ]
    return secrets


def _outcome(response) -> str:
    location = response.headers.get("Location", "") + response.headers.get("HX-Redirect", "")
    if response.status_code in (302, 303) and location.startswith("/connexion"):
        return "login"
    return {403: "forbidden", 404: "hidden"}.get(response.status_code, "allowed")


def _equivalent(expected: str, got: str, status: int) -> bool:
    """Answers that tell the visitor nothing more than the expected one."""
    # An allowed visitor may still get a 404 for other reasons (the thread of an unpublished contribution, an
    # analysis run that does not exist). Content the visitor may not read may also be refused earlier, for a bad
    # form (400): the same answer whether the content exists or not.
    return (expected == "allowed" and got == "hidden") or (expected == "hidden" and status == 400)


def test_every_route_has_a_declared_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(POLICY) == set(), "declare who may use these routes in POLICY"
    assert set(POLICY) - endpoints == set(), "these routes are gone: remove them from POLICY"


def test_authorisation_matrix(app, client, session, world):
    checked, failures = 0, []
    secrets = {name: _unreadable_secrets(world, user) for name, user in world.users.items()}
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)
    for rule in rules:
        policy = POLICY[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for label, target_id, content, parent in _targets(policy, world):
                url = _url(rule, world, target_id)
                for name in VISITORS:
                    user = world.users[name]
                    expected = _expected(policy, user, content, parent)
                    if method == "POST" and expected == "allowed" and not policy.probe_post:
                        continue
                    _sign_in(client, session, user)
                    response = client.open(url, method=method, data={})
                    got = _outcome(response)
                    where = f"{method} {url} [{label}] as {name}"
                    if response.status_code >= 500:
                        failures.append(f"{where}: {response.status_code}")
                    elif got != expected and not _equivalent(expected, got, response.status_code):
                        failures.append(f"{where}: expected {expected}, got {response.status_code} ({got})")
                    leaked = [s for s in secrets[name] if s in _text(response)]
                    if leaked:
                        failures.append(f"{where}: shows {leaked}")
                    checked += 1
                    if method == "POST":
                        _restore(session, world)
    assert not failures, f"{len(failures)} of {checked} requests:\n" + "\n".join(failures[:60])
    assert checked > 1000
