"""Fixtures of the territoires tests: small synthetic QPV files and the real shared data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import box, mapping

from essq.territoires.cog import importer_cog
from essq.territoires.projections import transformer
from essq.territoires.qpv import importer_qpv
from essq.territoires.zonages import importer_zonage

# Three synthetic QPV near Paris (Lambert-93 metres), in the fictional département "00":
# QN00001M and QN00002M share the edge x = 651 000; QN00003N overlaps QN00002M on
# [651 900, 652 000] × [6 860 500, 6 861 000].
CARRES = {
    "QN00001M": (650_000, 6_860_000, 651_000, 6_861_000),
    "QN00002M": (651_000, 6_860_000, 652_000, 6_861_000),
    "QN00003N": (651_900, 6_860_500, 652_500, 6_861_500),
}
LIBELLES = {
    "QN00001M": "Les Tilleuls",
    "QN00002M": "Quartier de la Gare",
    "QN00003N": "Franc Moisin Nord",
}
COMMUNES = {"QN00001M": "00001", "QN00002M": "00001", "QN00003N": "00002"}


def geometrie_wgs84(g: shapely.Geometry, epsg: int) -> shapely.Geometry:
    def f(c: Any) -> Any:
        import numpy as np

        a, b = transformer(c[:, 0], c[:, 1], epsg, 4326)
        return np.column_stack([a, b])

    return shapely.transform(g, f)


def ecrire_geojson(
    chemin: Path,
    entites: list[tuple[dict[str, Any], shapely.Geometry | None]],
    epsg: int | None = 2154,
) -> Path:
    """Write a GeoJSON FeatureCollection; ``epsg`` None writes no "crs" member (= WGS84)."""
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if epsg is not None and epsg != 4326:
        collection["crs"] = {
            "type": "name",
            "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"},
        }
    for proprietes, g in entites:
        collection["features"].append(
            {
                "type": "Feature",
                "properties": proprietes,
                "geometry": None if g is None else mapping(g),
            }
        )
    chemin.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return chemin


def entites_synthetiques(wgs84: bool = False) -> list[tuple[dict[str, Any], shapely.Geometry]]:
    sortie = []
    for code, bornes in CARRES.items():
        g: shapely.Geometry = box(*bornes)
        if wgs84:
            g = geometrie_wgs84(g, 2154)
        sortie.append(
            (
                {
                    "code_qp": code,
                    "lib_qp": LIBELLES[code],
                    "insee_com": COMMUNES[code],
                    "insee_dep": "00",
                },
                g,
            )
        )
    return sortie


@pytest.fixture()
def fichier_synthetique(tmp_path: Path) -> Path:
    return ecrire_geojson(tmp_path / "qpv_demo_l93.geojson", entites_synthetiques())


@pytest.fixture()
def cog_synthetique(tmp_path: Path) -> Path:
    """A tiny COG in the @etalab/decoupage-administratif JSON format (département 00)."""
    dossier = tmp_path / "cog_demo"
    dossier.mkdir()
    communes = [
        {
            "code": "00001",
            "nom": "Villeneuve-sur-Demo",
            "type": "commune-actuelle",
            "departement": "00",
            "region": "00",
            "population": 52000,
            "anciensCodes": ["00009"],
        },
        {
            "code": "00002",
            "nom": "Saint-Exemple",
            "type": "commune-actuelle",
            "departement": "00",
            "region": "00",
            "population": 8000,
        },
        {
            "code": "00101",
            "nom": "Villeneuve-sur-Demo 1er Arrondissement",
            "type": "arrondissement-municipal",
            "commune": "00001",
            "departement": "00",
            "region": "00",
            "population": 20000,
        },
        {
            "code": "00003",
            "nom": "Ancien-Bourg",
            "type": "commune-deleguee",
            "chefLieu": "00002",
            "departement": "00",
            "region": "00",
        },
    ]
    epci = [
        {
            "code": "200000001",
            "nom": "CA de Démo",
            "type": "CA",
            "membres": [{"code": "00001"}, {"code": "00002"}],
        }
    ]
    (dossier / "communes.json").write_text(
        json.dumps(communes, ensure_ascii=False), encoding="utf-8"
    )
    (dossier / "epci.json").write_text(json.dumps(epci, ensure_ascii=False), encoding="utf-8")
    (dossier / "departements.json").write_text(
        json.dumps([{"code": "00", "nom": "Démo", "region": "00"}]), encoding="utf-8"
    )
    (dossier / "regions.json").write_text(
        json.dumps([{"code": "00", "nom": "Région de démonstration"}]), encoding="utf-8"
    )
    return dossier


@pytest.fixture()
def home_synthetique(home: Path, fichier_synthetique: Path, cog_synthetique: Path) -> Path:
    importer_cog(cog_synthetique, home=home)
    importer_qpv([fichier_synthetique], "2024", home=home)
    return home


@pytest.fixture(scope="session")
def home_reel(donnees_partagees: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real QPV 2024 (métropole + outre-mer), COG 2026 and zonings, imported once per run.

    The import is shared by the pytest-xdist workers (file lock in the common temp folder).
    """
    import fcntl
    import os

    racine = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        racine = racine.parent  # the run's folder, common to every worker
    home = racine / "essq_reel"
    with open(racine / "essq_reel.verrou", "w") as verrou:
        fcntl.flock(verrou, fcntl.LOCK_EX)
        if not (home / "pret").exists():
            shutil.rmtree(home, ignore_errors=True)
            qpv = donnees_partagees / "qpv"
            importer_cog(donnees_partagees / "cog", home=home)
            importer_qpv(
                [
                    qpv / "qpv2024_metropole_wgs84_4dp.geojson",
                    qpv / "qpv2024_outremer_wgs84_4dp.geojson",
                ],
                "2024",
                home=home,
            )
            importer_zonage(
                donnees_partagees / "zonages" / "zrr_communes_cog2021_anct.csv", home=home
            )
            importer_zonage(
                donnees_partagees / "zonages" / "anct_acv_pvd_ort_communes.json", home=home
            )
            (home / "pret").touch()
    return home


@pytest.fixture(scope="module")
def t(home_reel: Path):
    """The real territories of ``home_reel``, loaded once per test module."""
    from essq.territoires import Territoires

    return Territoires.charger(home_reel)


@pytest.fixture(scope="module")
def qpv(home_reel: Path):
    """The imported QPV table of ``home_reel`` (attributes and geometries)."""
    import pyarrow.parquet as pq

    return pq.read_table(home_reel / "territoires" / "qpv.parquet")


def copier(source: Path, cible: Path) -> Path:
    shutil.copy(source, cible)
    return cible


@pytest.fixture()
def geojson() -> Any:
    """The GeoJSON writer, for tests that build their own files."""
    return ecrire_geojson


@pytest.fixture()
def entites() -> Any:
    """The synthetic QPV features (Lambert-93, or WGS84 with ``wgs84=True``)."""
    return entites_synthetiques


@pytest.fixture()
def vers_wgs84() -> Any:
    return geometrie_wgs84
