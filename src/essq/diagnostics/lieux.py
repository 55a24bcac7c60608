"""Places for the diagnostics: département and région of a commune or QPV, text folding.

Uses the imported territories (``essq.territoires``) when they exist, else the département
prefix of the commune code and the INSEE région table shipped in ``donnees/regions.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from essq.diagnostics.seuils import donnees_yaml
from essq.erreurs import ErreurUtilisateur

MOTIF_COMMUNE = r"^(\d{5}|2[AB]\d{3})$"
MOTIF_DEPARTEMENT = r"^(\d{2}|2[AB]|97\d)$"
MOTIF_QPV = r"^Q[A-Z][0-9A-Z]{5,7}$"  # QN09301I (2024), QP093001 (2015)


def replier(texte: str) -> str:
    """Lower case, no accents, single spaces: « Île-de-France » → « ile-de-france »."""
    sans = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", sans.lower().replace("’", "'")).strip()


def regions() -> dict[str, dict[str, object]]:
    donnees: dict[str, dict[str, object]] = donnees_yaml("regions.yaml")
    return donnees


def region_de_departement(departement: str) -> tuple[str, str] | None:
    for code, fiche in regions().items():
        if departement in fiche["departements"]:  # type: ignore[operator]
            return code, str(fiche["nom"])
    return None


def region_par_nom_ou_code(texte: str) -> tuple[str, str] | None:
    cible = replier(texte)
    for code, fiche in regions().items():
        if cible in (code, replier(str(fiche["nom"]))):
            return code, str(fiche["nom"])
    return None


def departement_de_commune(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


@dataclass
class Lieu:
    commune: str | None = None
    departement: str | None = None
    region_code: str | None = None
    region: str | None = None
    qpv: bool | None = None
    origine: str = "saisie"

    @property
    def connu(self) -> bool:
        return self.departement is not None or self.region is not None


def situer(
    commune: str | None = None,
    qpv: str | None = None,
    departement: str | None = None,
    region: str | None = None,
    en_qpv: bool | None = None,
    home: Path | str | None = None,
) -> Lieu:
    """Resolve what the user gave into département + région (never raises for unknown data)."""
    lieu = Lieu(commune=commune, departement=departement, qpv=en_qpv)
    if qpv:
        lieu.qpv = True
        if commune is None:
            try:
                from essq.territoires import Territoires

                fiche = Territoires.charger(home).qpv(qpv)
            except ErreurUtilisateur:
                fiche = None
            if fiche and fiche.get("communes"):
                lieu.commune = fiche["communes"][0]
                lieu.origine = "territoires importés"
    if lieu.commune and not lieu.departement:
        lieu.departement = departement_de_commune(lieu.commune)
    if lieu.departement:
        trouve = region_de_departement(lieu.departement)
        if trouve:
            lieu.region_code, lieu.region = trouve
    if region and not lieu.region:
        trouve = region_par_nom_ou_code(region)
        if trouve:
            lieu.region_code, lieu.region = trouve
    return lieu
