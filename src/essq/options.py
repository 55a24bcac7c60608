"""CLI options shared by every package's commands (importable without importing essq.cli)."""

from __future__ import annotations

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
