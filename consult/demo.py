"""Demo content: the consultation « Les principes du numérique en santé » and one account per role.

Idempotent: running it again creates only what is missing and never changes existing data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, select

from consult.auth.passwords import hash_password
from consult.consultations.services import create_consultation, get_consultation
from consult.models import ModerationMode, Role, User, utcnow

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


@dataclass
class SeedReport:
    consultation_created: bool = False
    accounts_created: list[str] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        made = "créée" if self.consultation_created else "déjà présente"
        return f"consultation {made}, {len(self.accounts_created)} compte(s) créé(s)"


def seed_demo(*, session: Session) -> SeedReport:
    report = SeedReport()
    if get_consultation(session=session, slug=DEMO_SLUG) is None:
        now = utcnow()
        create_consultation(
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
            session.add(User(email=email, pseudonym=pseudonym, password_hash=hashed, role=role,
                             privacy_consent_at=utcnow()))
            report.accounts_created.append(email)
    session.flush()
    return report
