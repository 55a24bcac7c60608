"""Where ESS Quartiers keeps imported data and built warehouses.

One setting decides it: the ``--home`` option of the CLI, else the ``ESSQ_HOME``
environment variable, else a per-user data folder (``platformdirs``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

VARIABLE_HOME = "ESSQ_HOME"


def resoudre_home(option: Path | str | None = None) -> Path:
    """Return the data folder: explicit option > ESSQ_HOME > per-user data folder."""
    if option:
        return Path(option).expanduser().resolve()
    env = os.environ.get(VARIABLE_HOME)
    if env:
        return Path(env).expanduser().resolve()
    # imported here: ``essq indicateurs --home H`` is timed to the millisecond
    from platformdirs import user_data_dir

    return Path(user_data_dir("essq", appauthor=False)).resolve()


@dataclass(frozen=True)
class Emplacements:
    """Well-known locations inside ESSQ_HOME, shared by every package."""

    home: Path

    @property
    def territoires(self) -> Path:
        """Imported official geography (QPV, COG, zonages)."""
        return self.home / "territoires"

    @property
    def sirene(self) -> Path:
        """Qualified SIRENE tables and user-supplied ESS lists."""
        return self.home / "sirene"

    @property
    def entrepot(self) -> Path:
        """The observatory's warehouse (DuckDB file)."""
        return self.home / "entrepot" / "essq.duckdb"

    @property
    def consultation(self) -> Path:
        """The warehouse's consultation index (SQLite copy of its indicator tables)."""
        return self.home / "entrepot" / "consultation.sqlite"

    @property
    def telechargements(self) -> Path:
        """Files downloaded by ``essq donnees telecharger``."""
        return self.home / "telechargements"

    @property
    def demo(self) -> Path:
        """The generated fictional demo territory."""
        return self.home / "demo"

    def creer(self) -> Emplacements:
        self.home.mkdir(parents=True, exist_ok=True)
        return self


def emplacements(option: Path | str | None = None) -> Emplacements:
    return Emplacements(resoudre_home(option))
