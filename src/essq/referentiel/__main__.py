"""``python -m essq.referentiel …``: the référentiel commands on their own.

The same commands as ``essq referentiel …``, usable even when another package's commands
cannot be loaded (an expert checking a draft only needs this package).
"""

from __future__ import annotations

from essq import cli_fr
from essq.cli_outils import executer
from essq.referentiel.cli import referentiel

cli_fr.installer()


def main() -> None:
    executer(lambda: referentiel(prog_name="python -m essq.referentiel"))


if __name__ == "__main__":
    main()
