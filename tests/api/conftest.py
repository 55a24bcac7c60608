"""The demo territory built once per session through the real pipeline: generated official
files → territories imports (COG, QPV 2015 and 2024, zonings) → observatoire build for each
stock date. API tests read that warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


def construire_demo(racine: Path) -> tuple[Path, Path]:
    from essq.generateur.demo import generer_demo
    from essq.observatoire import construire
    from essq.territoires import cog, qpv, zonages

    donnees, home = racine / "demo", racine / "home"
    generer_demo(donnees)
    cog.importer_cog(donnees / "cog", home=home)
    qpv.importer_qpv([donnees / "qpv" / "qpv2024_demo_wgs84.geojson"], "2024", home=home)
    qpv.importer_qpv([donnees / "qpv" / "qpv2015_demo_wgs84.geojson"], "2015", home=home)
    for f in sorted((donnees / "zonages").glob("*.csv")):
        zonages.importer_zonage(f, home=home)
    for stock in sorted(p for p in (donnees / "sirene").iterdir() if p.is_dir()):
        construire(
            stock / "StockEtablissement_utf8.parquet",
            stock / "StockUniteLegale_utf8.parquet",
            date_stock=stock.name,
            home=home,
            afficher=False,
        )
    return donnees, home


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(generated files folder, ESSQ_HOME with the built warehouse)."""
    return construire_demo(tmp_path_factory.mktemp("demo_api"))


@pytest.fixture(scope="session")
def client(demo: tuple[Path, Path]) -> Iterator[TestClient]:
    from essq.web.application import creer_application

    app = creer_application(demo[1], cors=["https://exemple.gouv.fr"])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
