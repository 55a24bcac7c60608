"""Entry point of the ``essq`` script, with a fast path for ``essq indicateurs``.

``essq indicateurs TERRITOIRE [--date-stock D] [--millesime M] [--format json] [--home H]``
is the command scripts run in loops, one territory after another. It is answered here
without building the command-line application: Typer, Click and Rich cost more to import
than the warehouse query itself. Every other form (another format, ``--sortie``,
``--help``, an option this parser does not know, a territory or a date the warehouse
refuses, a missing warehouse) goes through the full command line (:mod:`essq.cli`), which
gives the same answer and the same French messages.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

_OPTIONS = {"--date-stock": "date_stock", "--millesime": "millesime", "--home": "home"}


def options_indicateurs(args: Sequence[str]) -> dict[str, str | None] | None:
    """The options of a plain ``essq indicateurs`` call, None for anything else."""
    if len(args) < 2 or args[0] != "indicateurs":
        return None
    options: dict[str, str | None] = {
        "territoire": None,
        "date_stock": None,
        "millesime": "2024",
        "home": None,
    }
    reste = list(args[1:])
    while reste:
        arg = reste.pop(0)
        nom, egal, valeur = arg.partition("=")
        if nom in _OPTIONS or nom == "--format":
            if not egal:
                if not reste:
                    return None
                valeur = reste.pop(0)
            if not valeur or valeur.startswith("-"):
                return None
            if nom == "--format":
                if valeur.lower() != "json":  # csv, xlsx: the full command line
                    return None
            else:
                options[_OPTIONS[nom]] = valeur
        elif arg.startswith("-") or options["territoire"] is not None:
            return None  # --help, --sortie, an unknown option, a second argument…
        else:
            options["territoire"] = arg
    return options if options["territoire"] else None


def _indicateurs(options: dict[str, str | None]) -> bool:
    """Print the indicators as ``essq indicateurs`` does; False to leave it to essq.cli.

    Read from the consultation index when it matches the warehouse (no DuckDB import), from
    the warehouse otherwise."""
    import json
    import sqlite3

    from essq.erreurs import ErreurUtilisateur
    from essq.observatoire.consultation import Consultation

    territoire = str(options["territoire"])
    date_stock, millesime = options["date_stock"], str(options["millesime"])
    try:
        res = None
        try:
            consultation = Consultation.ouvrir(options["home"])
            if consultation is not None:
                with consultation:
                    res = consultation.indicateurs(territoire, date_stock, millesime)
        except sqlite3.Error:  # a damaged index: the warehouse answers
            res = None
        if res is None:
            from essq.observatoire.entrepot import Entrepot

            with Entrepot.ouvrir(options["home"]) as entrepot:
                res = entrepot.indicateurs(territoire, date_stock, millesime)
    except ErreurUtilisateur:  # the full command line words and reports it
        return False
    sys.stdout.write(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
    return True


def main() -> None:
    """Entry point of the ``essq`` script."""
    options = options_indicateurs(sys.argv[1:])
    if options is not None and _indicateurs(options):
        return
    from essq.cli import main as ligne_de_commande

    ligne_de_commande()


if __name__ == "__main__":
    main()
