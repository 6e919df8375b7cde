"""No open redirect: `next` parameters only ever lead to a path of this site (issue 10, defect 4)."""

from urllib.parse import quote, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.auth.access import safe_next
from tests.consult.conftest import PASSWORD

ATTACKS = [
    "/%09/evil.com",  # a tab, dropped by browsers: //evil.com
    "/%0a/evil.com",
    "/%0d/evil.com",
    "/%0a",  # a line break in the Location header was a 500
    "/%0d%0aSet-Cookie:%20x=1",
    "//evil.com",
    "/\\evil.com",
    "%5C%5Cevil.com",
    "https://evil.com",
    "http:/evil.com",
    "javascript:alert(1)",
    "/%E2%80%8B/evil.com",  # zero-width space
    "/%C2%A0/evil.com",  # no-break space
    "/%00/evil.com",
    "/" + "a" * 5000,
]


def _browser_view(location: str) -> str:
    # What a browser makes of a Location value: tabs and line breaks removed, backslashes read as slashes.
    return "".join(c for c in location if c not in "\t\n\r").replace("\\", "/")


def _assert_local(location: str):
    seen = _browser_view(location)
    assert seen.startswith("/") and not seen.startswith("//"), location
    assert not urlsplit(seen).netloc


@pytest.mark.parametrize("attack", ATTACKS)
def test_language_switch_never_leaves_the_site(client, attack):
    response = client.get(f"/langue/en?next={attack}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("attack", ATTACKS)
def test_login_never_leaves_the_site(client, make_user, attack):
    user = make_user()
    page = client.get(f"/connexion?next={attack}")
    assert page.status_code == 200
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD, "next": unquote(attack)})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("good", ["/consultations/", "/contributions/3?sort=agreed#comments-3", "/compte/"])
def test_local_paths_are_kept(client, good):
    response = client.get(f"/langue/fr?next={quote(good, safe='/')}")
    assert response.headers["Location"] == good


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40).map(lambda s: "/" + s))
def test_accepted_targets_are_always_local_paths(target):
    accepted = safe_next(target)
    if accepted is not None:
        assert accepted == target
        _assert_local(accepted)
        assert "\n" not in accepted and "\r" not in accepted
