"""Flags: form page and partial, one per user and target, validation, hiding, RGPD."""

from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
from sqlmodel import Session, select

from consult.comments.services import create_comment
from consult.flags import services
from consult.models import Comment, CommentStatus, Contribution, ContributionStatus, Flag, utcnow

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/contributions/1"}


@pytest.fixture
def reporter(make_user, sign_in):
    return sign_in(make_user())


@pytest.fixture
def comment(session, make_user, contribution):
    comment = create_comment(session=session, contribution=contribution, author=make_user(), body="Un commentaire")
    session.commit()
    return comment


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def flag(client, path, reason="spam", details="", headers=None, **data):
    return client.post(path, data={"reason": reason, "details": details, **data}, headers=headers)


def reload(session, model, id_):
    session.expire_all()
    return session.get(model, id_)


def test_form_page_has_labelled_reasons(client, reporter, contribution):
    response = client.get(f"/contributions/{contribution.id}/signaler")
    html = text(response)
    assert response.status_code == 200 and "<html" in html
    for label in [
        "Spam ou publicité",
        "Propos injurieux",
        "Données personnelles",
        "Hors sujet",
        "Autre",
        "Précisions",
    ]:
        assert label in html
    key = f"flag-contribution-{contribution.id}-reason-spam"
    assert f'id="{key}"' in html and f'for="{key}"' in html


def test_form_partial_for_htmx(client, reporter, contribution):
    html = text(client.get(f"/contributions/{contribution.id}/signaler", headers=HTMX))
    assert "<html" not in html
    assert html.lstrip().startswith(f'<div class="fr-mb-2w" id="flag-contribution-{contribution.id}" hx-target="this"')


def test_anonymous_goes_to_login(client, contribution):
    response = client.get(f"/contributions/{contribution.id}/signaler")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/connexion?next=/contributions/{contribution.id}/signaler"
    posted = flag(client, f"/contributions/{contribution.id}/signaler", next="/ici")
    assert posted.status_code == 303 and posted.headers["Location"] == "/connexion?next=/ici"


def test_flag_without_javascript(client, session, reporter, contribution):
    response = flag(
        client,
        f"/contributions/{contribution.id}/signaler",
        "hors_sujet",
        "Rien à voir",
        next="/ici",
    )
    assert response.status_code == 303 and response.headers["Location"] == "/ici"
    row = session.exec(select(Flag)).one()
    assert (row.user_id, row.contribution_id, row.comment_id, row.reason, row.details) == (
        reporter.id,
        contribution.id,
        None,
        "hors_sujet",
        "Rien à voir",
    )
    assert reload(session, Contribution, contribution.id).flag_count == 1
    assert "Merci, votre signalement a été transmis" in text(client.get("/"))


def test_second_flag_is_a_message_not_an_error(client, session, reporter, contribution):
    path = f"/contributions/{contribution.id}/signaler"
    flag(client, path)
    again = flag(client, path, "autre", "encore", next="/ici")
    assert again.status_code == 303 and again.headers["Location"] == "/ici"
    assert "Vous avez déjà signalé ce contenu" in text(client.get("/"))
    in_place = flag(client, path, headers=HTMX)
    assert in_place.status_code == 200 and "Vous avez déjà signalé ce contenu" in text(in_place)
    assert len(session.exec(select(Flag)).all()) == 1
    assert reload(session, Contribution, contribution.id).flag_count == 1


def test_htmx_flag_swaps_the_component(client, reporter, contribution):
    response = flag(client, f"/contributions/{contribution.id}/signaler", headers=HTMX)
    html = text(response)
    assert response.status_code == 200 and "<html" not in html
    assert f'id="flag-contribution-{contribution.id}"' in html and "Merci, votre signalement" in html


