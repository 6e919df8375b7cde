"""The optional LLM, against a small fake OpenAI-compatible server on loopback started by the test.

It rephrases answers and drafts contributions; timeouts and errors fall back to the local engine; personal
data never reaches it; safety replies never go through it; without configuration it is never called.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from consult.assistant.llm import LLMClient
from consult.models import AssistantMessage
from tests.consult.contribution_factories import add_contribution

PHONE = "06 12 34 56 78"
EMAIL = "martine.lefebvre@exemple.fr"


class FakeLLM:
    """Records every request; answers as told: "ok", "slow" (past the timeout), "error" (HTTP 500), "garbage"."""

    def __init__(self):
        self.requests: list[dict] = []
        self.mode = "ok"
        self.content = "Réponse reformulée par le modèle."
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if fake.mode == "slow":
                    time.sleep(1.5)
                if fake.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                payload = (
                    b"not json"
                    if fake.mode == "garbage"
                    else json.dumps({"choices": [{"message": {"role": "assistant", "content": fake.content}}]}).encode()
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def sent_text(self) -> str:
        return json.dumps([r["body"] for r in self.requests], ensure_ascii=False)


@pytest.fixture
def fake_llm():
    fake = FakeLLM()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def llm_app(app, fake_llm):
    app.config.update(LLM_BASE_URL=fake_llm.url, LLM_MODEL="albert-small", LLM_API_KEY="secret", LLM_TIMEOUT=0.5)
    return app


def say(client, text, **extra):
    return client.post("/assistant/message", data={"text": text, **extra}, follow_redirects=True)


def assistant_texts(session):
    session.expire_all()
    return [m.text for m in session.exec(select(AssistantMessage).where(AssistantMessage.role == "assistant"))]


def test_off_by_default(app):
    assert LLMClient.from_config(app.config) is None


def test_answer_is_rephrased_with_model_key_and_sources_kept(llm_app, fake_llm, client):
    page = say(client, "à quoi sert l'INS ?")
    assert "Réponse reformulée par le modèle." in page.text
    assert "esante.gouv.fr" in page.text  # the sources stay the knowledge base's
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    assert request["body"]["model"] == "albert-small"
    assert "identité nationale de santé" in request["body"]["messages"][1]["content"]


def test_personal_data_never_reaches_the_model(llm_app, fake_llm, client):
    say(client, f"je suis Martine Lefebvre, {EMAIL}, {PHONE} : c'est quoi le DMP ?")
    assert fake_llm.requests, "the answer should have been sent for rephrasing"
    sent = fake_llm.sent_text()
    assert PHONE not in sent and EMAIL not in sent and "Lefebvre" not in sent


@pytest.mark.parametrize("mode", ["slow", "error", "garbage"])
def test_timeout_and_errors_fall_back_to_the_local_answer(llm_app, fake_llm, client, session, mode):
    fake_llm.mode = mode
    started = time.monotonic()
    page = say(client, "à quoi sert l'INS ?")
    assert time.monotonic() - started < 5
    assert fake_llm.requests and "identité nationale de santé" in page.text
    assert "Réponse reformulée" not in page.text
    assert any("identité nationale de santé" in text for text in assistant_texts(session))


def test_medical_and_distress_replies_never_go_to_the_model(llm_app, fake_llm, client):
    assert "3114" in say(client, "je veux en finir").text
    assert "pharmacien" in say(client, "quelle dose de doliprane pour mon fils ?").text
    assert fake_llm.requests == []


def test_draft_written_by_the_model_from_masked_words(
    llm_app, fake_llm, client, session, make_consultation, make_user, sign_in
):
    consultation = make_consultation()
    add_contribution(session, consultation, make_user(), title="Sans rapport", body="Les horaires des bus du soir.")
    sign_in(make_user())
    fake_llm.content = json.dumps({"title": "Un numéro unique d'aide", "body": "Je propose un numéro unique d'aide."})
    say(client, "je veux proposer une idée", consultation=consultation.slug)
    concern = f"Un numéro d'aide unique pour Mon espace santé, rappelez-moi au {PHONE}"
    say(client, concern, consultation=consultation.slug)
    client.post("/assistant/action", data={"action": "write"})
    page = client.get("/assistant/")
    assert "Un numéro unique d&#39;aide" in page.text or "Un numéro unique d'aide" in page.text
    assert PHONE not in fake_llm.sent_text()


def test_draft_falls_back_to_the_citizen_words_when_the_model_fails(
    llm_app, fake_llm, client, session, make_consultation, make_user, sign_in
):
    consultation = make_consultation()
    sign_in(make_user())
    fake_llm.mode = "error"
    say(client, "je veux proposer une idée", consultation=consultation.slug)
    say(client, "Former les soignants aux outils numériques dans chaque hôpital", consultation=consultation.slug)
    client.post("/assistant/action", data={"action": "write"})
    page = client.get("/assistant/")
    assert "Former les soignants aux outils numériques dans chaque hôpital" in page.text
