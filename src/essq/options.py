"""CLI options shared by every package's commands (importable without importing essq.cli)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from essq.config import VARIABLE_HOME

OptionHome = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar=VARIABLE_HOME,
        help="Dossier des données importées et des entrepôts construits "
        "(par défaut : variable ESSQ_HOME, sinon le dossier de données de l'utilisateur).",
        show_default=False,
    ),
]


# INSEE's historical SIRENE stocks, to rebuild the stock at a past date (essq.sirene.historique);
# `essq sirene qualifier` and `essq construire` take them alike.
OptionHistoriqueUnitesLegales = Annotated[
    Path | None,
    typer.Option(
        "--historique-unites-legales",
        help="Stock historique des unités légales (StockUniteLegaleHistorique) : catégorie "
        "juridique, indicateur ESS, activité, état, tels qu'à la date passée demandée.",
    ),
]
OptionHistoriqueEtablissements = Annotated[
    Path | None,
    typer.Option(
        "--historique-etablissements",
        help="Stock historique des établissements (StockEtablissementHistorique) : état, "
        "activité, caractère employeur, enseigne, tels qu'à la date passée demandée.",
    ),
]


class FormatSortie(StrEnum):
    """Output of the listing and showing commands: readable text or JSON."""

    texte = "texte"
    json = "json"


OptionFormat = Annotated[
    FormatSortie,
    typer.Option(
        "--format", help="Format de sortie : texte (lisible) ou json.", case_sensitive=False
    ),
]


PARAMETRES = {"help_option_names": ["-h", "--help"]}


def groupe(aide: str) -> typer.Typer:
    """A sub-command group (``essq <groupe> …``) with its French help, shown when called bare."""
    return typer.Typer(
        help=aide, no_args_is_help=True, rich_markup_mode="rich", context_settings=PARAMETRES
    )


def afficher_json(valeur: object) -> None:
    """Print ``valeur`` as indented JSON, keeping accents (dates and paths as text)."""
    typer.echo(json.dumps(valeur, ensure_ascii=False, indent=2, default=str))
