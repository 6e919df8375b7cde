"""The assistant's engine: from one message to one reply (kind, text, sources), local and deterministic.

Order of the checks, most protective first: safety (medical, emergency, distress: no answer, the right
numbers), personal data (a warning; the data is masked, never repeated), then the intent (greeting, help,
contribute, vote, question, off-topic) and, for questions, the knowledge base. Below the answer threshold the
assistant says it does not know: it never invents. The web dialogue (dialogue.py) and the command line share
this engine; the thresholds come from cross-validation on the training set (calibrate.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from consult.analysis.services import find_personal_data
from consult.assistant import replies
from consult.assistant.cache import cached
from consult.assistant.knowledge import KnowledgeBase, Source, load_knowledge
from consult.assistant.models import IntentModel, Retriever
from consult.assistant.safety import SafetyRules, load_safety
from consult.assistant.text import Normalizer, clauses, sentences

KINDS = ("answer", "dont_know", "medical", "contribute", "vote", "personal_data", "greeting", "help")
MEDICAL_INTENTS = ("medical", "emergency", "distress")
ACTION_INTENTS = ("contribute", "vote")
CONTACT_PATH = "/contact"
PARTS_OF_DAY = ("journee", "soiree", "nuit", "fin de journee")
MAX_ANSWERS = 2  # several questions in one message: answer the two clearest


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, chosen by cross-validation on the training set (config/assistant/thresholds.yaml)."""

    retrieval_weight: float = 0.5
    answer: float = 0.35  # below: "I don't know"
    answer_off_topic: float = 0.7  # the intent model says off-topic, yet the knowledge base matches this well
    medical: float = 0.35  # P(medical or emergency or distress) from the intent model, backing the rules up
    medical_about_tools: float = 0.9  # the same when the message is about digital-health tools or AI
    long_message: float = 10  # words: a longer "help" or "hello" message the knowledge base answers is a question
    segment_intent: float = 0.5  # a sentence of a longer message overrides a greeting with this confidence

    @classmethod
    def load(cls, path: Path) -> Thresholds:
        if not path.exists():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(**{name: float(data[name]) for name in cls.__dataclass_fields__ if name in data})


@dataclass
class Reply:
    """One reply. `masked` is the citizen's message with personal data masked: the only form ever stored."""

    kind: str
    text: str
    sources: list[Source] = field(default_factory=list)
    intent: str | None = None
    confidence: float = 0.0
    entries: list[str] = field(default_factory=list)
    level: str | None = None  # medical, emergency or distress
    why: list[str] = field(default_factory=list)  # the words behind a safety decision
    personal_data: list[str] = field(default_factory=list)  # kinds of personal data found (never the data)
    masked: str = ""
    answer: str = ""  # the knowledge base's part of `text` (after any personal-data warning)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "sources": [source.as_dict() for source in self.sources],
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "entry": self.entries[0] if self.entries else None,
            "entries": self.entries,
            "level": self.level,
            "personal_data": self.personal_data,
        }


