"""Fill the French catalogue's plural entries with the French source text.

The UI's source strings are French, so French needs no translation, except for plurals: without a French
catalogue gettext applies the English rule (n != 1) and prints "0 votes"; French uses n > 1 ("0 vote").
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parent.parent / "consult" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def main() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    for message in catalogue:
        if message.id and isinstance(message.id, tuple | list):
            # CLDR French has three forms (one: 0 and 1; many: millions; other): singular, then plural twice.
            singular, plural = message.id[0], message.id[1]
            message.string = (singular,) + (plural,) * (catalogue.num_plurals - 1)
        elif message.id:
            message.string = ""  # singular French strings are their own translation
        message.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalogue, width=110, omit_header=False)


if __name__ == "__main__":
    main()