@pytest.mark.parametrize(
    ("reason", "details", "message"),
    [
        ("", "", "Choisissez le motif du signalement."),
        ("inconnu", "", "Choisissez le motif du signalement."),
        ("autre", "  ", "Précisez en quelques mots ce qui pose problème."),
        ("spam", "x" * 1001, "Votre précision fait 1001 caractères"),
    ],
)
def test_validation_keeps_the_input(client, session, reporter, contribution, reason, details, message):
    response = flag(client, f"/contributions/{contribution.id}/signaler", reason, details)
    html = text(response)
    assert response.status_code == 422 and message in html
    if details.strip():
        assert f">{details}</textarea>" in html
    in_place = flag(client, f"/contributions/{contribution.id}/signaler", reason, details, headers=HTMX)
    assert in_place.status_code == 200 and message in text(in_place) and "<html" not in text(in_place)
    assert session.exec(select(Flag)).all() == []


def test_checked_reason_is_kept(client, reporter, contribution):
    html = text(flag(client, f"/contributions/{contribution.id}/signaler", "autre", ""))
    assert 'value="autre" checked' in html


def test_unknown_and_non_public_targets_404(client, session, reporter, make_contribution, comment):
    assert client.get("/contributions/999999/signaler").status_code == 404
    assert client.get("/commentaires/999999/signaler").status_code == 404
    pending = make_contribution(status=ContributionStatus.PENDING)
    assert flag(client, f"/contributions/{pending.id}/signaler").status_code == 404
    comment.status = CommentStatus.DELETED
    session.add(comment)
    session.commit()
    assert flag(client, f"/commentaires/{comment.id}/signaler").status_code == 404


def test_threshold_hides_a_contribution(app, client, session, make_user, sign_in, contribution):
    path = f"/contributions/{contribution.id}/signaler"
    for _ in range(2):
        sign_in(make_user())
        flag(client, path, next="/ici")
    assert reload(session, Contribution, contribution.id).status == ContributionStatus.PUBLISHED
    sign_in(make_user())
    response = flag(client, path, next="/ici")
    # Its page is no longer public: back to the consultation instead.
    assert response.headers["Location"].startswith("/consultations/")
    row = reload(session, Contribution, contribution.id)
    assert (row.status, row.flag_count) == (ContributionStatus.HIDDEN, 3)
    sign_in(make_user())
    assert flag(client, path).status_code == 404  # hidden: no longer readable, so no longer flaggable
    assert reload(session, Contribution, contribution.id).flag_count == 3


def test_threshold_comes_from_config(app, client, session, reporter, contribution):
    app.config["FLAG_HIDE_THRESHOLD"] = 1
    flag(client, f"/contributions/{contribution.id}/signaler")
    assert reload(session, Contribution, contribution.id).status == ContributionStatus.HIDDEN


def test_default_threshold_is_3(app):
    assert app.config["FLAG_HIDE_THRESHOLD"] == 3


def test_resolved_flags_do_not_count(session, make_user, contribution):
    for _ in range(2):
        services.flag_contribution(
            session=session,
            contribution=contribution,
            user=make_user(),
            reason="spam",
            details="",
            hide_threshold=3,
        )
    for row in session.exec(select(Flag)):
        row.resolved_at = utcnow()
        session.add(row)
    session.commit()
    hidden = services.flag_contribution(
        session=session,
        contribution=contribution,
        user=make_user(),
        reason="spam",
        details="",
        hide_threshold=3,
    )
    assert hidden is False and contribution.status == ContributionStatus.PUBLISHED


def test_threshold_hides_a_comment_and_uncounts_it(client, session, make_user, sign_in, contribution, comment):
    assert reload(session, Contribution, contribution.id).comment_count == 1
    for _ in range(3):
        sign_in(make_user())
        response = flag(client, f"/commentaires/{comment.id}/signaler", "propos_injurieux", headers=HTMX)
        assert f'id="flag-comment-{comment.id}"' in text(response)
    assert reload(session, Comment, comment.id).status == CommentStatus.HIDDEN
    assert session.get(Contribution, contribution.id).comment_count == 0
    html = text(client.get(f"/contributions/{contribution.id}/commentaires"))
    assert "Un commentaire" not in html


