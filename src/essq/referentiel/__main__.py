"""``python -m essq.referentiel …``: the référentiel commands on their own.

The same commands as ``essq referentiel …``, usable even when another package's commands
cannot be loaded (an expert checking a draft only needs this package).
"""

from __future__ import annotations

import sys

from essq import cli_fr
from essq.console import console
from essq.erreurs import ErreurUtilisateur
from essq.referentiel.cli import referentiel

cli_fr.installer()


def main() -> None:
    try:
        referentiel(prog_name="python -m essq.referentiel")
    except ErreurUtilisateur as exc:
        console.print(f"[bold red]Erreur :[/] {exc.texte()}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("[yellow]Interrompu : rien n'a été remplacé.[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
