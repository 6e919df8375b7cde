"""The moderation queue: pending, then flagged, then comments across page boundaries; neighbours; bulk screening."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult.comments import services as comments
from consult.flags.services import flag_comment, flag_contribution
from consult.models import AutomaticLabel, Comment, Contribution, ModerationEvent, Role, utcnow
from consult.moderation import queue
from consult.moderation.queue import QueueFilters, load_queue, neighbours
from tests.consult.contribution_factories import add_contribution


@pytest.fixture
def triage(session, make_consultation, make_user):
    """3 pending contributions, 2 flagged ones (2 flags, then 1), 2 pending comments and 1 flagged comment."""
    consultation = make_consultation()
    start = utcnow() - timedelta(hours=1)
    expected = []
    for n in range(3):
        c = add_contribution(
            session, consultation, make_user(), status="pending", created_at=start + timedelta(minutes=n)
        )
        expected.append(f"contribution:{c.id}")
    once = add_contribution(session, consultation, make_user(), created_at=start)
    twice = add_contribution(session, consultation, make_user(), created_at=start + timedelta(minutes=5))
    for target, n_flags in ((once, 1), (twice, 2)):
        for _ in range(n_flags):
            flag_contribution(
                session=session, contribution=target, user=make_user(), reason="spam", details="", hide_threshold=9
            )
    expected += [f"contribution:{twice.id}", f"contribution:{once.id}"]
    add_contribution(session, consultation, make_user(), title="Publiée sans signalement")
    host = add_contribution(session, consultation, make_user())
    flagged_comment = comments.create_comment(session=session, contribution=host, author=make_user(), body="Douteux")
    flag_comment(
        session=session, comment=flagged_comment, user=make_user(), reason="spam", details="", hide_threshold=9
    )
    pending_comments = []
    for n in range(2):
        comment = comments.create_comment(session=session, contribution=host, author=make_user(), body=f"Réponse {n}")
        comment.status = "pending"
        session.add(comment)
        pending_comments.append(f"comment:{comment.id}")
    session.commit()
    other = make_consultation()
    add_contribution(session, other, make_user(), status="pending")
    return consultation, expected + pending_comments + [f"comment:{flagged_comment.id}"]


def _all_pages(session, filters: QueueFilters) -> tuple[list[str], int]:
    keys, page_number = [], 1
    while True:
        page = load_queue(session=session, filters=QueueFilters(**{**filters.__dict__, "page": page_number}))
        keys += [f"{item.kind}:{item.id}" for item in page.items]
        if page_number >= page.pages:
            return keys, page.total
        page_number += 1


@pytest.mark.parametrize("page_size", [2, 3, 30])
def test_pages_walk_pending_then_flagged_then_comments(session, triage, monkeypatch, page_size):
    consultation, expected = triage
    monkeypatch.setattr(queue, "PAGE_SIZE", page_size)
    filters = QueueFilters(consultation_id=consultation.id)
    keys, total = _all_pages(session, filters)
    assert keys == expected and total == len(expected)
    counts = load_queue(session=session, filters=filters).counts
    assert (counts["todo"], counts["pending"], counts["flagged"], counts["comments"]) == (8, 3, 2, 3)
    # The item panel's previous/next come from the same order, page by page, without the counts.
    for page_start in range(0, len(expected), page_size):
        on_page = expected[page_start : page_start + page_size]
        page_filters = QueueFilters(consultation_id=consultation.id, page=page_start // page_size + 1)
        for index, key in enumerate(on_page):
            kind, item_id = key.split(":")
            previous, following = neighbours(session=session, filters=page_filters, kind=kind, item_id=int(item_id))
            assert previous == (on_page[index - 1] if index else None)
            assert following == (on_page[index + 1] if index + 1 < len(on_page) else None)


def test_filters_that_counts_do_not_cover_count_their_own_segments(session, triage, monkeypatch):
    """A label filter makes the segments' sizes unknown: pages still skip whole segments exactly."""
    consultation, expected = triage
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    contribution_ids = [int(key.split(":")[1]) for key in expected if key.startswith("contribution")]
    # Low confidence on the first pending one and on the least flagged one.
    for cid in (contribution_ids[0], contribution_ids[4]):
        session.add(AutomaticLabel(contribution_id=cid, confidence=0.1))
    session.add(AutomaticLabel(contribution_id=contribution_ids[1], confidence=0.9))
    session.commit()
    keys, total = _all_pages(session, QueueFilters(consultation_id=consultation.id, max_confidence=0.3))
    assert keys == [f"contribution:{contribution_ids[0]}", f"contribution:{contribution_ids[4]}"] and total == 2
    # Page 2 of "flagged only" in the triage view: past the pending ones, nothing of them shows up.
    keys, total = _all_pages(session, QueueFilters(consultation_id=consultation.id, flagged=True))
    assert keys == expected[3:5] + expected[7:] and total == 3


