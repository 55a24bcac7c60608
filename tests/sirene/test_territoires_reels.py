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


def test_distances_pour_l_ess_seulement(
    home_territoires, donnees_partagees, tmp_path, fichiers, aides
) -> None:
    """``distances="ess"`` measures the nearest QPV for ESS establishments only; the rest of
    the row is identical, and the choice is recorded in the provenance."""
    etabs = [
        aides.etab("10000000100001", "93066", "660000.0", "6875000.0"),  # ESS unit
        aides.etab("20000000200001", "93066", "660000.0", "6875000.0"),  # non-ESS unit
    ]
    ul_csv, et_csv = fichiers([aides.ul("100000001", "9220"), aides.ul("200000002", "5710")], etabs)
    toutes, ess = tmp_path / "toutes.parquet", tmp_path / "ess.parquet"
    qualifier(ul_csv, et_csv, toutes, home=home_territoires, afficher_progression=False)
    rapport = qualifier(
        ul_csv, et_csv, ess, home=home_territoires, afficher_progression=False, distances="ess"
    )
    a = duckdb.sql(f"SELECT * FROM '{toutes}' ORDER BY siret").fetchall()
    b = duckdb.sql(f"SELECT * FROM '{ess}' ORDER BY siret").fetchall()
    noms = [c[0] for c in duckdb.sql(f"DESCRIBE SELECT * FROM '{ess}'").fetchall()]
    i_d, i_p, i_q = (noms.index(c) for c in ("distance_qpv_2024_m", "qpv_proche_2024", "qpv_2024"))
    assert a[0] == b[0] and a[0][i_d] is not None  # ESS: same row, distance measured
    assert b[1][i_q] is None and b[1][i_d] is None and b[1][i_p] is None
    assert [v for k, v in enumerate(a[1]) if k not in (i_d, i_p)] == [
        v for k, v in enumerate(b[1]) if k not in (i_d, i_p)
    ]
    assert "ESS seulement" in rapport.provenance["distances_qpv"]


def test_colonnes_et_identites_ess_seulement(home_territoires, tmp_path, fichiers, aides) -> None:
    """``colonnes`` and ``ess_seulement`` (essq construire's temporary table): the named
    columns plus every millésime's QPV columns, in that order; the ``ess_seulement`` ones
    empty on non-ESS rows only; everything else as in the full output."""
    etabs = [
        aides.etab("10000000100001", "93066", "660000.0", "6875000.0"),  # ESS unit
        aides.etab("20000000200001", "93066", "660000.0", "6875000.0"),  # non-ESS unit
    ]
    ul = [aides.ul("100000001", "9220"), aides.ul("200000002", "5710")]
    ul_csv, et_csv = fichiers(ul, etabs)
    complet, reduit = tmp_path / "complet.parquet", tmp_path / "reduit.parquet"
    qualifier(ul_csv, et_csv, complet, home=home_territoires, afficher_progression=False)
    colonnes = ["siret", "ess", "code_commune", "denomination", "lon", "lat"]
    qualifier(
        ul_csv,
        et_csv,
        reduit,
        home=home_territoires,
        afficher_progression=False,
        colonnes=colonnes,
        ess_seulement=["siret", "denomination", "lon"],
    )
    noms = [c[0] for c in duckdb.sql(f"DESCRIBE SELECT * FROM '{reduit}'").fetchall()]
    assert noms == [*colonnes, "qpv_2024", "distance_qpv_2024_m", "qpv_proche_2024"]
    a = duckdb.sql(f"SELECT {', '.join(noms)} FROM '{complet}' ORDER BY ess DESC").fetchall()
    b = duckdb.sql(f"SELECT * FROM '{reduit}' ORDER BY ess DESC").fetchall()
    assert b[0] == a[0] and b[0][0] == "10000000100001" and b[0][4] is not None  # ESS row whole
    vides = [noms.index(c) for c in ("siret", "denomination", "lon")]
    assert all(b[1][i] is None for i in vides) and a[1][0] == "20000000200001"
    assert a[1][noms.index("lon")] is not None  # emptied by the option, not by the data
    assert [v for i, v in enumerate(b[1]) if i not in vides] == [
        v for i, v in enumerate(a[1]) if i not in vides
    ]  # the rest of the non-ESS row, latitude included, is unchanged


def test_distances_valeur_inconnue(home_territoires, tmp_path, fichiers, aides) -> None:
    from essq.erreurs import ErreurUtilisateur

    ul_csv, et_csv = fichiers(
        [aides.ul("100000001", "9220")], [aides.etab("10000000100001", "93066")]
    )
    with pytest.raises(ErreurUtilisateur, match="distances"):
        qualifier(ul_csv, et_csv, tmp_path / "s.parquet", home=home_territoires, distances="aucune")
    assert not (tmp_path / "s.parquet").exists()
