"""Autogenerate a migration from the models against a scratch SQLite database: `python -m consult.makemigration MSG`."""

import sys
import tempfile
from pathlib import Path

from alembic import command

from consult.migrate import alembic_config


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        config = alembic_config(url)
        config.set_main_option(
            "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
        )
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
