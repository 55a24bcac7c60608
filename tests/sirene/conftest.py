"""Fixtures for the sirene tests: hand-built stock files and a small stand-in for Territoires.

``FauxTerritoires`` implements the agreed ``essq.territoires.Territoires`` interface on two
square QPV (Saint-Denis in Lambert-93, Saint-Denis de La Réunion in UTM 40S) with real pyproj
transformations, so that the qualification pipeline is tested without imported territories.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import shapely
from pyproj import Transformer

EN_TETE_UL = [
    "siren",
    "statutDiffusionUniteLegale",
    "dateCreationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "denominationUniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
]
EN_TETE_ET = [
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "codeCommuneEtablissement",
    "codePaysEtrangerEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "activitePrincipaleNAF25Etablissement",
]

# Square QPV in each territory's legal projection: (code, commune, epsg, xmin, ymin, xmax, ymax)
QPV_FAUX = [
    ("QN09301M", "93066", 2154, 651000.0, 6866000.0, 653000.0, 6868000.0),
    ("QN97401M", "97411", 2975, 338000.0, 7688000.0, 340000.0, 7690000.0),
]
ARRONDISSEMENTS = (
    {f"751{i:02d}": "75056" for i in range(1, 21)}
    | {f"6938{i}": "69123" for i in range(1, 10)}
    | {f"132{i:02d}": "13055" for i in range(1, 17)}
    | {"93059": "93066"}
)


def epsg_departement(code: str) -> int:
    if code.startswith(("971", "972", "977", "978")):
        return 5490
    return {"973": 2972, "974": 2975, "976": 4471, "975": 4467}.get(code[:3], 2154)


class FauxTerritoires:
    """Stand-in for essq.territoires.Territoires (same methods, same output columns)."""

    millesimes_qpv = ("2024",)

    def __init__(self) -> None:
        self.qpv = []
        for code, commune, epsg, x0, y0, x1, y1 in QPV_FAUX:
            t = Transformer.from_crs(epsg, 4326, always_xy=True)
            xs = np.array([x0, x1, x1, x0])
            ys = np.array([y0, y0, y1, y1])
            lon, lat = t.transform(xs, ys)
            self.qpv.append(
                (
                    code,
                    commune,
                    epsg,
                    shapely.box(x0, y0, x1, y1),
                    shapely.Polygon(zip(lon, lat, strict=True)),
                )
            )

    def communes_avec_qpv(self, millesime: str) -> set[str]:
        return {c for _, c, *_ in self.qpv}

    def normaliser_communes_arrow(self, codes: pa.Array) -> pa.Array:
        return pa.array([ARRONDISSEMENTS.get(c, c) for c in codes.to_pylist()], pa.string())

    def preparer_distances(self) -> None:
        """Nothing to prepare: distances are brute force here."""

    def localiser_lot(
        self,
        x,
        y,
        *,
        epsg=None,
        codes_commune=None,
        millesimes=None,
        avec_distance=True,
        dictionnaires=False,  # strings either way: qualification accepts both
    ) -> pa.Table:
        n = len(x)
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        statut = np.array(["absentes"] * n, dtype=object)
        qpv = np.array([None] * n, dtype=object)
        dist = np.full(n, np.nan)
        proche = np.array([None] * n, dtype=object)
        for i in range(n):
            if np.isnan(x[i]) or np.isnan(y[i]):
                continue
            e = epsg if isinstance(epsg, int) else epsg_departement(str(codes_commune[i]))
            lo, la = Transformer.from_crs(e, 4326, always_xy=True).transform(x[i], y[i])
            if not (-180 <= lo <= 180 and -90 <= la <= 90) or np.isinf(lo):
                statut[i] = "hors_plage"
                continue
            lon[i], lat[i], statut[i] = lo, la, "ok"
            meilleur = None
            for code, _, qe, boite, _poly in self.qpv:
                if qe != e:
                    continue
                d = shapely.distance(boite, shapely.Point(x[i], y[i]))
                if meilleur is None or d < meilleur[1]:
                    meilleur = (code, d)
            if meilleur is not None:
                proche[i], dist[i] = meilleur
                qpv[i] = meilleur[0] if meilleur[1] == 0 else None
        colonnes = {
            "lon": pa.array(lon, pa.float64(), from_pandas=True),
            "lat": pa.array(lat, pa.float64(), from_pandas=True),
            "statut_coordonnees": pa.array(statut.tolist(), pa.string()),
        }
        for m in millesimes or self.millesimes_qpv:
            colonnes[f"qpv_{m}"] = pa.array(qpv.tolist(), pa.string())
            colonnes[f"distance_qpv_{m}_m"] = pa.array(dist, pa.float64(), from_pandas=True)
            colonnes[f"qpv_proche_{m}"] = pa.array(proche.tolist(), pa.string())
        return pa.table(colonnes)


@pytest.fixture()
def faux_territoires() -> FauxTerritoires:
    return FauxTerritoires()


def ecrire_csv(
    chemin: Path, en_tete: list[str], lignes: list[dict[str, str]], encodage: str = "utf-8"
) -> Path:
    with open(chemin, "w", newline="", encoding=encodage) as f:
        w = csv.DictWriter(f, fieldnames=en_tete, extrasaction="raise")
        w.writeheader()
        for ligne in lignes:
            w.writerow({k: ligne.get(k, "") for k in en_tete})
    return chemin


def ul(siren: str, cj: str, **autres: str) -> dict[str, str]:
    ligne = {
        "siren": siren,
        "statutDiffusionUniteLegale": "O",
        "categorieJuridiqueUniteLegale": cj,
        "denominationUniteLegale": f"UNITE {siren}",
        "activitePrincipaleUniteLegale": "88.99B",
        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
        "economieSocialeSolidaireUniteLegale": "N",
        "etatAdministratifUniteLegale": "A",
        "trancheEffectifsUniteLegale": "NN",
    }
    ligne.update(autres)
    return ligne


def etab(siret: str, commune: str, x: str = "", y: str = "", **autres: str) -> dict[str, str]:
    ligne = {
        "siren": siret[:9],
        "nic": siret[9:],
        "siret": siret,
        "statutDiffusionEtablissement": "O",
        "dateCreationEtablissement": "2015-03-01",
        "trancheEffectifsEtablissement": "02",
        "anneeEffectifsEtablissement": "2023",
        "etablissementSiege": "true",
        "codeCommuneEtablissement": commune,
        "coordonneeLambertAbscisseEtablissement": x,
        "coordonneeLambertOrdonneeEtablissement": y,
        "etatAdministratifEtablissement": "A",
        "enseigne1Etablissement": f"ENSEIGNE {siret}",
        "activitePrincipaleEtablissement": "88.99B",
        "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
        "caractereEmployeurEtablissement": "O",
        "activitePrincipaleNAF25Etablissement": "88.99Y",
    }
    ligne.update(autres)
    return ligne


@pytest.fixture()
def fichiers(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """Write a legal-unit file and an establishment file from row dicts."""

    def fabriquer(
        unites: list[dict[str, str]], etablissements: list[dict[str, str]], encodage: str = "utf-8"
    ) -> tuple[Path, Path]:
        return (
            ecrire_csv(tmp_path / "StockUniteLegale.csv", EN_TETE_UL, unites, encodage),
            ecrire_csv(tmp_path / "StockEtablissement.csv", EN_TETE_ET, etablissements, encodage),
        )

    return fabriquer


class Aides:
    """Row builders shared by the test modules (conftest cannot be imported in importlib mode)."""

    ul = staticmethod(ul)
    etab = staticmethod(etab)
    ecrire_csv = staticmethod(ecrire_csv)
    EN_TETE_UL = EN_TETE_UL
    EN_TETE_ET = EN_TETE_ET
    QPV_FAUX = QPV_FAUX


@pytest.fixture()
def aides() -> type[Aides]:
    return Aides
