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
