"""Git merge driver for the gettext catalogues: the union of both sides' messages, sorted as pybabel writes them.

Two branches that each add strings touch neighbouring lines of the same sorted file, which git reports as a
conflict although nothing contradicts. Set it up once per clone:
    git config merge.po-union.driver ".venv/bin/python scripts/po_merge.py %O %A %B"
(.gitattributes routes *.po files to it). A message deleted on one side and untouched on the other goes;
a translation filled on either side wins over an empty one.
"""

import sys

from babel.messages.pofile import read_po, write_po


def _read(path: str):
    with open(path, "rb") as handle:
        return read_po(handle)


def merge(base_path: str, ours_path: str, theirs_path: str) -> None:
    base, ours, theirs = _read(base_path), _read(ours_path), _read(theirs_path)
    result = _read(ours_path)
    for message in theirs:
        if not message.id:
            continue
        mine = result.get(message.id, message.context)
        if mine is None:
            if base.get(message.id, message.context) is None:  # added on their side
                result[message.id] = message
        elif not _filled(mine.string) and _filled(message.string):
            mine.string = message.string
            mine.flags = set(message.flags)
    for message in list(ours):
        if message.id and theirs.get(message.id, message.context) is None:
            if base.get(message.id, message.context) is not None:  # deleted on their side
                result.delete(message.id, message.context)
    with open(ours_path, "wb") as handle:
        write_po(handle, result, width=110, sort_output=True)


def _filled(string) -> bool:
    return any(string) if isinstance(string, tuple | list) else bool(string)


if __name__ == "__main__":
    merge(*sys.argv[1:4])
    sys.exit(0)
