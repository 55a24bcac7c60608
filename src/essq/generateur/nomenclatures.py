"""The generator's code lists and draw weights (data file ``donnees/nomenclatures.yaml``)."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import yaml

# Families of legal units, in a fixed order (their index is stored in int8 arrays).
FAMILLES: tuple[str, ...] = (
    "association",
    "cooperative",
    "mutuelle",
    "fondation",
    "societe_commerciale_ess",
    "prive_hors_ess",
    "public",
)
FAMILLES_ESS_CJ = ("association", "cooperative", "mutuelle", "fondation")
FAMILLES_ESS = (*FAMILLES_ESS_CJ, "societe_commerciale_ess")

# Tranches d'effectifs in increasing order (the index orders them).
TRANCHES: tuple[str, ...] = (
    "NN",
    "00",
    "01",
    "02",
    "03",
    "11",
    "12",
    "21",
    "22",
    "31",
    "32",
    "41",
    "42",
    "51",
    "52",
    "53",
)


def normaliser(poids: dict[str, float]) -> tuple[list[str], np.ndarray]:
    cles = list(poids)
    p = np.array([float(poids[c]) for c in cles], dtype=float)
    return cles, p / p.sum()


@dataclass(frozen=True)
class Nomenclatures:
    brut: dict

    @property
    def secteurs(self) -> tuple[str, ...]:
        return tuple(self.brut["naf"])

    def cj(self, famille: str) -> tuple[list[str], np.ndarray]:
        table = self.brut["categories_juridiques"][famille]
        return normaliser({code: v["poids"] for code, v in table.items()})

    def libelle_cj(self, code: str) -> str:
        for table in self.brut["categories_juridiques"].values():
            if code in table:
                return str(table[code]["libelle"])
        raise KeyError(code)

    def secteurs_de(self, famille: str, employeur: bool) -> tuple[list[str], np.ndarray]:
        return normaliser(
            self.brut["secteurs"][famille]["employeur" if employeur else "non_employeur"]
        )

    def naf_de(self, secteur: str, ess: bool) -> tuple[list[str], np.ndarray]:
        lignes = self.brut["naf"][secteur]
        poids = {code: (pe if ess else ph) for code, pe, ph in lignes}
        poids = {c: p for c, p in poids.items() if p > 0}
        if not poids:  # a sector no unit of this kind uses: fall back to the other weights
            poids = {code: (ph if ess else pe) for code, pe, ph in lignes}
        return normaliser(poids)

    def naf_imposee(self) -> dict[str, str]:
        """NAF code imposed by a catégorie juridique (``naf:`` in its entry), e.g. a hospital."""
        return {
            code: str(v["naf"])
            for table in self.brut["categories_juridiques"].values()
            for code, v in table.items()
            if "naf" in v
        }

    def secteurs_tranches(self, famille: str) -> list[str | None]:
        """Sectors with their own employer bands for ``famille``, then None (the rest)."""
        table = self.brut["tranches_effectifs"]["employeur_par_famille"].get(famille, {})
        return [s for s in table if s != "defaut"] + [None]

    def tranches_employeur(self, famille: str, secteur: str | None) -> tuple[list[str], np.ndarray]:
        """Band weights of employer establishments of ``famille`` in ``secteur`` (None: the
        family's default, else the general default)."""
        brut = self.brut["tranches_effectifs"]
        table = brut["employeur_par_famille"].get(famille, {})
        poids = table.get(secteur or "defaut") or table.get("defaut") or brut["employeur"]
        return normaliser(poids)

    def tous_codes_naf(self) -> set[str]:
        return {code for lignes in self.brut["naf"].values() for code, _, _ in lignes} | set(
            self.naf_imposee().values()
        )

    def secteur_de_naf(self) -> dict[str, str]:
        """The sector the generator drew each NAF code for (first listing wins)."""
        resultat: dict[str, str] = {}
        for secteur, lignes in self.brut["naf"].items():
            for code, _, _ in lignes:
                resultat.setdefault(code, secteur)
        return resultat

    def tous_codes_cj(self) -> set[str]:
        return {c for table in self.brut["categories_juridiques"].values() for c in table}

    def famille_de_cj(self) -> dict[str, str]:
        """Family of each catégorie juridique, for the ESS families only (by CJ)."""
        return {
            code: famille
            for famille in FAMILLES_ESS_CJ
            for code in self.brut["categories_juridiques"][famille]
        }


@functools.cache
def charger() -> Nomenclatures:
    texte = (
        resources.files("essq.generateur").joinpath("donnees/nomenclatures.yaml").read_text("utf-8")
    )
    return Nomenclatures(yaml.safe_load(texte))


@dataclass(frozen=True)
class CommuneReference:
    code: str
    nom: str
    code_postal: str
    lon: float
    lat: float
    poids: float
    parent: str


@functools.cache
def communes_reference() -> tuple[CommuneReference, ...]:
    """A few real communes (approximate centroids) used when no QPV file is given."""
    texte = (
        resources.files("essq.generateur")
        .joinpath("donnees/communes_reference.csv")
        .read_text("utf-8")
    )
    lignes = csv.DictReader(texte.splitlines())
    return tuple(
        CommuneReference(
            code=r["code"],
            nom=r["nom"],
            code_postal=r["code_postal"],
            lon=float(r["lon"]),
            lat=float(r["lat"]),
            poids=float(r["poids"]),
            parent=r["parent"] or r["code"],
        )
        for r in lignes
    )