class Assistant:
    """The trained engine; build it with `Assistant.load(config_dir)` (cached per directory)."""

    def __init__(
        self,
        *,
        knowledge: KnowledgeBase,
        normalizer: Normalizer,
        safety: SafetyRules,
        intents: IntentModel,
        retriever: Retriever,
        thresholds: Thresholds,
    ):
        self.knowledge = knowledge
        self.normalize = normalizer
        self.safety = safety
        self.intents = intents
        self.retriever = retriever
        self.thresholds = thresholds

    _cache: dict[str, Assistant] = {}
    _lock = threading.Lock()

    @classmethod
    def load(cls, config_dir: str | Path, *, cache_dir: str | Path | None = None) -> Assistant:
        """Read config/assistant and its fitted models once per process; `cache_dir` keeps the fit on disk."""
        key = str(Path(config_dir).resolve())
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = cls.build(Path(config_dir), cache_dir=Path(cache_dir) if cache_dir else None)
            return cls._cache[key]

    @classmethod
    def build(
        cls, config_dir: Path, *, thresholds: Thresholds | None = None, cache_dir: Path | None = None
    ) -> Assistant:
        data = TrainingData.read(config_dir)
        thresholds_from_file = thresholds is None
        thresholds = thresholds or Thresholds.load(config_dir / "thresholds.yaml")

        def fit() -> tuple[IntentModel, Retriever]:
            return (
                IntentModel().fit(*data.intent_examples()),
                Retriever(weight=thresholds.retrieval_weight).fit(*data.retrieval_examples()),
            )

        # Thresholds passed in (calibration) are not those of the file: never read or write the cache then.
        intents, retriever = cached(cache_dir if thresholds_from_file else None, config_dir, fit)
        return cls(
            knowledge=data.knowledge,
            normalizer=data.normalizer,
            safety=load_safety(config_dir / "safety.yaml"),
            intents=intents,
            retriever=retriever,
            thresholds=thresholds,
        )

    # -- one message --------------------------------------------------------------------------------------

    def reply(
        self, text: str, *, lang: str = "fr", consultation: dict | None = None, facts: dict | None = None
    ) -> Reply:
        """Understand one message and answer it (texts in `lang`: call inside the app, under that locale)."""
        if not any(ch.isalnum() for ch in text):
            return Reply(kind="help", text=str(replies.HELP), intent="help", confidence=1.0, masked=text.strip())
        found = find_personal_data(text)
        masked = found.redacted if found else text
        normalized = self.normalize(text)
        level, why = self.safety.assess(normalized)
        probabilities = self.intents.probabilities(normalized)
        medical_p = sum(probabilities.get(name, 0.0) for name in MEDICAL_INTENTS)
        about_tools = self.safety.is_about_tools(normalized)
        bar = self.thresholds.medical_about_tools if about_tools else self.thresholds.medical
        if level is None and medical_p >= bar:
            level = max(MEDICAL_INTENTS, key=lambda name: probabilities.get(name, 0.0))
            why = [f"{name}: {probabilities.get(name, 0.0):.2f}" for name in MEDICAL_INTENTS]
        if level is not None:
            return self._medical(level, why, masked, found)
        intent, confidence = self._intent(text, probabilities)
        reply = self._by_intent(intent, confidence, text, normalized, lang, consultation, facts or {})
        reply.masked = masked
        if found:
            # The warning names the kinds of data, never the data; a useful answer still follows it.
            reply.personal_data = [str(kind) for kind in found.kinds]
            warning = str(replies.PERSONAL_DATA % {"kinds": ", ".join(reply.personal_data)})
            if reply.kind == "answer":
                reply.text = warning + "\n\n" + reply.text
            else:
                reply.text, reply.sources = warning, []
            reply.kind = "personal_data"
        return reply

    def _medical(self, level: str, why: list[str], masked: str, found) -> Reply:
        text = {"distress": replies.DISTRESS, "emergency": replies.EMERGENCY}.get(level, replies.MEDICAL)
        return Reply(
            kind="medical",
            text=str(text),
            intent=level,
            confidence=1.0,
            level=level,
            why=why,
            personal_data=[str(kind) for kind in found.kinds] if found else [],
            masked=masked,
        )

    def _intent(self, text: str, probabilities: dict[str, float]) -> tuple[str, float]:
        """The message's intent outside safety; a question or a request inside a longer message wins."""
        usable = {name: p for name, p in probabilities.items() if name not in MEDICAL_INTENTS}
        intent = max(usable, key=usable.get)
        confidence = usable[intent] / (sum(usable.values()) or 1.0)
        parts = sentences(text)
        if intent in ("greeting", "help", "other") and len(parts) > 1:
            for part in parts:
                part_p = self.intents.probabilities(self.normalize(part))
                best = max((name for name in part_p if name in (*ACTION_INTENTS, "question")), key=part_p.get)
                if part_p[best] >= self.thresholds.segment_intent:
                    return best, part_p[best]
        if intent in ("greeting", "help") and len(text.split()) >= self.thresholds.long_message:
            # Greetings and "what can you do" are short; a long message saying hello or asking for help
            # usually carries a real question: answer it when the knowledge base knows it.
            if self.retrieve(text)[0][1] >= self.thresholds.answer:
                return "question", usable.get("question", 0.0)
        return intent, confidence

    def _by_intent(self, intent, confidence, text, normalized, lang, consultation, facts) -> Reply:
        if intent == "greeting":
            return Reply(kind="greeting", text=str(self._greeting(normalized)), intent=intent, confidence=confidence)
        if intent == "help":
            return Reply(kind="help", text=str(replies.HELP), intent=intent, confidence=confidence)
        if intent in ACTION_INTENTS:
            text_ = replies.CONTRIBUTE if intent == "contribute" else replies.VOTE
            return Reply(kind=intent, text=str(text_), intent=intent, confidence=confidence)
        return self._answer(intent, confidence, text, normalized, lang, consultation, facts)

    def _greeting(self, normalized: str):
        words = set(normalized.split())
        if words & {"merci", "mrc", "thanks", "thank", "cheers"}:
            return replies.THANKS
        if words & {"revoir", "bye", "goodbye", "ciao"} or any(f"bonne {part}" in normalized for part in PARTS_OF_DAY):
            return replies.GOODBYE
        return replies.GREETING

    def _answer(self, intent, confidence, text, normalized, lang, consultation, facts) -> Reply:
        entries = self.retrieve(text, normalized)
        bar = self.thresholds.answer if intent == "question" else self.thresholds.answer_off_topic
        entries = [(entry_id, score) for entry_id, score in entries if score >= bar]
        if not entries:
            return self.dont_know(intent=intent, confidence=confidence)
        texts, sources = [], []
        for entry_id, _score in entries:
            entry = self.knowledge[entry_id]
            texts.append(entry.render(lang, facts, consultation))
            sources += [source for source in entry.sources if source not in sources]
        return Reply(
            kind="answer",
            text="\n\n".join(texts),
            answer="\n\n".join(texts),
            sources=sources,
            intent="question",
            confidence=entries[0][1],
            entries=[entry_id for entry_id, _ in entries],
        )

    def retrieve(self, text: str, normalized: str | None = None) -> list[tuple[str, float]]:
        """The best entry for the whole message, then one per other sentence asking something else."""
        normalized = normalized if normalized is not None else self.normalize(text)
        parts = clauses(text)
        by_part = [self.normalize(part) for part in parts]
        queries = [normalized] + (by_part if by_part != [normalized] else [])
        scores = self.retriever.scores(queries)
        ranked = []
        for row in scores:
            best = int(row.argmax())
            ranked.append((str(self.retriever.entries_[best]), float(row[best])))
        whole, *by_part = ranked
        chosen = [whole]
        if by_part:
            best_part = max(by_part, key=lambda pair: pair[1])
            if best_part[1] > whole[1]:
                # A clearer sentence beats the mixture of the whole message.
                chosen = [best_part] + ([whole] if whole[0] != best_part[0] else [])
            for pair in sorted(by_part, key=lambda pair: -pair[1]):
                if pair[0] not in {entry_id for entry_id, _ in chosen}:
                    chosen.append(pair)
        # A second answer must be clear on its own (the off-topic bar): a stray clause adds noise, not help.
        second = [pair for pair in chosen[1:] if pair[1] >= self.thresholds.answer_off_topic]
        return chosen[:1] + second[: MAX_ANSWERS - 1]

    def dont_know(self, *, intent: str | None = None, confidence: float = 0.0) -> Reply:
        return Reply(
            kind="dont_know",
            text=str(replies.DONT_KNOW),
            sources=[Source(str(replies.CONTACT), CONTACT_PATH)],
            intent=intent,
            confidence=confidence,
        )


