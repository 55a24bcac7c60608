"""The expert-maintained mapping tables shipped in ``essq/sirene/donnees`` (loaded and validated).

- ``categories_juridiques.yaml``: catégorie juridique -> ESS family, public sector, natural
  persons, NAF exclusions.
- ``naf_secteurs.csv``: NAF rév. 2 division (or sous-classe override) -> section, A38, sector.
- ``tranches_effectifs.csv``: headcount bracket -> low / central / high estimate.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

FAMILLES = ("association", "cooperative", "mutuelle", "fondation", "societe_commerciale_ess")
FAMILLES_ET_HORS = (*FAMILLES, "hors_ess")
SECTEURS = (
    "Action sociale",
    "Enseignement",
    "Activités financières et d'assurance",
    "Soutien aux entreprises",
    "Santé humaine",
    "Sport et loisirs",
    "Arts et spectacles",
    "Hébergement et restauration",
    "Commerce",
    "Industrie et construction",
    "Autres organisations fonctionnant par adhésion volontaire",
    "Autres services",
)

_CJ = re.compile(r"^\d{4}$")
_DIVISION = re.compile(r"^\d{2}$")
_SOUS_CLASSE = re.compile(r"^\d{2}\.\d{2}[A-Z]$")


class NomenclatureInvalide(ValueError):
    """A shipped mapping file breaks its schema (a bug in the repository, not user input)."""


def _texte(nom: str) -> str:
    return resources.files("essq.sirene").joinpath("donnees", nom).read_text(encoding="utf-8")


def _lignes_csv(nom: str) -> list[dict[str, str]]:
    lignes = [ligne for ligne in _texte(nom).splitlines() if not ligne.startswith("#")]
    return list(csv.DictReader(lignes))


@dataclass(frozen=True)
class TableCJ:
    famille: dict[str, str]  # code -> family (statutory families only)
    commentaire: dict[str, str]  # code -> comment of its group (families and examined exclusions)
    famille_hors_statut: str
    prefixes_personnes_physiques: tuple[str, ...]
    prefixes_secteur_public: tuple[str, ...]
    exclusions_naf: tuple[tuple[str, str], ...]  # (prefix, comment)
    source: str
    version: str


@functools.cache
def table_cj() -> TableCJ:
    brut: dict[str, Any] = yaml.safe_load(_texte("categories_juridiques.yaml"))
    famille: dict[str, str] = {}
    commentaire: dict[str, str] = {}
    for groupe in brut["familles"]:
        if groupe["famille"] not in FAMILLES:
            raise NomenclatureInvalide(f"famille inconnue : {groupe['famille']}")
        for code in groupe["codes"]:
            if not _CJ.match(code):
                raise NomenclatureInvalide(f"code de catégorie juridique invalide : {code}")
            if code in famille:
                raise NomenclatureInvalide(f"catégorie juridique en double : {code}")
            famille[code] = groupe["famille"]
            commentaire[code] = " ".join(groupe["commentaire"].split())
    for groupe in brut.get("exclus_examines", []):
        for code in groupe["codes"]:
            if code in famille:
                raise NomenclatureInvalide(
                    f"catégorie juridique à la fois incluse et exclue : {code}"
                )
            commentaire[code] = " ".join(groupe["commentaire"].split())
    if brut["famille_hors_statut"] not in FAMILLES:
        raise NomenclatureInvalide("famille_hors_statut inconnue")
    exclusions = tuple(
        (e["prefixe"], " ".join(e["commentaire"].split())) for e in brut["exclusions_naf"]
    )
    return TableCJ(
        famille=famille,
        commentaire=commentaire,
        famille_hors_statut=brut["famille_hors_statut"],
        prefixes_personnes_physiques=tuple(brut["personnes_physiques"]["prefixes"]),
        prefixes_secteur_public=tuple(brut["secteur_public"]["prefixes"]),
        exclusions_naf=exclusions,
        source=brut["source"],
        version=str(brut["version"]),
    )


@dataclass(frozen=True)
class LigneNaf:
    code: str
    section: str
    a38: str
    secteur_ess: str
    commentaire: str


@functools.cache
def table_naf() -> dict[str, LigneNaf]:
    """Division (``'94'``) or sous-classe override (``'94.99Z'``) -> mapping line."""
    table: dict[str, LigneNaf] = {}
    for ligne in _lignes_csv("naf_secteurs.csv"):
        code = ligne["code"]
        if not (_DIVISION.match(code) or _SOUS_CLASSE.match(code)):
            raise NomenclatureInvalide(f"code NAF invalide dans naf_secteurs.csv : {code}")
        if ligne["secteur_ess"] not in SECTEURS:
            raise NomenclatureInvalide(f"secteur inconnu pour {code} : {ligne['secteur_ess']}")
        if code in table:
            raise NomenclatureInvalide(f"code NAF en double : {code}")
        table[code] = LigneNaf(
            code, ligne["section"], ligne["a38"], ligne["secteur_ess"], ligne["commentaire"]
        )
    return table


@dataclass(frozen=True)
class Tranche:
    code: str
    libelle: str
    bas: float
    central: float
    haut: float
    employeur: bool


@functools.cache
def table_tranches() -> dict[str, Tranche]:
    table: dict[str, Tranche] = {}
    for ligne in _lignes_csv("tranches_effectifs.csv"):
        t = Tranche(
            ligne["code"],
            ligne["libelle"],
            float(ligne["bas"]),
            float(ligne["central"]),
            float(ligne["haut"]),
            ligne["employeur"] == "oui",
        )
        if not (t.bas <= t.central <= t.haut):
            raise NomenclatureInvalide(f"bornes incohérentes pour la tranche {t.code}")
        table[t.code] = t
    return table


def normaliser_naf(code: str | None) -> str | None:
    """``'9499Z'``, ``'94.99Z'``, ``' 94.99z '`` -> ``'94.99Z'``; anything else -> None."""
    if code is None:
        return None
    c = code.strip().upper().replace(" ", "")
    if len(c) == 5 and c[:4].isdigit() and c[4].isalpha():
        c = f"{c[:2]}.{c[2:]}"
    return c if _SOUS_CLASSE.match(c) else None


def classer_naf(code: str | None) -> LigneNaf | None:
    """Section, A38 and sector of a NAF rév. 2 sous-classe (either notation), or None."""
    naf = normaliser_naf(code)
    if naf is None:
        return None
    table = table_naf()
    return table.get(naf) or table.get(naf[:2])
