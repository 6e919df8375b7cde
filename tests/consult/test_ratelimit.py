"""Rate limits on sign-up, login and writes answer 429 with a DSFR page."""

import os

import pytest
from sqlmodel import SQLModel


def _app(make_app, **config):
    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN="3 per minute", **config)
    SQLModel.metadata.create_all(app.extensions["consult.engine"])
    return app


def test_login_is_rate_limited(make_app):
    app = _app(make_app)
    client = app.test_client()
    codes = [client.post("/connexion", data={"email": "a@example.fr", "password": "x"}).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    response = client.post("/connexion", data={"email": "a@example.fr", "password": "x"})
    assert "Trop de requêtes" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    assert client.get("/connexion").status_code == 200  # reading the page is not limited


@pytest.mark.skipif(not os.environ.get("CONSULT_TEST_REDIS_URL"), reason="no Redis server for this run")
def test_rate_limit_storage_on_redis(make_app):
    import redis

    url = os.environ["CONSULT_TEST_REDIS_URL"]
    redis.Redis.from_url(url).flushdb()
    app = _app(make_app, RATELIMIT_STORAGE_URI=url)
    client = app.test_client()
    codes = [client.post("/connexion", data={"email": "a@example.fr", "password": "x"}).status_code for _ in range(4)]
    assert codes[-1] == 429
    assert redis.Redis.from_url(url).keys("*")


# Behind the reverse proxy (issue 10, defect 5): one client's limit is not everyone's.


def _login(client, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/connexion", data={"email": "a@example.fr", "password": "x"}, headers=headers).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(make_app):
    client = _app(make_app, TRUSTED_PROXIES=1).test_client()
    # Every request reaches the app from the proxy's address (127.0.0.1 in the test client).
    assert [_login(client, "203.0.113.7") for _ in range(4)] == [422, 422, 422, 429]
    assert _login(client, "198.51.100.20") == 422  # another citizen can still sign in
    assert _login(client, "203.0.113.7") == 429


def test_a_client_cannot_escape_its_limit_by_writing_forwarded_headers(make_app):
    client = _app(make_app, TRUSTED_PROXIES=1).test_client()
    # The proxy appends the address it saw; what the client wrote in front of it is ignored.
    codes = [_login(client, f"10.0.0.{n}, 203.0.113.7") for n in range(4)]
    assert codes == [422, 422, 422, 429]


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app):
    client = _app(make_app).test_client()
    codes = [_login(client, f"203.0.113.{n}") for n in range(4)]
    assert codes == [422, 422, 422, 429]


def test_an_ipv6_client_is_counted_per_64_block(make_app):
    client = _app(make_app, TRUSTED_PROXIES=1).test_client()
    codes = [_login(client, f"2001:db8:1:2::{n:x}") for n in range(4)]
    assert codes == [422, 422, 422, 429]
    assert _login(client, "2001:db8:1:3::1") == 422


def test_forwarded_scheme_and_host_make_external_links(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "consultation.sante.gouv.fr"}
    document = app.test_client().get("/api/v1/openapi.json", headers=headers).get_json()
    assert document["servers"][0]["url"] == "https://consultation.sante.gouv.fr/api/v1"


@pytest.mark.parametrize("value", [-1, 6, "deux", True])
def test_trusted_proxies_must_be_a_small_count(make_app, value):
    from consult.config import ConfigError

    with pytest.raises(ConfigError, match="CONSULT_TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES=value)