@dataclass
class TrainingData:
    """What the models learn from: config/assistant/{knowledge,intents,normalization}.yaml."""

    knowledge: KnowledgeBase
    intents: dict[str, list[str]]
    normalizer: Normalizer

    @classmethod
    def read(cls, config_dir: Path) -> TrainingData:
        raw = yaml.safe_load((config_dir / "intents.yaml").read_text(encoding="utf-8")) or {}
        intents = {
            name: [str(text) for lang in ("fr", "en") for text in (examples or {}).get(lang) or []]
            for name, examples in (raw.get("intents") or {}).items()
        }
        return cls(
            knowledge=load_knowledge(config_dir / "knowledge.yaml"),
            intents=intents,
            normalizer=Normalizer(config_dir / "normalization.yaml"),
        )

    def question_examples(self) -> tuple[list[str], list[str]]:
        texts, ids = [], []
        for entry in self.knowledge:
            for text in [*entry.questions["fr"], *entry.questions["en"], entry.title["fr"]]:
                texts.append(text)
                ids.append(entry.id)
        return texts, ids

    def intent_examples(self) -> tuple[list[str], list[str]]:
        texts = [text for examples in self.intents.values() for text in examples]
        labels = [name for name, examples in self.intents.items() for _ in examples]
        questions, _ = self.question_examples()
        return [self.normalizer(t) for t in texts + questions], labels + ["question"] * len(questions)

    def retrieval_examples(self) -> tuple[list[str], list[str]]:
        texts, ids = self.question_examples()
        return [self.normalizer(t) for t in texts], ids
