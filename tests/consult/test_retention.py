"""The retention registry and `consult purge`: counts on dry runs, one transaction per purge, failures isolated."""

from datetime import timedelta

import pytest
from sqlmodel import delete, func, select

from consult import retention
from consult.models import Flag, utcnow


@pytest.fixture
def purges(monkeypatch):
    """An empty registry for the test (the features' own purges are tested with their features)."""
    registry: dict = {}
    monkeypatch.setattr(retention, "PURGES", registry)
    return registry


def _old_flags_purge(*, session, now, dry_run):
    old = Flag.created_at < now - timedelta(days=30)
    count = session.exec(select(func.count()).select_from(Flag).where(old)).one()
    if not dry_run:
        session.exec(delete(Flag).where(old))
    return count


@pytest.fixture
def flags(session, make_user, contribution):
    def make(age_days: int) -> Flag:
        flag = Flag(
            user_id=make_user().id,
            contribution_id=contribution.id,
            reason="spam",
            created_at=utcnow() - timedelta(days=age_days),
        )
        session.add(flag)
        session.commit()
        return flag

    return make


def _count_flags(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Flag)).one()


def test_register_as_decorator_and_refuse_a_second_function_under_one_name(purges):
    @retention.register_purge("old things")
    def purge(*, session, now, dry_run):
        return 0

    assert purges == {"old things": purge}
    retention.register_purge("old things", purge)  # registering the same function again is harmless
    with pytest.raises(ValueError, match="already registered"):
        retention.register_purge("old things", lambda **_: 0)


def test_dry_run_counts_and_keeps_everything(runner, session, purges, flags):
    retention.register_purge("old flags", _old_flags_purge)
    flags(40), flags(40), flags(1)
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "old flags : 2 à traiter" in result.output
    assert _count_flags(session) == 3


def test_purge_erases_what_is_due(runner, session, purges, flags):
    retention.register_purge("old flags", _old_flags_purge)
    flags(40), flags(1)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "old flags : 1 traité(s)" in result.output
    assert _count_flags(session) == 1
    assert "old flags : 0 traité(s)" in runner.invoke(args=["purge"]).output  # idempotent


def test_a_failing_purge_is_rolled_back_and_the_others_still_run(runner, session, purges, flags):
    def half_then_fail(*, session, now, dry_run):
        _old_flags_purge(session=session, now=now, dry_run=dry_run)
        raise RuntimeError("disk full")

    retention.register_purge("a failing", half_then_fail)
    retention.register_purge("b counting", lambda **_: 7)
    flags(40)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 1
    assert "a failing : ÉCHEC (RuntimeError: disk full)" in result.output
    assert "b counting : 7 traité(s)" in result.output
    assert _count_flags(session) == 1  # nothing half-written


def test_only_runs_the_named_purges_and_refuses_unknown_names(runner, purges):
    retention.register_purge("one", lambda **_: 1)
    retention.register_purge("two", lambda **_: 2)
    result = runner.invoke(args=["purge", "--only", "two"])
    assert result.exit_code == 0 and "two : 2" in result.output and "one" not in result.output
    result = runner.invoke(args=["purge", "--only", "three"])
    assert result.exit_code != 0 and "purge inconnue : three" in result.output


def test_purges_receive_a_timezone_aware_now(session, purges):
    seen = []

    def clock(*, session, now, dry_run):
        seen.append(now)
        return 0

    retention.register_purge("clock", clock)
    [result] = retention.run_purges(open_session=lambda: session, now=utcnow(), dry_run=True)
    assert result.count == 0 and seen[0].tzinfo is not None
