"""The ``essq`` command line: one entry point, every package registers its commands.

Each package owns ``essq/<package>/cli.py`` with ``enregistrer(app)``; this module only
assembles them, sets the French texts and turns :class:`~essq.erreurs.ErreurUtilisateur`
into a clear message and exit status 2 (never a traceback).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from essq import __version__, cli_fr
from essq.cli_outils import executer
from essq.options import PARAMETRES, OptionHome

__all__ = ["OptionHome", "app", "main"]  # noqa: F822 (app: built on first use, __getattr__)

cli_fr.installer()


# Command or group name -> the module that registers it. ``essq NAME …`` imports that module
# only: a short command such as ``essq indicateurs`` does not pay for the imports of every
# other package (diagnostics, référentiel, web…). tests/test_cli.py checks this table against
# what each module registers.
COMMANDES = {
    "generer": "essq.generateur.cli",
    "territoires": "essq.territoires.cli",
    "qpv": "essq.territoires.cli",
    "donnees": "essq.territoires.cli",
    "sirene": "essq.sirene.cli",
    "construire": "essq.observatoire.cli",
    "indicateurs": "essq.observatoire.cli",
    "evolution": "essq.observatoire.cli",
    "exporter": "essq.observatoire.cli",
    "referentiel": "essq.referentiel.cli",
    "diagnostic": "essq.diagnostics.cli",
    "portrait": "essq.rapports.cli",
    "servir": "essq.web.cli",
    "demo": "essq.demo",
}
# Packages that contribute commands, in the order they appear in ``essq --help``.
MODULES_CLI = tuple(dict.fromkeys(COMMANDES.values()))


def _version(valeur: bool) -> None:
    if valeur:
        typer.echo(f"essq {__version__}")
        raise typer.Exit()


def _racine(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Affiche la version et quitte."
        ),
    ] = False,
) -> None:
    """ESS Quartiers : l'économie sociale et solidaire dans les quartiers prioritaires."""


def application(modules: Sequence[str] = MODULES_CLI) -> typer.Typer:
    """The ``essq`` application with the commands of ``modules`` (default: all of them)."""
    app = typer.Typer(
        name="essq",
        help="ESS Quartiers : l'économie sociale et solidaire dans les quartiers prioritaires "
        "de la politique de la ville (QPV).",
        context_settings=PARAMETRES,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
        add_completion=False,
    )
    app.callback()(_racine)
    for nom in modules:
        try:
            module = importlib.import_module(nom)
        except ModuleNotFoundError as exc:  # a package without commands yet
            if exc.name != nom:
                raise
            continue
        module.enregistrer(app)
    return app


def modules_pour(arguments: Sequence[str]) -> tuple[str, ...]:
    """The CLI modules a command line needs: the one of its command, or all of them (no
    command, root options only, or an unknown command, whose error lists the commands)."""
    commande = next((a for a in arguments if not a.startswith("-")), None)
    module = COMMANDES.get(commande or "")
    return (module,) if module else MODULES_CLI


def __getattr__(nom: str) -> typer.Typer:
    # ``from essq.cli import app``: the whole application, built on first use
    if nom == "app":
        app = application()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {nom!r}")


def main() -> None:
    """Entry point of the ``essq`` script."""
    executer(application(modules_pour(sys.argv[1:])))


if __name__ == "__main__":
    main()
