"""Running a Typer application the way every ``essq`` entry point does.

Shared by ``essq`` (essq.cli) and the package entry points (``python -m essq.referentiel``):
a user error becomes a French message and exit status 2, never a traceback; Ctrl+C says that
nothing was replaced (writes are atomic) and exits 130.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from essq.console import console
from essq.erreurs import ErreurUtilisateur


def executer(lancer: Callable[[], object]) -> None:
    """Call ``lancer`` (a Typer app invocation), turning user errors into a clear exit."""
    try:
        lancer()
    except ErreurUtilisateur as exc:
        console.print(f"[bold red]Erreur :[/] {exc.texte()}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("[yellow]Interrompu : rien n'a été remplacé.[/]")
        sys.exit(130)
