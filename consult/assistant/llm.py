"""Optional LLM, through any OpenAI-compatible chat API (the State's Albert API, vLLM, Ollama), off by default.

It only ever rephrases an answer the knowledge base already gave (facts, sources and safety stay local) and
drafts a contribution from the citizen's words. Personal data is masked before anything leaves the server,
the answer is kept local when the call times out, fails or returns something unusable, and a medical,
emergency or distress reply never goes through it. Configured by CONSULT_LLM_BASE_URL (e.g.
https://albert.api.etalab.gouv.fr/v1), CONSULT_LLM_MODEL, CONSULT_LLM_API_KEY and CONSULT_LLM_TIMEOUT.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from consult.analysis.services import find_personal_data

log = logging.getLogger(__name__)
MAX_REPLY_CHARS = 2000
TITLE_MAX = 100

REPHRASE_PROMPT = {
    "fr": (
        "Tu es l'assistant d'une consultation publique sur le numérique en santé. Reformule la RÉPONSE pour "
        "qu'elle réponde simplement et chaleureusement à la QUESTION du citoyen, en français. N'ajoute aucun fait, "
        "aucun chiffre, aucun lien ; ne donne jamais d'avis médical. Réponds seulement par le texte reformulé."
    ),
    "en": (
        "You are the assistant of a public consultation on digital health. Rephrase the ANSWER so that it "
        "answers the citizen's QUESTION simply and warmly, in English. Add no fact, no figure, no link; never "
        "give medical advice. Reply with the rephrased text only."
    ),
}
DRAFT_PROMPT = {
    "fr": (
        "Aide un citoyen à rédiger une contribution pour une consultation publique sur le numérique en santé, à "
        "partir de ses propres mots. Garde son idée et son ton, sans rien inventer. Réponds uniquement par un "
        'objet JSON : {"title": "titre de moins de 100 caractères", "body": "texte de la contribution"}.'
    ),
    "en": (
        "Help a citizen write a contribution to a public consultation on digital health from their own words. "
        "Keep their idea and tone, invent nothing. Reply only with a JSON object: "
        '{"title": "title under 100 characters", "body": "the contribution text"}.'
    ),
}


def mask(text: str) -> str:
    """The text with its personal data replaced by placeholders ([TÉLÉPHONE], [NOM]…)."""
    found = find_personal_data(text)
    return found.redacted if found else text


@dataclass(frozen=True)
class LLMClient:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 8.0

    @classmethod
    def from_config(cls, config) -> LLMClient | None:
        """The configured client, or None when CONSULT_LLM_BASE_URL is empty (the default: no LLM)."""
        base_url = str(config.get("LLM_BASE_URL") or "").strip()
        if not base_url:
            return None
        return cls(
            base_url=base_url.rstrip("/"),
            model=str(config.get("LLM_MODEL") or ""),
            api_key=str(config.get("LLM_API_KEY") or ""),
            timeout=float(config.get("LLM_TIMEOUT") or 8.0),
        )

    def chat(self, system: str, user: str) -> str | None:
        """One chat completion; None on timeout, error or an unusable reply. Callers mask the citizen's words."""
        payload = {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(payload).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                data = json.loads(response.read(1_000_000).decode("utf-8"))
            content = data["choices"][0]["message"]["content"]
        except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError, TypeError) as error:
            # Timeouts are OSErrors too: the local engine's text stands.
            log.warning("LLM call failed, local reply kept: %s", type(error).__name__)
            return None
        if not isinstance(content, str) or not content.strip():
            return None
        return content.strip()

    def rephrase(self, *, question: str, answer: str, lang: str) -> str | None:
        """The knowledge-base answer reworded for this question, or None (keep the local text)."""
        prompt = f"QUESTION : {mask(question)}\n\nRÉPONSE : {answer}"
        text = self.chat(REPHRASE_PROMPT.get(lang, REPHRASE_PROMPT["fr"]), prompt)
        if text is None or len(text) > MAX_REPLY_CHARS:
            return None
        return text

    def draft(self, *, concern: str, lang: str) -> dict | None:
        """A {"title", "body"} draft from the citizen's (masked) words, or None (keep the local draft)."""
        text = self.chat(DRAFT_PROMPT.get(lang, DRAFT_PROMPT["fr"]), mask(concern))
        if text is None:
            return None
        match = re.search(r"\{.*\}", text, re.DOTALL)
        try:
            data = json.loads(match.group(0)) if match else None
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        title, body = str(data.get("title") or "").strip(), str(data.get("body") or "").strip()
        if not title or not body or len(body) > MAX_REPLY_CHARS:
            return None
        # What comes back is screened like the citizen's own text: the draft is masked, never trusted.
        return {"title": mask(title)[:TITLE_MAX], "body": mask(body)}
