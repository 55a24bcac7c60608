"""Thresholds as data (``donnees/seuils.yaml``, ``donnees/smic.yaml``), with their legal source.

Every engine reads its thresholds through :func:`seuil` and compares with :func:`respecte`,
so a changed rate or a new SMIC amount touches one YAML line.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DOSSIER = Path(__file__).resolve().parent / "donnees"

_OPERATEURS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}
_MOTS = {">=": "au moins", ">": "plus de", "<=": "au plus", "<": "moins de", "=": "égal à"}


class Seuil(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    libelle: str = Field(min_length=10)
    operateur: Literal[">=", ">", "<=", "<", "="]
    valeur: float
    unite: str
    origine: Literal["loi", "essq"]
    reference_legale: str = Field(min_length=5)
    en_vigueur_depuis: dt.date
    verifie_le: dt.date

    def respecte(self, mesure: float) -> bool:
        return _OPERATEURS[self.operateur](mesure, self.valeur)

    @property
    def texte(self) -> str:
        """« au moins 66 % » — the threshold in words, for explanations."""
        valeur = f"{self.valeur:g}".replace(".", ",")
        return f"{_MOTS[self.operateur]} {valeur} {self.unite}".strip()

    @property
    def source(self) -> str:
        prefixe = "" if self.origine == "loi" else "Repère ESS Quartiers — "
        return f"{prefixe}{self.reference_legale} (en vigueur depuis le {self.en_vigueur_depuis:%d/%m/%Y}, vérifié le {self.verifie_le:%d/%m/%Y})"


class Smic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date_effet: dt.date
    horaire_brut: float = Field(gt=0)
    mensuel_brut: float = Field(gt=0)
    reference: str

    @property
    def annuel_brut(self) -> float:
        return round(self.mensuel_brut * 12, 2)


@cache
def donnees_yaml(nom: str) -> Any:
    """The parsed ``donnees/<nom>`` file shipped with the diagnostics, read once per process."""
    return yaml.safe_load((DOSSIER / nom).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def seuils() -> dict[str, Seuil]:
    lus = donnees_yaml("seuils.yaml")
    resultat: dict[str, Seuil] = {}
    for brut in lus:
        s = Seuil.model_validate(brut)
        if s.code in resultat:
            raise ValueError(f"seuil en double : {s.code}")
        resultat[s.code] = s
    return resultat


def seuil(code: str) -> Seuil:
    return seuils()[code]


@lru_cache(maxsize=1)
def baremes_smic() -> tuple[Smic, ...]:
    lus = donnees_yaml("smic.yaml")
    return tuple(sorted((Smic.model_validate(b) for b in lus), key=lambda s: s.date_effet))


def smic_a(date: dt.date | None = None) -> Smic:
    """The SMIC in force on ``date`` (today by default); the oldest known before the table."""
    date = date or dt.date.today()
    en_vigueur = [s for s in baremes_smic() if s.date_effet <= date]
    return en_vigueur[-1] if en_vigueur else baremes_smic()[0]


def pourcentage(x: float) -> str:
    """« 65,5 % » (French decimal comma)."""
    return f"{x:.1f}".replace(".", ",").replace(",0", "") + " %"


def euros(x: float) -> str:
    return f"{x:,.0f}".replace(",", "\u202f") + " €"