def test_other_sorts_and_states(session, triage):
    consultation, expected = triage
    oldest = load_queue(session=session, filters=QueueFilters(consultation_id=consultation.id, sort="oldest"))
    contributions = [f"{i.kind}:{i.id}" for i in oldest.items if i.kind == "contribution"]
    assert sorted(contributions) == sorted(expected[:5]) and oldest.total == 8
    flagged = load_queue(session=session, filters=QueueFilters(consultation_id=consultation.id, state="flagged"))
    assert [f"{i.kind}:{i.id}" for i in flagged.items] == expected[3:5]
    assert [i.open_flags for i in flagged.items] == [2, 1]
    published = load_queue(session=session, filters=QueueFilters(consultation_id=consultation.id, state="published"))
    assert published.total == published.counts["published"] == 4
    everywhere = load_queue(session=session, filters=QueueFilters(state="pending"))
    assert everywhere.total == everywhere.counts["pending"] == 4


def test_the_panel_never_builds_a_similarity_index(client, session, make_user, sign_in, triage, monkeypatch):
    """Without automatic labels the panel says the candidates are not computed yet; with them, it shows them."""
    from consult.analysis import services as analysis

    def forbidden(*args, **kwargs):
        raise AssertionError("the similarity index was built inside a request")

    monkeypatch.setattr(analysis.SimilarIndexCache, "get", forbidden)
    sign_in(make_user(role=Role.MODERATOR))
    consultation, expected = triage
    pending_id = int(expected[0].split(":")[1])
    published_id = int(expected[3].split(":")[1])
    page = client.get(f"/moderation/contributions/{pending_id}").get_data(as_text=True)
    assert "ne sont pas encore calculés" in page
    session.add(AutomaticLabel(contribution_id=pending_id, duplicate_candidates=[{"id": published_id, "score": 0.8}]))
    session.commit()
    page = client.get(f"/moderation/contributions/{pending_id}").get_data(as_text=True)
    assert "ne sont pas encore calculés" not in page and f"Fusionner dans la n° {published_id}" in page


def test_bulk_publish_screens_the_whole_text_not_the_excerpt(client, session, make_user, sign_in, triage):
    """Personal data past the queue's excerpt stops the batch: nothing is published, the item is named."""
    sign_in(make_user(role=Role.MODERATOR))
    consultation, expected = triage
    clean, hiding = (session.get(Contribution, int(key.split(":")[1])) for key in expected[:2])
    hiding.body = "Un long texte sans rien de particulier. " * 8 + "Rappelez-moi au 06 12 34 56 78 pour en parler."
    session.add(hiding)
    session.commit()
    page = load_queue(session=session, filters=QueueFilters(consultation_id=consultation.id))
    (row,) = [item for item in page.items if (item.kind, item.id) == ("contribution", hiding.id)]
    assert "06 12" not in row.excerpt  # what the moderator saw in the queue
    keys = [f"contribution:{c.id}:{c.version}" for c in (clean, hiding)]
    response = client.post("/moderation/lot", data={"action": "publish", "items": keys}, follow_redirects=True)
    answer = response.get_data(as_text=True)
    assert f"n° {hiding.id}" in answer and "numéro de téléphone" in answer and f"n° {clean.id} " not in answer
    session.expire_all()
    assert [session.get(Contribution, c.id).status for c in (clean, hiding)] == ["pending", "pending"]
    assert session.exec(select(ModerationEvent)).all() == []
    # Alone, the clean one goes through; a comment with an e-mail address is held back the same way.
    assert client.post("/moderation/lot", data={"action": "publish", "items": keys[:1]}).status_code == 303
    session.expire_all()
    assert session.get(Contribution, clean.id).status == "published"
    pending_comment = int(expected[5].split(":")[1])
    comment = session.get(Comment, pending_comment)
    comment.body = "Bien vu. " * 40 + "Écrivez-moi : jeanne.martin@example.org"
    session.add(comment)
    session.commit()
    session.refresh(comment)
    key = f"comment:{comment.id}:{comment.version}"
    answer = client.post("/moderation/lot", data={"action": "publish", "items": [key]}, follow_redirects=True)
    assert "adresse électronique" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Comment, comment.id).status == "pending"


