"""Demo content: the consultation « Les principes du numérique en santé », one account per
role, and a fictitious participation (40 citizens, 129 published contributions, votes with three
latent opinion groups, comments with replies, a few flagged contributions and comments, and
contributions in the moderation queue, one of them a likely duplicate).

Everything created here is FICTITIOUS demonstration content (DEMO = True): the texts live in
consult/demo_content.yaml, the citizens have pseudonyms ending in « (démo) » and
@demo.consultation.fr addresses, and the consultation page says so. Deterministic (fixed random
seed) and idempotent: running it again creates only what is missing and never changes data it did
not create.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from consult.auth.passwords import hash_password
from consult.consultations.services import create_consultation, get_consultation
from consult.flags.services import AlreadyFlagged, flag_comment, flag_contribution
from consult.models import (
    AutomaticLabel,
    Comment,
    Consultation,
    Contribution,
    ContributionPrinciple,
    ContributionStatus,
    LabelSource,
    ModerationMode,
    Role,
    Theme,
    User,
    Vote,
    VoteValue,
    utcnow,
)
from consult.votes.services import consensus_score, divisive_score

DEMO = True
DEMO_PASSWORD = "Demo-consultation-2026"
DEMO_SLUG = "principes-numerique-sante"
DEMO_ACCOUNTS = {
    Role.CITIZEN: ("citoyen@demo.consultation.fr", "Camille (démo)"),
    Role.MODERATOR: ("moderateur@demo.consultation.fr", "Modération (démo)"),
    Role.ANALYST: ("analyste@demo.consultation.fr", "Délégation (démo)"),
    Role.ADMIN: ("admin@demo.consultation.fr", "Administration (démo)"),
}

DEMO_DESCRIPTION = """\
*Contenu de démonstration : cette consultation et ses contributions sont fictives.*

Le numérique transforme la santé : **Mon espace santé**, l'identité nationale de santé (**INS**), la carte
professionnelle dématérialisée (**e-CPS**), la téléconsultation, l'intelligence artificielle… L'État construit
les règles de ce numérique en santé autour de trois piliers de la doctrine : **interopérabilité**, **sécurité**
et **éthique**.

En 2022, les États membres de l'Union européenne ont adopté **16 principes européens pour l'éthique du
numérique en santé**, répartis en quatre dimensions :

1. inscrire le numérique en santé dans un cadre de valeurs humanistes ;
2. donner la main aux personnes sur le numérique et leurs données de santé ;
3. développer un numérique en santé inclusif ;
4. mettre en œuvre un numérique en santé écoresponsable.

