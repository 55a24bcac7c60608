"""Qualification against the real territories package, fed with the shared open data.

COG 2026 and the QPV 2024 of Seine-Saint-Denis (Lambert-93 copy) are imported into a fresh
ESSQ_HOME; establishments are placed on points derived from the real QPV contours.
"""

from __future__ import annotations

import json

import duckdb
import pytest
import shapely

from essq.sirene import qualifier


@pytest.fixture(scope="module")
def home_territoires(donnees_partagees, tmp_path_factory):
    territoires = pytest.importorskip("essq.territoires.qpv")
    from essq.territoires.cog import importer_cog

    home = tmp_path_factory.mktemp("home")
    importer_cog(donnees_partagees / "cog", home=home)
    territoires.importer_qpv(
        [donnees_partagees / "qpv" / "qpv2024_dep93_lambert93.geojson"], "2024", home=home
    )
    return home


def test_points_dans_les_qpv_reels(
    home_territoires, donnees_partagees, tmp_path, fichiers, aides
) -> None:
    geojson = json.loads(
        (donnees_partagees / "qpv" / "qpv2024_dep93_lambert93.geojson").read_text()
    )
    etabs, attendu = [], {}
    for i, f in enumerate(geojson["features"][:20]):
        point = shapely.geometry.shape(f["geometry"]).point_on_surface()
        siret = f"1000000010{i:04d}"
        commune = f["properties"]["insee_com"].split(",")[0]
        etabs.append(aides.etab(siret, commune, f"{point.x:.1f}", f"{point.y:.1f}"))
        attendu[siret] = f["properties"]["code_qp"]
    etabs.append(aides.etab("10000000109999", "75112"))  # Paris arrondissement, no coordinates
    etabs.append(aides.etab("10000000109998", "01001"))  # commune without QPV
    ul_csv, et_csv = fichiers(
        [aides.ul("100000001", "9220", economieSocialeSolidaireUniteLegale="O")], etabs
    )
    sortie = tmp_path / "s.parquet"
    rapport = qualifier(ul_csv, et_csv, sortie, home=home_territoires, afficher_progression=False)
    lignes = {
        r[0]: r
        for r in duckdb.sql(
            f"SELECT siret, qpv_2024, distance_qpv_2024_m, statut_position, code_commune, lon, lat FROM '{sortie}'"
        ).fetchall()
    }
    for siret, code in attendu.items():
        assert (
            lignes[siret][1] == code and lignes[siret][2] == 0 and lignes[siret][3] == "coordonnees"
        )
        assert 2.2 < lignes[siret][5] < 2.7 and 48.8 < lignes[siret][6] < 49.1
    assert lignes["10000000109999"][4] == "75056"
    assert lignes["10000000109998"][3] == "commune_sans_qpv"
    assert rapport.millesimes_qpv == ["2024"]
    assert rapport.par_statut_position["coordonnees"] == 20