def test_flagged_counts_stay_within_the_consultation_and_skip_withdrawn(session, triage, make_user, make_consultation):
    consultation, expected = triage
    elsewhere = add_contribution(session, make_consultation(), make_user())
    gone = add_contribution(session, consultation, make_user())
    for target in (elsewhere, gone):
        flag_contribution(
            session=session, contribution=target, user=make_user(), reason="spam", details="", hide_threshold=9
        )
    gone.status = "withdrawn"  # the author withdrew it: its open flags no longer call for a decision
    session.add(gone)
    session.commit()
    here = load_queue(session=session, filters=QueueFilters(consultation_id=consultation.id, state="flagged"))
    assert here.counts["flagged"] == here.total == 2 and [f"{i.kind}:{i.id}" for i in here.items] == expected[3:5]
    everywhere = load_queue(session=session, filters=QueueFilters(state="flagged"))
    assert everywhere.counts["flagged"] == everywhere.total == 3
    assert f"contribution:{elsewhere.id}" in [f"{i.kind}:{i.id}" for i in everywhere.items]


def test_only_the_published_count_is_cached_and_a_decision_forgets_it(
    client, session, make_user, sign_in, triage, monkeypatch
):
    consultation, expected = triage
    cache: dict = {}
    filters = QueueFilters(consultation_id=consultation.id)
    before = load_queue(session=session, filters=filters, cache=cache).counts
    add_contribution(session, consultation, make_user())
    add_contribution(session, consultation, make_user(), status="pending")
    after = load_queue(session=session, filters=filters, cache=cache).counts
    assert after["published"] == before["published"]  # within LARGE_COUNT_SECONDS
    assert after["pending"] == before["pending"] + 1 and after["todo"] == before["todo"] + 1  # always exact
    assert load_queue(session=session, filters=filters).counts["published"] == before["published"] + 1
    monkeypatch.setattr(queue, "LARGE_COUNT_SECONDS", 0.0)
    assert load_queue(session=session, filters=filters, cache=cache).counts["published"] == before["published"] + 1
    # Through the site: the queue's cache lives per process and a decision taken in it clears it.
    monkeypatch.setattr(queue, "LARGE_COUNT_SECONDS", 3600.0)
    sign_in(make_user(role=Role.MODERATOR))
    url = f"/moderation/?consultation={consultation.id}"
    assert "Publiées (5)" in client.get(url).get_data(as_text=True)
    pending = session.get(Contribution, int(expected[0].split(":")[1]))
    response = client.post(
        f"/moderation/contributions/{pending.id}/publier?consultation={consultation.id}",
        data={"version": pending.version},
    )
    assert response.status_code == 303
    assert "Publiées (6)" in client.get(url).get_data(as_text=True)


def test_queue_page_and_panel_query_counts_do_not_grow_with_the_queue(app, client, session, make_user, sign_in, triage):
    """A guard on the speed work: the panel never loads the queue page (counts, texts), the page no extra counts."""
    from sqlalchemy import event

    consultation, expected = triage
    sign_in(make_user(role=Role.MODERATOR))
    engine = app.extensions["consult.engine"]
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    def counted(path: str) -> list[str]:
        client.get(path)  # warm-up (first request of the client, templates)
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return list(statements)

    def is_count(statement: str) -> bool:
        return statement.lstrip().lower().startswith(("select count(", "select contribution.status, count("))

    pending_id = int(expected[0].split(":")[1])
    panel = counted(f"/moderation/contributions/{pending_id}?consultation={consultation.id}")
    assert not [s for s in panel if is_count(s)], panel  # previous/next read ids only
    assert len(panel) <= 16, panel
    page = counted(f"/moderation/?consultation={consultation.id}")
    assert len([s for s in page if is_count(s)]) <= 5, page  # small states, published, flagged, comments x2
    # The user, the counts, at most 3 small queries per segment the page spans (4 here), the filters' lists.
    assert len(page) <= 1 + 4 + 3 * 4 + 3, page
