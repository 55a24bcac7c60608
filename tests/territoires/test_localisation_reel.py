"""Integration on the real QPV 2024 contours, COG 2026 and zonings of ../shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import shapely

from essq.erreurs import ErreurUtilisateur
from essq.territoires import Territoires, epsg_legal
from essq.territoires.projections import transformer

pytestmark = pytest.mark.shared_data


def test_les_1584_qpv_importes(t: Territoires, qpv) -> None:
    assert qpv.num_rows == 1584
    assert t.millesimes_qpv == ("2024",)
    par_dep = {}
    for d in qpv.column("departement").to_pylist():
        par_dep[d] = par_dep.get(d, 0) + 1
    assert (
        par_dep["971"],
        par_dep["972"],
        par_dep["973"],
        par_dep["974"],
        par_dep["976"],
        par_dep["987"],
    ) == (19, 9, 29, 57, 17, 88)


def test_chaque_qpv_trouve_depuis_un_point_interieur_wgs84(t: Territoires, qpv) -> None:
    geoms = shapely.from_wkb(np.array(qpv.column("geometrie").to_pylist(), dtype=object))
    pts = shapely.point_on_surface(geoms)
    lot = t.localiser_lot(shapely.get_x(pts), shapely.get_y(pts), epsg=4326)
    assert lot.column("statut_coordonnees").to_pylist() == ["ok"] * len(pts)
    trouves = np.array(lot.column("qpv_2024").to_pylist(), dtype=object)
    codes = np.array(qpv.column("code_qp").to_pylist(), dtype=object)
    # a point in an overlap sliver goes to the smallest code: allow only that case
    differents = np.flatnonzero(trouves != codes)
    for i in differents:
        assert trouves[i] is not None and trouves[i] < codes[i]
        assert shapely.intersects(geoms[i], pts[i])
    assert len(differents) <= 5
    assert all(d == 0.0 for d in lot.column("distance_qpv_2024_m").to_pylist())


def test_points_dans_la_projection_legale_de_chaque_territoire(t: Territoires, qpv) -> None:
    """SIRENE gives legal coordinates: Lambert-93, UTM 20N/22N/40S/38S… per département."""
    legales = shapely.from_wkb(np.array(qpv.column("geometrie_legale").to_pylist(), dtype=object))
    pts = shapely.point_on_surface(legales)
    communes = [c[0] for c in qpv.column("communes").to_pylist()]
    epsg = np.array([epsg_legal(c) for c in communes])
    assert set(epsg.tolist()) >= {2154, 5490, 2972, 2975, 4471}
    # by explicit EPSG per row…
    lot = t.localiser_lot(shapely.get_x(pts), shapely.get_y(pts), epsg=epsg)
    # …and by commune codes (epsg=None: legal projection of each row's commune)
    lot2 = t.localiser_lot(
        shapely.get_x(pts), shapely.get_y(pts), codes_commune=np.array(communes, dtype=object)
    )
    codes = qpv.column("code_qp").to_pylist()
    for l_ in (lot, lot2):
        trouves = l_.column("qpv_2024").to_pylist()
        assert sum(a == b for a, b in zip(trouves, codes, strict=True)) >= len(codes) - 5
        assert set(l_.column("statut_coordonnees").to_pylist()) == {"ok"}


def test_lambert93_de_la_seine_saint_denis(t: Territoires, donnees_partagees: Path) -> None:
    d = json.loads((donnees_partagees / "qpv" / "qpv2024_dep93_lambert93.geojson").read_text())
    geoms = [shapely.geometry.shape(f["geometry"]) for f in d["features"]]
    pts = shapely.point_on_surface(np.array(geoms, dtype=object))
    lot = t.localiser_lot(shapely.get_x(pts), shapely.get_y(pts), epsg=2154)
    attendus = [f["properties"]["code_qp"] for f in d["features"]]
    assert (
        sum(a == b for a, b in zip(lot.column("qpv_2024").to_pylist(), attendus, strict=True)) >= 73
    )


def test_mer_et_etranger_null_avec_distance_sensee(t: Territoires) -> None:
    # Baie de Seine, Berlin, Atlantic off Brest, sea off Saint-Denis de La Réunion
    lon = np.array([-0.5, 13.40, -6.5, 55.45])
    lat = np.array([49.6, 52.52, 48.3, -20.80])
    lot = t.localiser_lot(lon, lat, epsg=4326)
    assert lot.column("qpv_2024").to_pylist() == [None] * 4
    d = lot.column("distance_qpv_2024_m").to_pylist()
    assert 5_000 < d[0] < 80_000  # Le Havre / Caen QPV are a few tens of km away
    assert 300_000 < d[1] < 1_200_000  # nearest QPV from Berlin: eastern France
    assert 20_000 < d[2] < 150_000  # Brest
    assert 1_000 < d[3] < 30_000
    assert lot.column("qpv_proche_2024").to_pylist()[3].startswith("QN974")


def test_coordonnees_absentes_hors_plage_et_inversees(t: Territoires) -> None:
    lot = t.localiser_lot(
        np.array([np.nan, 652_000.0, 48.93, 2.36]),
        np.array([48.9, 6_862_000.0, 2.36, 48.93]),
        epsg=4326,
    )
    assert lot.column("statut_coordonnees").to_pylist() == [
        "absentes",
        "hors_plage",
        "incoherentes",
        "ok",
    ]
    assert lot.column("qpv_2024").to_pylist()[:3] == [None, None, None]
    assert lot.column("distance_qpv_2024_m").to_pylist()[:3] == [None, None, None]
    assert lot.column("lon").to_pylist()[:3] == [None, None, None]


def test_commune_incoherente_avec_le_point(t: Territoires) -> None:
    """Lambert coordinates of Paris declared for a Réunion commune are flagged, not placed."""
    lot = t.localiser_lot(
        np.array([652_000.0]),
        np.array([6_862_000.0]),
        epsg=2154,
        codes_commune=np.array(["97411"], dtype=object),
    )
    assert lot.column("statut_coordonnees").to_pylist() == ["incoherentes"]


def test_localiser_un_point_json_complet(t: Territoires) -> None:
    r = t.localiser(2.3601, 48.9297)  # Saint-Denis, quartier Grand Centre - Sémard
    assert r["code_qp"] == "QN09338M" and r["distance_m"] == 0.0
    assert r["commune"]["code"] == "93066" and r["epci"] == "200054781"
    assert r["departement"] == "93" and r["region"] == "11"
    assert r["millesimes"]["2024"]["lib_qp"] == r["lib_qp"]
    assert r["source"]["qpv"]["millesimes"] == ["2024"]
    dehors = t.localiser(2.3601, 48.9197, rayon_m=1000)
    assert dehors["code_qp"] is None and 0 < dehors["distance_m"] < 1000
    assert dehors["code_qp_proche"] == dehors["millesimes"]["2024"]["qpv_dans_rayon"][0]["code_qp"]
    with pytest.raises(ErreurUtilisateur, match="Lambert-93"):
        t.localiser(652_000, 6_862_000)


def test_arrondissements_et_anciens_codes_vers_la_commune(t: Territoires) -> None:
    codes = np.array(["75112", "69385", "13201", "93059", "93066", "99999", None], dtype=object)
    assert t.normaliser_communes(codes).tolist() == [
        "75056",
        "69123",
        "13055",
        "93066",
        "93066",
        "99999",
        None,
    ]
    # the vectorised path the SIRENE qualification takes gives the same answers
    fleche = pa.array([" 75112", *codes[1:]], pa.string())
    assert t.normaliser_communes_arrow(fleche).to_pylist() == t.normaliser_communes(codes).tolist()
    assert t.commune("75112")["code"] == "75056"
    assert "93066" in t.communes_avec_qpv("2024")


def test_zonages_de_la_commune(t: Territoires) -> None:
    bourg = t.commune("01053")
    zonages = {z["zonage"]: z for z in bourg["zonages"]}
    assert zonages["acv"]["date"] == "2024-01-25" and "ort" in zonages
    # Brénod (01060) is « C - Classée en ZRR » in the ANCT file
    assert {"zonage": "zrr", "valeur": "C"}.items() <= t.commune("01060")["zonages"][0].items()


def test_recherche_territoires(t: Territoires) -> None:
    r = t.chercher("st denis")
    assert "93066" in [x["code"] for x in r[:3]]
    assert t.chercher("st denis 93")[0]["code"] == "93066"
    assert t.chercher("Franc Moisin")[0]["code"] == "QN09328M"
    assert t.chercher("93066")[0] == {
        "type": "commune",
        "code": "93066",
        "libelle": "Saint-Denis (93)",
        "nom": "Saint-Denis",
        "score": pytest.approx(1.0, abs=0.01),
    }
    assert t.chercher("qn09328m")[0]["type"] == "qpv"
    assert t.chercher("SEINE-SAINT-DENIS", types=["departement"])[0]["code"] == "93"
    assert t.chercher("île de france", types=["region"])[0]["code"] == "11"
    assert t.chercher("zzzzzz") == []


def test_lambert_vers_wgs84_coherent(t: Territoires) -> None:
    lon, lat = transformer(np.array([652_000.0]), np.array([6_862_000.0]), 2154, 4326)
    lot = t.localiser_lot(np.array([652_000.0]), np.array([6_862_000.0]), epsg=2154)
    assert lot.column("lon").to_pylist()[0] == pytest.approx(lon[0])
    assert lot.column("lat").to_pylist()[0] == pytest.approx(lat[0])


def test_commune_du_point_par_ses_contours(
    home_reel: Path, donnees_partagees: Path, tmp_path: Path
) -> None:
    """With commune contours (2018 vintage), the point's commune is normalised to today's COG."""
    import shutil

    from essq.territoires.contours import importer_contours

    home = tmp_path / "h"
    shutil.copytree(home_reel / "territoires", home / "territoires")
    c = donnees_partagees / "cog" / "contours_2018"
    r = importer_contours(
        [c / "communes-93-seine-saint-denis.geojson", c / "communes-75-paris.geojson"], home=home
    )
    assert r.communes == 41
    t = Territoires.charger(home)
    # Pierrefitte-sur-Seine (93059 in 2018) merged into Saint-Denis (93066) in 2025, outside any QPV
    pierrefitte = t.localiser(2.3541, 48.9633)
    assert pierrefitte["commune"]["code"] == "93066"
    assert pierrefitte["methode_commune"] == "contours des communes importés"
    paris = t.localiser(2.3488, 48.8534)
    assert paris["commune"]["code"] == "75056" and paris["region"] == "11"
    assert t.localiser(2.0, 43.5)["commune"] is None


def test_liseres_reels_attribues_au_plus_petit_code(t: Territoires, qpv) -> None:
    """Real overlap slivers between neighbouring QPV: the point goes to the smallest code_qp."""
    legales = shapely.from_wkb(np.array(qpv.column("geometrie_legale").to_pylist(), dtype=object))
    codes = qpv.column("code_qp").to_pylist()
    epsg = qpv.column("epsg_legal").to_pylist()
    a, b = shapely.STRtree(legales).query(legales, predicate="overlaps")
    paires = [(i, j) for i, j in zip(a, b, strict=True) if i < j]
    assert len(paires) >= 20
    for i, j in paires[:20]:
        p = shapely.point_on_surface(shapely.intersection(legales[i], legales[j]))
        lot = t.localiser_lot(np.array([p.x]), np.array([p.y]), epsg=epsg[i])
        assert lot.column("qpv_2024").to_pylist() == [min(codes[i], codes[j])]


def test_distance_seulement_pour_les_points_demandes(t: Territoires, qpv) -> None:
    """A mask computes the nearest QPV only where asked, identically; elsewhere nulls outside
    a QPV and 0 inside (what the observatory uses to skip non-ESS establishments)."""
    rng = np.random.default_rng(7)
    centres = shapely.centroid(shapely.from_wkb(qpv.column("geometrie").to_pylist()[:200]))
    lon = shapely.get_x(centres) + rng.uniform(-0.02, 0.02, len(centres))
    lat = shapely.get_y(centres) + rng.uniform(-0.02, 0.02, len(centres))
    masque = rng.random(len(lon)) < 0.5
    complet = t.localiser_lot(lon, lat, epsg=4326)
    partiel = t.localiser_lot(lon, lat, epsg=4326, avec_distance=masque)
    assert partiel.column("qpv_2024").equals(complet.column("qpv_2024"))
    d_c = complet.column("distance_qpv_2024_m").to_pylist()
    d_p = partiel.column("distance_qpv_2024_m").to_pylist()
    p_c = complet.column("qpv_proche_2024").to_pylist()
    p_p = partiel.column("qpv_proche_2024").to_pylist()
    dedans = complet.column("qpv_2024").to_pylist()
    for i in range(len(lon)):
        if masque[i] or dedans[i] is not None:
            assert (d_p[i], p_p[i]) == (d_c[i], p_c[i])
        else:
            assert d_p[i] is None and p_p[i] is None
    assert any(d is None for d in d_p) and any(d and d > 0 for d in d_p)
    with pytest.raises(ValueError):
        t.localiser_lot(lon, lat, epsg=4326, avec_distance=masque[:-1])
