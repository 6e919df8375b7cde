"""The assistant's own sentences (translated with the interface); the answers come from the knowledge base."""

from __future__ import annotations

from consult.i18n import lazy_gettext as _l

GREETING = _l(
    "Bonjour ! Je suis l'assistant de la consultation. Je peux répondre à vos questions sur la consultation et le "
    "numérique en santé (Mon espace santé, l'INS, vos données…), vous aider à proposer une contribution ou à voter "
    "sur celles des autres."
)
THANKS = _l("Avec plaisir ! Avez-vous une autre question, une idée à proposer ou envie de voter ?")
GOODBYE = _l("Au revoir, et merci de votre participation !")
HELP = _l(
    "Je peux :\n"
    "• répondre à vos questions sur la consultation et le numérique en santé (par exemple « À quoi sert l'INS ? » ou "
    "« Que deviennent les contributions ? »), en citant mes sources ;\n"
    "• vous aider à proposer une contribution : dites-moi ce qui compte pour vous ;\n"
    "• vous proposer des contributions sur lesquelles voter.\n"
    "Je ne donne pas d'avis médical."
)
DONT_KNOW = _l(
    "Je ne sais pas répondre à cette question, et je préfère ne rien inventer. Vous pouvez la reformuler, ou écrire "
    "à l'équipe de la consultation depuis la page Contact."
)
CONTACT = _l("Contact")
MEDICAL = _l(
    "Je ne peux pas donner d'avis médical : ni diagnostic, ni traitement, ni dose. Pour une question sur votre santé "
    "ou celle d'un proche, parlez-en à votre médecin ou à votre pharmacien. En cas d'urgence, appelez le 15 (SAMU) "
    "ou le 112."
)
EMERGENCY = _l(
    "Si c'est une urgence, appelez tout de suite le 15 (SAMU) ou le 112 (numéro d'urgence européen), ou le 114 par "
    "SMS si vous ne pouvez pas parler. Je ne peux pas donner d'avis médical : seuls les secours et les "
    "professionnels de santé peuvent vous aider."
)
DISTRESS = _l(
    "Je suis désolé que vous traversiez ce moment. Vous n'êtes pas seul : appelez le 3114, le numéro national de "
    "prévention du suicide, gratuit, 24 heures sur 24, 7 jours sur 7. En cas de danger immédiat, appelez le 15 ou "
    "le 112."
)
PERSONAL_DATA = _l(
    "Attention : votre message semble contenir des données personnelles (%(kinds)s). Je ne les ai pas "
    "enregistrées : elles sont masquées dans notre conversation. Pour protéger votre vie privée, ne partagez ici ni "
    "nom, ni coordonnées, ni informations sur votre santé ou celle de vos proches."
)
CONTRIBUTE = _l(
    "Avec plaisir ! Qu'est-ce qui compte pour vous ? Décrivez en quelques phrases ce que vous voudriez voir changer "
    "ou ce qui vous inquiète : je vous montrerai les contributions qui disent déjà la même chose, puis je vous "
    "aiderai à rédiger la vôtre."
)
VOTE = _l(
    "Je vais vous proposer des contributions, une par une : pour chacune, répondez « d'accord », « pas d'accord » "
    "ou « passer »."
)
