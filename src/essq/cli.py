"""The ``essq`` command line: one entry point, every package registers its commands.

Each package owns ``essq/<package>/cli.py`` with ``enregistrer(app)``; this module only
assembles them, sets the French texts and turns :class:`~essq.erreurs.ErreurUtilisateur`
into a clear message and exit status 2 (never a traceback).
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from essq import __version__, cli_fr
from essq.cli_outils import executer
from essq.options import PARAMETRES, OptionHome

__all__ = ["OptionHome", "app", "main"]

cli_fr.installer()


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

# Packages that contribute commands, in the order they appear in ``essq --help``.
MODULES_CLI = (
    "essq.generateur.cli",
    "essq.territoires.cli",
    "essq.sirene.cli",
    "essq.observatoire.cli",
    "essq.referentiel.cli",
    "essq.diagnostics.cli",
    "essq.rapports.cli",
    "essq.web.cli",
    "essq.demo",
)


def _version(valeur: bool) -> None:
    if valeur:
        typer.echo(f"essq {__version__}")
        raise typer.Exit()


@app.callback()
def _racine(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Affiche la version et quitte."
        ),
    ] = False,
) -> None:
    """ESS Quartiers : l'économie sociale et solidaire dans les quartiers prioritaires."""


for _nom in MODULES_CLI:
    try:
        _module = importlib.import_module(_nom)
    except ModuleNotFoundError as exc:  # a package without commands yet
        if exc.name != _nom:
            raise
        continue
    _module.enregistrer(app)


def main() -> None:
    """Entry point of the ``essq`` script."""
    executer(app)


if __name__ == "__main__":
    main()
