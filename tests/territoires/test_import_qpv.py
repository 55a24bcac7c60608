"""Importing QPV contours: formats, field names of both generations, validation, atomicity."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import Polygon, box

from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.fichiers import sha256
from essq.territoires import Territoires
from essq.territoires.geo import connexion_spatiale
from essq.territoires.qpv import importer_qpv


def _point(t: Territoires, x: float, y: float, epsg: int = 2154) -> str | None:
    return t.localiser_lot(np.array([x]), np.array([y]), epsg=epsg).column("qpv_2024")[0].as_py()


def test_charger_sans_import_explique_quoi_faire(home: Path) -> None:
    with pytest.raises(DonneesAbsentes) as exc:
        Territoires.charger(home)
    assert "essq territoires importer-qpv" in exc.value.texte()


def test_import_geojson_lambert93_et_tables(home: Path, fichier_synthetique: Path) -> None:
    rapport = importer_qpv([fichier_synthetique], "2024", home=home)
    assert rapport.nombre == 3
    table = pq.read_table(home / "territoires" / "qpv.parquet")
    assert table.column("code_qp").to_pylist() == ["QN00001M", "QN00002M", "QN00003N"]
    assert table.column("departement").to_pylist() == ["00", "00", "00"]
    assert table.column("communes").to_pylist()[2] == ["00002"]
    assert table.column("surface_m2").to_pylist()[0] == pytest.approx(1_000_000, rel=1e-9)
    wgs = shapely.from_wkb(table.column("geometrie").to_pylist()[0])
    assert 2.0 < wgs.centroid.x < 2.6 and 48.6 < wgs.centroid.y < 49.1  # Île-de-France
    manifeste = json.loads((home / "territoires" / "manifeste.json").read_text())
    assert manifeste["tables"]["qpv"]["sources"][0]["sha256"] == sha256(fichier_synthetique)
    t = Territoires.charger(home)
    assert t.millesimes_qpv == ("2024",)
    assert _point(t, 650_500, 6_860_500) == "QN00001M"


def test_import_wgs84_sans_crs_et_zip(home: Path, tmp_path: Path, geojson, entites) -> None:
    f = geojson(tmp_path / "qpv_wgs84.geojson", entites(wgs84=True), epsg=None)
    archive = tmp_path / "qpv-2024-geojson.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(f, "GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson")
        z.writestr("LISEZMOI.txt", "documentation")
    rapport = importer_qpv([archive], "2024", home=home)
    assert rapport.nombre == 3
    t = Territoires.charger(home)
    assert _point(t, 651_500, 6_860_200) == "QN00002M"


@pytest.mark.parametrize("format_gdal,extension", [("ESRI Shapefile", "shp"), ("GPKG", "gpkg")])
def test_import_shapefile_et_geopackage_champs_2015(
    home: Path, tmp_path: Path, format_gdal: str, extension: str
) -> None:
    """2015 generation: CODE_QP / NOM_QP fields, Lambert-93 declared in the .prj / GeoPackage."""
    sortie = tmp_path / f"QP_METROPOLE_LB93.{extension}"
    con = connexion_spatiale()
    con.execute(
        f"""COPY (SELECT * FROM (VALUES
            ('QP000001', 'Cité des Fleurs', ST_GeomFromText('{box(650000, 6860000, 651000, 6861000).wkt}')),
            ('QP000002', 'Les Hauts', ST_GeomFromText('{box(653000, 6860000, 654000, 6861000).wkt}'))
        ) AS t(CODE_QP, NOM_QP, geom)) TO '{sortie}' WITH (FORMAT GDAL, DRIVER '{format_gdal}', SRS 'EPSG:2154')"""
    )
    con.close()
    fichier = sortie
    if extension == "shp":
        fichier = tmp_path / "qp-politiquedelaville-shp.zip"
        with zipfile.ZipFile(fichier, "w") as z:
            for membre in tmp_path.glob("QP_METROPOLE_LB93.*"):
                z.write(membre, f"shp/{membre.name}")
    rapport = importer_qpv([fichier], "2015", home=home)
    assert rapport.nombre == 2
    t = Territoires.charger(home)
    lot = t.localiser_lot(
        np.array([653_500.0]), np.array([6_860_500.0]), epsg=2154, millesimes=["2015"]
    )
    assert lot.column("qpv_2015").to_pylist() == ["QP000002"]
    assert t.qpv("QP000001")["lib_qp"] == "Cité des Fleurs"


def test_plusieurs_fichiers_un_millesime_puis_remplacer_ou_ajouter(
    home: Path, tmp_path: Path, geojson, entites
) -> None:
    toutes = entites()
    metropole = geojson(tmp_path / "a.geojson", toutes[:2])
    autre = geojson(tmp_path / "b.geojson", toutes[2:])
    assert importer_qpv([metropole, autre], "2024", home=home).nombre == 3
    # a second call replaces the millésime by default…
    assert importer_qpv([autre], "2024", home=home).nombre == 1
    assert Territoires.charger(home).qpv("QN00001M") is None
    # …or completes it with --ajouter
    rapport = importer_qpv([metropole], "2024", home=home, ajouter=True)
    assert rapport.nombre == 3
    assert Territoires.charger(home).qpv("QN00001M") is not None


def test_deux_millesimes_cote_a_cote(home: Path, tmp_path: Path, geojson) -> None:
    geojson(
        tmp_path / "q24.geojson",
        [({"code_qp": "QN00001M", "lib_qp": "A"}, box(650000, 6860000, 651000, 6861000))],
    )
    geojson(
        tmp_path / "q15.geojson",
        [({"CODE_QP": "QP000001", "NOM_QP": "A ancien"}, box(650500, 6860000, 651500, 6861000))],
    )
    importer_qpv([tmp_path / "q24.geojson"], "2024", home=home)
    importer_qpv([tmp_path / "q15.geojson"], "2015", home=home)
    t = Territoires.charger(home)
    assert t.millesimes_qpv == ("2015", "2024")
    lot = t.localiser_lot(np.array([650_200.0, 651_200.0]), np.array([6_860_500.0] * 2), epsg=2154)
    assert lot.column("qpv_2024").to_pylist() == ["QN00001M", None]
    assert lot.column("qpv_2015").to_pylist() == [None, "QP000001"]
    assert lot.column("distance_qpv_2024_m").to_pylist()[1] == pytest.approx(200.0)


def test_anneau_invalide_repare_et_signale(home: Path, tmp_path: Path, geojson) -> None:
    noeud_papillon = Polygon(
        [(650000, 6860000), (651000, 6861000), (651000, 6860000), (650000, 6861000)]
    )
    assert not noeud_papillon.is_valid
    f = geojson(
        tmp_path / "invalide.geojson", [({"code_qp": "QN00001M", "lib_qp": "X"}, noeud_papillon)]
    )
    rapport = importer_qpv([f], "2024", home=home)
    assert rapport.reparees == ["QN00001M"]
    t = Territoires.charger(home)
    assert _point(t, 650_100, 6_860_500) == "QN00001M"  # left lobe
    assert _point(t, 650_500, 6_860_100) is None  # between the two lobes


def test_geometrie_3d_ramenee_en_2d(home: Path, tmp_path: Path, geojson) -> None:
    carre_3d = shapely.force_3d(box(650000, 6860000, 651000, 6861000), 35.0)
    f = geojson(tmp_path / "z.geojson", [({"code_qp": "QN00001M", "lib_qp": "X"}, carre_3d)])
    assert importer_qpv([f], "2024", home=home).aplaties_3d == 1
    assert _point(Territoires.charger(home), 650_500, 6_860_500) == "QN00001M"


@pytest.mark.parametrize(
    "proprietes,geometrie,attendu",
    [
        ({"lib_qp": "Sans code"}, box(0, 0, 1, 1), "code_qp"),
        ({"code_qp": "QN00001M"}, None, "pas de géométrie"),
        ({"code_qp": "QN00001M"}, Polygon(), "géométrie"),
        ({"code_qp": "QN00001M"}, shapely.Point(650000, 6860000), "Point"),
        ({"code_qp": "QP093001"}, box(650000, 6860000, 651000, 6861000), "autre génération"),
        ({"code_qp": "QX123"}, box(650000, 6860000, 651000, 6861000), "mal formé"),
    ],
)
def test_entrees_invalides_refusees(
    home: Path, tmp_path: Path, geojson, proprietes, geometrie, attendu
) -> None:
    f = geojson(tmp_path / "mauvais.geojson", [(proprietes, geometrie)])
    with pytest.raises(ErreurUtilisateur) as exc:
        importer_qpv([f], "2024", home=home)
    assert attendu in exc.value.texte()
    assert "mauvais.geojson" in exc.value.texte()
    assert exc.value.correctif


def test_lambert_declare_wgs84_refuse(home: Path, tmp_path: Path, geojson) -> None:
    f = geojson(
        tmp_path / "faux_wgs84.geojson",
        [({"code_qp": "QN00001M"}, box(650000, 6860000, 651000, 6861000))],
        epsg=4326,
    )
    # written without "crs" member: GeoJSON means WGS84, yet the numbers are metres
    with pytest.raises(ErreurUtilisateur) as exc:
        importer_qpv([f], "2024", home=home)
    assert "mètres" in exc.value.message or "projection" in exc.value.message


def test_mauvaise_projection_detectee_par_le_territoire(
    home: Path, tmp_path: Path, geojson
) -> None:
    """A Réunion QPV whose UTM 40S coordinates are labelled Lambert-93 falls outside La Réunion."""
    g = box(338000, 7688000, 339000, 7689000)  # Saint-Denis (974) in EPSG:2975
    f = geojson(tmp_path / "reunion.geojson", [({"code_qp": "QN97401M"}, g)], epsg=2154)
    with pytest.raises(ErreurUtilisateur) as exc:
        importer_qpv([f], "2024", home=home)
    assert "La Réunion" in exc.value.message and "--epsg" in (exc.value.correctif or "")
    f2 = geojson(tmp_path / "reunion_ok.geojson", [({"code_qp": "QN97401M"}, g)], epsg=2975)
    importer_qpv([f2], "2024", home=home)
    t = Territoires.charger(home)
    assert _point(t, 338_500, 7_688_500, epsg=2975) == "QN97401M"


def test_zip_corrompu_et_encodage(home: Path, tmp_path: Path, fichier_synthetique: Path) -> None:
    corrompu = tmp_path / "qpv.zip"
    corrompu.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ErreurUtilisateur, match="zip"):
        importer_qpv([corrompu], "2024", home=home)
    latin1 = tmp_path / "latin1.geojson"
    latin1.write_bytes(
        fichier_synthetique.read_text(encoding="utf-8").replace("Gare", "Gâre").encode("latin-1")
    )
    with pytest.raises(ErreurUtilisateur) as exc:
        importer_qpv([latin1], "2024", home=home)
    assert "UTF-8" in exc.value.message


def test_import_rate_laisse_les_donnees_precedentes(
    home: Path, tmp_path: Path, fichier_synthetique: Path, geojson
) -> None:
    importer_qpv([fichier_synthetique], "2024", home=home)
    avant = {p.name: p.read_bytes() for p in (home / "territoires").rglob("*") if p.is_file()}
    mauvais = geojson(tmp_path / "mauvais.geojson", [({"code_qp": "QN00009M"}, Polygon())])
    with pytest.raises(ErreurUtilisateur):
        importer_qpv([fichier_synthetique, mauvais], "2024", home=home)
    apres = {p.name: p.read_bytes() for p in (home / "territoires").rglob("*") if p.is_file()}
    assert apres == avant
    assert not [p for p in (home).iterdir() if p.name.startswith(".")]


def test_communes_2015_par_nom_resolues_avec_le_cog(
    home: Path, tmp_path: Path, cog_synthetique: Path, geojson
) -> None:
    from essq.territoires.cog import importer_cog

    importer_cog(cog_synthetique, home=home)
    f = geojson(
        tmp_path / "q15.geojson",
        [
            (
                {"CODE_QP": "QP000001", "NOM_QP": "A", "COMMUNE_QP": "Saint-Exemple"},
                box(650000, 6860000, 651000, 6861000),
            )
        ],
    )
    importer_qpv([f], "2015", home=home)
    t = Territoires.charger(home)
    assert t.qpv("QP000001")["communes"] == ["00002"]
    assert t.communes_avec_qpv("2015") == {"00002"}