def test_concurrent_flags_hide_a_comment_once(app, session, make_user, contribution, comment):
    users = [make_user() for _ in range(8)]
    engine = app.extensions["consult.engine"]

    def report(user):
        with Session(engine, expire_on_commit=False) as own:
            target = own.get(Comment, comment.id)
            hidden = services.flag_comment(
                session=own, comment=target, user=user, reason="spam", details="", hide_threshold=3
            )
            own.commit()
            return hidden

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(report, users))
    assert outcomes.count(True) == 1
    row = reload(session, Comment, comment.id)
    assert (row.status, row.flag_count) == (CommentStatus.HIDDEN, 8)
    assert session.get(Contribution, contribution.id).comment_count == 0


def test_flag_buttons(app, client, reporter, contribution, comment):
    html = text(client.get(f"/contributions/{contribution.id}/commentaires"))
    assert f'hx-get="/contributions/{contribution.id}/signaler"' in html
    assert f'hx-get="/commentaires/{comment.id}/signaler"' in html
    assert 'Signaler<span class="fr-sr-only"> ce commentaire</span>' in html
    client.post("/deconnexion")
    html = text(client.get(f"/contributions/{contribution.id}/commentaires"))
    assert f'href="/contributions/{contribution.id}/signaler"' in html and 'hx-get="/contributions' not in html


def test_csrf_is_checked(app, client, session, reporter, contribution):
    app.config["WTF_CSRF_ENABLED"] = True
    assert flag(client, f"/contributions/{contribution.id}/signaler").status_code == 400
    assert session.exec(select(Flag)).all() == []


def test_export_lists_the_users_flags(session, reporter, contribution, comment):
    from consult.account.services import export_user_data

    services.flag_contribution(
        session=session,
        contribution=contribution,
        user=reporter,
        reason="autre",
        details="Pourquoi",
        hide_threshold=3,
    )
    services.flag_comment(session=session, comment=comment, user=reporter, reason="spam", details="", hide_threshold=3)
    session.commit()
    exported = export_user_data(session=session, user=reporter)["flags"]
    assert [(f["contribution_id"], f["comment_id"], f["reason"], f["details"]) for f in exported] == [
        (contribution.id, None, "autre", "Pourquoi"),
        (None, comment.id, "spam", ""),
    ]


def test_no_flag_button_for_the_author_or_unpublished(app, make_user, make_contribution):
    from flask import render_template

    author = make_user()
    own = make_contribution(author=author)
    pending = make_contribution(status=ContributionStatus.PENDING)
    with app.test_request_context("/"):
        assert "Signaler" not in render_template("flags/_flag_button.html", contribution=own, current_user=author)
        assert "Signaler" not in render_template("flags/_flag_button.html", contribution=pending)
        assert "Signaler" in render_template("flags/_flag_button.html", contribution=own)


def test_details_with_personal_data_are_refused(client, session, reporter, contribution):
    """Issue 10, defect 10: flag details are screened like comments (and limited in length)."""
    details = "L'auteur est mon voisin, joignable au 06 12 34 56 78."
    response = flag(client, f"/contributions/{contribution.id}/signaler", "autre", details)
    assert response.status_code == 422
    html = text(response)
    assert "données personnelles" in html and details in html  # the text is kept for the reporter to rewrite
    assert session.exec(select(Flag)).all() == []
    assert flag(client, f"/contributions/{contribution.id}/signaler", "autre", "x" * 1001).status_code == 422


def test_form_page_posts_without_htmx_and_goes_back_to_the_contribution(client, reporter, contribution, session):
    """The form page (reached without JavaScript, or after logging in) is a plain form with a way back: posted in
    place with htmx it left the user on the form page, and its own path as `next` brought them back to it."""
    path = f"/contributions/{contribution.id}/signaler"
    page = text(client.get(path))
    assert f'action="{path}"' in page and f'hx-post="{path}"' not in page
    back = f"/contributions/{contribution.id}"
    assert f'name="next" value="{back}"' in page and f'href="{back}">Annuler</a>' in page

    response = client.post(path, data={"reason": "spam", "details": "", "next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert "Merci, votre signalement a été transmis" in text(client.get(back))
    assert session.exec(select(Flag).where(Flag.contribution_id == contribution.id)).one()

    # An outside `next` is ignored; the contribution stays the way back.
    assert f'name="next" value="{back}"' in text(client.get(path + "?next=https://exemple.org/"))