La Délégation au numérique en santé vous invite à dire comment ces principes doivent se traduire
concrètement : proposez vos idées, votez sur celles des autres, commentez. Une synthèse publique rendra
compte de toutes les contributions.
"""


CONTENT_PATH = Path(__file__).with_name("demo_content.yaml")
CITIZEN_EMAIL = "citoyen{:02d}@demo.consultation.fr"
RANDOM_SEED = 20260
# Contributions are spread over the first 13 days of the consultation.
SPREAD = timedelta(days=13)
# Probability that a member of latent group 1, 2 or 3 agrees with a contribution of each stance
# (see demo_content.yaml). The rest splits 80 % disagree, 20 % pass.
STANCES = {
    "C": (0.85, 0.85, 0.85),
    "N": (0.85, 0.20, 0.30),
    "V": (0.15, 0.90, 0.35),
    "H": (0.30, 0.35, 0.90),
    "M": (0.50, 0.50, 0.50),
}
# The default of FLAG_HIDE_THRESHOLD (config/default.toml); the demo flags stay below it.
FLAG_HIDE_THRESHOLD = 3
# Older contributions have been seen by more citizens: from 25 % (newest) to 75 % (oldest).
MIN_SEEN, MAX_SEEN = 0.25, 0.75


@dataclass
class SeedReport:
    demo: bool = DEMO  # fictitious content only
    consultation_created: bool = False
    accounts_created: list[str] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)
    citizens_created: int = 0
    contributions_created: int = 0
    votes_created: int = 0
    comments_created: int = 0
    flags_created: int = 0
    skipped: str | None = None

    def __str__(self) -> str:
        made = "créée" if self.consultation_created else "déjà présente"
        text = (
            f"consultation {made}, {len(self.accounts_created)} compte(s) créé(s) ; "
            "contenu fictif : "
            f"{self.citizens_created} citoyen(s), {self.contributions_created} contribution(s), "
            f"{self.votes_created} vote(s), {self.comments_created} commentaire(s), "
            f"{self.flags_created} signalement(s) créés"
        )
        return text + (f" ({self.skipped})" if self.skipped else "")


@cache
def load_demo_content() -> dict:
    return yaml.safe_load(CONTENT_PATH.read_text(encoding="utf-8"))


def seed_demo(*, session: Session) -> SeedReport:
    report = SeedReport()
    consultation = get_consultation(session=session, slug=DEMO_SLUG)
    if consultation is None:
        now = utcnow()
        consultation = create_consultation(
            session=session,
            slug=DEMO_SLUG,
            title="Les principes du numérique en santé",
            summary="Comment traduire les 16 principes européens d'éthique du numérique en santé dans les "
            "services que vous utilisez : Mon espace santé, téléconsultation, applications, IA ?",
            question="Selon vous, que doit garantir le numérique en santé pour être éthique, sûr et utile à tous ?",
            description=DEMO_DESCRIPTION,
            opens_at=now - timedelta(days=14),
            closes_at=now + timedelta(days=60),
            moderation=ModerationMode.POST,
        )
        report.consultation_created = True
    hashed = None
    for role, (email, pseudonym) in DEMO_ACCOUNTS.items():
        report.accounts[role.value] = email
        if session.exec(select(User).where(User.email == email)).first() is None:
            hashed = hashed or hash_password(DEMO_PASSWORD)
            session.add(
                User(
                    email=email,
                    pseudonym=pseudonym,
                    password_hash=hashed,
                    role=role,
                    privacy_consent_at=utcnow(),
                    email_verified_at=utcnow(),
                )
            )
            report.accounts_created.append(email)
    session.flush()
    if session.exec(select(func.count()).select_from(Theme)).one() == 0:
        # Contributions reference the taxonomy: it is loaded by `consult db upgrade`.
        report.skipped = "taxonomie absente : lancez d'abord « consult db upgrade »"
        return report
    seed_participation(session=session, consultation=consultation, report=report, password_hash=hashed)
    return report


def seed_participation(
    *,
    session: Session,
    consultation: Consultation,
    report: SeedReport,
    password_hash: str | None = None,
) -> None:
    """Create whatever is missing of the demo citizens, contributions, votes and comments."""
    content = load_demo_content()
    # Draw every random choice up front, in a fixed order, so the plan never depends on what exists.
    rng = random.Random(RANDOM_SEED)
    citizens = _ensure_citizens(
        session=session, pseudonyms=content["citizens"], password_hash=password_hash, report=report
    )
    items = content["contributions"] + content["moderation"]
    opens = consultation.opens_at
    offsets = sorted(rng.random() for _ in items)
    rng.shuffle(offsets)
    now = utcnow().replace(tzinfo=None) if opens.tzinfo is None else utcnow()
    plan = []
    for item, offset in zip(items, offsets, strict=True):
        author = citizens[rng.randrange(len(citizens))]
        plan.append((item, author, min(opens + SPREAD * offset, now - timedelta(minutes=5)), offset))
    late_rng = random.Random(RANDOM_SEED + 1)
    for item in content.get("moderation_late", []):
        author = citizens[late_rng.randrange(len(citizens))]
        plan.append((item, author, now - timedelta(hours=late_rng.randrange(2, 48)), 1.0))

    contributions = _ensure_contributions(session=session, consultation=consultation, plan=plan, report=report)
    touched: set[int] = set()
    touched |= _ensure_votes(
        session=session,
        rng=rng,
        plan=plan,
        citizens=citizens,
        contributions=contributions,
        report=report,
    )
    touched |= _ensure_comments(
        session=session,
        rng=rng,
        comments=content["comments"],
        citizens=citizens,
        contributions=contributions,
        report=report,
    )
    refresh_counters(session=session, contribution_ids=touched)
    _ensure_flags(
        session=session,
        rng=rng,
        flags=content.get("flags", []),
        citizens=citizens,
        contributions=contributions,
        report=report,
    )
    _label_pending(session=session, contributions=contributions)


def _label_pending(*, session: Session, contributions: dict[str, Contribution]) -> None:
    """Give the pending demo contributions the automatic labels that submission gives them on a real site.

    The moderation panel shows stored duplicate candidates only (it never builds a similarity index in a
    request): without them the demo's near-duplicate would show none until an analysis run.
    """
    from consult.analysis.automatic import label_contribution

    pending = [c for c in contributions.values() if c.status == ContributionStatus.PENDING]
    labelled = set(
        session.exec(
            select(AutomaticLabel.contribution_id).where(
                col(AutomaticLabel.contribution_id).in_([c.id for c in pending])
            )
        )
    )
    for contribution in pending:
        if contribution.id not in labelled:
            label_contribution(session=session, contribution=contribution)


def _ensure_citizens(
    *, session: Session, pseudonyms: list[str], password_hash: str | None, report: SeedReport
) -> list[User]:
    emails = [CITIZEN_EMAIL.format(n) for n in range(1, len(pseudonyms) + 1)]
    existing = {u.email: u for u in session.exec(select(User).where(col(User.email).in_(emails)))}
    for email, pseudonym in zip(emails, pseudonyms, strict=True):
        if email not in existing:
            # argon2 is slow on purpose: hash the demo password only when an account is missing.
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            existing[email] = User(
                email=email,
                pseudonym=pseudonym,
                password_hash=password_hash,
                role=Role.CITIZEN,
                privacy_consent_at=utcnow(),
                email_verified_at=utcnow(),
            )
            session.add(existing[email])
            report.citizens_created += 1
    session.flush()
    return [existing[email] for email in emails]


def _ensure_contributions(
    *, session: Session, consultation: Consultation, plan: list, report: SeedReport
) -> dict[str, Contribution]:
    """Return {title: contribution} for every demo contribution, creating the missing ones."""
    author_ids = {author.id for _, author, _, _ in plan}
    existing = {
        c.title: c
        for c in session.exec(
            select(Contribution).where(
                Contribution.consultation_id == consultation.id,
                col(Contribution.author_id).in_(author_ids),
            )
        )
    }
    created = []
    for item, author, created_at, _ in plan:
        if item["title"] in existing:
            continue
        status = item.get("status", ContributionStatus.PUBLISHED)
        contribution = Contribution(
            consultation_id=consultation.id,
            author_id=author.id,
            title=item["title"],
            body=item["body"].strip(),
            theme_id=item["theme"],
            status=status,
            rejection_reason=item.get("reason"),
            channel=item.get("channel", "web"),
            created_at=created_at,
            updated_at=created_at,
            published_at=created_at if status == ContributionStatus.PUBLISHED else None,
        )
        existing[item["title"]] = contribution
        created.append((item, contribution))
    session.add_all([c for _, c in created])
    session.flush()
    for item, contribution in created:
        if item.get("duplicate_of"):
            contribution.duplicate_of_id = existing[item["duplicate_of"]].id
        session.add_all(
            ContributionPrinciple(contribution_id=contribution.id, principle_id=p, source=LabelSource.AUTHOR)
            for p in item["principles"]
        )
    report.contributions_created = len(created)
    session.flush()
    return existing


def _vote_value(rng: random.Random, agree_probability: float) -> int:
    draw = rng.random()
    if draw < agree_probability:
        return VoteValue.AGREE.value
    if draw < agree_probability + (1 - agree_probability) * 0.8:
        return VoteValue.DISAGREE.value
    return VoteValue.PASS.value


def _ensure_votes(
    *,
    session: Session,
    rng: random.Random,
    plan: list,
    citizens: list[User],
    contributions: dict[str, Contribution],
    report: SeedReport,
) -> set[int]:
    ids = [c.id for c in contributions.values()]
    existing = set(
        session.exec(select(Vote.contribution_id, Vote.user_id).where(col(Vote.contribution_id).in_(ids))).all()
    )
    new_votes = []
    for item, author, created_at, offset in plan:
        if item.get("status", ContributionStatus.PUBLISHED) != ContributionStatus.PUBLISHED:
            continue
        contribution = contributions[item["title"]]
        seen = MAX_SEEN - (MAX_SEEN - MIN_SEEN) * offset
        for index, citizen in enumerate(citizens):
            # Draw for every citizen, voting or not, to keep the sequence fixed.
            votes, value, delay = (
                rng.random() < seen,
                _vote_value(rng, STANCES[item["stance"]][index % 3]),
                rng.random(),
            )
            if citizen.id == author.id or not votes or (contribution.id, citizen.id) in existing:
                continue
            when = created_at + timedelta(hours=1 + 48 * delay)
            new_votes.append(
                Vote(
                    contribution_id=contribution.id,
                    user_id=citizen.id,
                    value=value,
                    created_at=when,
                    updated_at=when,
                )
            )
    session.add_all(new_votes)
    session.flush()
    report.votes_created = len(new_votes)
    return {v.contribution_id for v in new_votes}


def _ensure_comments(
    *,
    session: Session,
    rng: random.Random,
    comments: list[dict],
    citizens: list[User],
    contributions: dict[str, Contribution],
    report: SeedReport,
) -> set[int]:
    ids = [c.id for c in contributions.values()]
    existing = {
        (c.contribution_id, c.author_id, c.body): c
        for c in session.exec(select(Comment).where(col(Comment.contribution_id).in_(ids)))
    }
    touched = set()

    def ensure(contribution: Contribution, body: str, parent: Comment | None, hours: float) -> Comment:
        others = [c for c in citizens if c.id != contribution.author_id]
        author = others[rng.randrange(len(others))]
        key = (contribution.id, author.id, body)
        if key not in existing:
            when = contribution.created_at + timedelta(hours=hours)
            existing[key] = Comment(
                contribution_id=contribution.id,
                author_id=author.id,
                body=body,
                parent_id=parent.id if parent else None,
                created_at=when,
                updated_at=when,
            )
            session.add(existing[key])
            session.flush()
            report.comments_created += 1
            touched.add(contribution.id)
        return existing[key]

    for entry in comments:
        contribution = contributions[entry["about"]]
        top = ensure(contribution, entry["body"], None, 2 + 24 * rng.random())
        for position, reply in enumerate(entry.get("replies", []), start=1):
            ensure(contribution, reply, top, 30 + 12 * position + 6 * rng.random())
    return touched


def _ensure_flags(
    *,
    session: Session,
    rng: random.Random,
    flags: list[dict],
    citizens: list[User],
    contributions: dict[str, Contribution],
    report: SeedReport,
) -> None:
    """Report a few contributions and comments through the flags service (which keeps flag_count exact)."""
    for entry in flags:
        if "comment" in entry:
            target = session.exec(select(Comment).where(Comment.body == entry["comment"])).one()
            record, kind = flag_comment, "comment"
        else:
            target, record, kind = contributions[entry["about"]], flag_contribution, "contribution"
        others = [c for c in citizens if c.id != target.author_id]
        for flagger in rng.sample(others, entry["flaggers"]):
            try:
                record(
                    session=session,
                    user=flagger,
                    reason=entry["reason"],
                    details=entry["details"],
                    hide_threshold=FLAG_HIDE_THRESHOLD,
                    **{kind: target},
                )
            except AlreadyFlagged:
                continue
            report.flags_created += 1
    session.flush()


def refresh_counters(*, session: Session, contribution_ids: set[int]) -> None:
    """Recompute the denormalised vote and comment counters (and sort scores) from the rows."""
    if not contribution_ids:
        return
    ids = sorted(contribution_ids)
    tallies = {
        row[0]: row[1:]
        for row in session.exec(
            select(
                Vote.contribution_id,
                func.sum(case((Vote.value == VoteValue.AGREE.value, 1), else_=0)),
                func.sum(case((Vote.value == VoteValue.DISAGREE.value, 1), else_=0)),
                func.sum(case((Vote.value == VoteValue.PASS.value, 1), else_=0)),
            )
            .where(col(Vote.contribution_id).in_(ids))
            .group_by(Vote.contribution_id)
        )
    }
    comment_counts = dict(
        session.exec(
            select(Comment.contribution_id, func.count())
            .where(col(Comment.contribution_id).in_(ids), Comment.status == "published")
            .group_by(Comment.contribution_id)
        ).all()
    )
    for contribution in session.exec(select(Contribution).where(col(Contribution.id).in_(ids))):
        agree, disagree, passes = (int(n) for n in tallies.get(contribution.id, (0, 0, 0)))
        total = agree + disagree + passes
        contribution.agree_count, contribution.disagree_count, contribution.pass_count = (
            agree,
            disagree,
            passes,
        )
        contribution.vote_count = total
        contribution.consensus_score = consensus_score(agree, disagree, total)
        contribution.divisive_score = divisive_score(agree, disagree)
        contribution.comment_count = comment_counts.get(contribution.id, 0)
        session.add(contribution)
    session.flush()
