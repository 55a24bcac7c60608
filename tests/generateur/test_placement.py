"""Points said to be inside a QPV are inside it; points said near are near and outside."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from essq.generateur import generer_stock
from essq.generateur.nomenclatures import communes_reference
from essq.generateur.placement import (
    DEDANS,
    MOINS_300M,
    PlaceurQPV,
    QpvPlace,
    epsg_legal,
    reprojeter,
    transformateur,
)


def _contours(chemin: Path) -> dict[str, tuple[shapely.Geometry, list[str]]]:
    donnees = json.loads(chemin.read_text(encoding="utf-8"))
    lambert = "2154" in json.dumps(donnees.get("crs") or {})
    resultat = {}
    for f in donnees["features"]:
        g = shapely.make_valid(shape(f["geometry"]))
        if lambert:
            g = reprojeter(g, 2154, 4326)
        communes = str(f["properties"]["insee_com"]).replace("|", ",").split(",")
        resultat[f["properties"]["code_qp"]] = (g, communes)
    return resultat


def _verifier(dossier: Path, fichier_qpv: Path) -> dict[str, int]:
    contours = _contours(fichier_qpv)
    et = pq.read_table(dossier / "StockEtablissement_utf8.parquet").to_pylist()
    verite = pq.read_table(dossier / "placement_qpv.parquet").to_pylist()
    parents = {r.code: r.parent for r in communes_reference()}
    tous = shapely.STRtree([g for g, _ in contours.values()])
    vus = {"dedans": 0, "moins_300m": 0}
    for e, v in zip(et, verite, strict=True):
        assert e["siret"] == v["siret"]
        x = e["coordonneeLambertAbscisseEtablissement"]
        if v["zone"] not in vus or x in (None, "[ND]"):
            continue
        commune = e["codeCommuneEtablissement"]
        epsg = epsg_legal(commune)
        lon, lat = transformateur(epsg, 4326).transform(
            float(x), float(e["coordonneeLambertOrdonneeEtablissement"])
        )
        geom, communes_qpv = contours[v["qpv_reference"]]
        point = shapely.Point(lon, lat)
        if v["zone"] == "dedans":
            assert geom.contains(point), (v, lon, lat)
            assert parents.get(commune, commune) in communes_qpv
            assert v["distance_m"] == 0
        else:
            assert not any(g.contains(point) for g in tous.geometries[tous.query(point)])
            d_legale = reprojeter(geom, 4326, epsg).distance(
                shapely.Point(float(x), float(e["coordonneeLambertOrdonneeEtablissement"]))
            )
            assert 0 < d_legale <= 300.0 + 1e-6
            assert math.isclose(d_legale, v["distance_m"], abs_tol=0.01)
        vus[v["zone"]] += 1
    return vus


@pytest.mark.parametrize(
    "fichier",
    [
        pytest.param("qpv2024_metropole_wgs84_4dp.geojson", marks=pytest.mark.lent),
        "qpv2024_outremer_wgs84_4dp.geojson",
        "qpv2024_dep93_lambert93.geojson",
    ],
)
def test_placement_dans_les_qpv_reels(
    donnees_partagees: Path, tmp_path: Path, fichier: str
) -> None:
    qpv = donnees_partagees / "qpv" / fichier
    generer_stock(
        tmp_path, 2500, graine=4, qpv=qpv, formats=("parquet",), afficher_progression=False
    )
    vus = _verifier(tmp_path, qpv)
    assert vus["dedans"] > 150 and vus["moins_300m"] > 100


@pytest.mark.lent
def test_arrondissements_pour_paris_lyon_marseille(donnees_partagees: Path, tmp_path: Path) -> None:
    """In Paris, Lyon and Marseille, SIRENE gives arrondissement codes, never 75056/69123/13055."""
    generer_stock(
        tmp_path,
        8_000,
        graine=5,
        qpv=donnees_partagees / "qpv" / "qpv2024_metropole_wgs84_4dp.geojson",
        afficher_progression=False,
    )
    communes = set(
        pq.read_table(
            tmp_path / "StockEtablissement_utf8.parquet", columns=["codeCommuneEtablissement"]
        )
        .column(0)
        .to_pylist()
    )
    assert not communes & {"75056", "69123", "13055"}
    assert any(c and c.startswith("751") for c in communes)


def _etoile(
    cx: float, cy: float, rayon: float, harmoniques: list[float], n: int = 40
) -> shapely.Polygon:
    theta = np.linspace(0, 2 * math.pi, n, endpoint=False)
    r = rayon * (1 + sum(a * np.cos((k + 2) * theta + k) for k, a in enumerate(harmoniques)))
    return shapely.Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


@settings(max_examples=25, deadline=None)
@given(
    rayon=st.floats(min_value=40, max_value=2500),
    harmoniques=st.lists(st.floats(min_value=0, max_value=0.3), min_size=1, max_size=3),
    graine=st.integers(min_value=0, max_value=2**31),
)
def test_propriete_points_dedans_toujours_dedans(
    rayon: float, harmoniques: list[float], graine: int
) -> None:
    """Whatever the (star-shaped, possibly thin-armed) contour, inside points are inside,
    in Lambert-93 and back in WGS84, after rounding to 0.1 m."""
    g = shapely.set_precision(_etoile(652_000, 6_862_000, rayon, harmoniques), 0.1)
    voisin = shapely.affinity.translate(g, 6 * rayon + 500, 0)
    qpv = [
        QpvPlace("QN09399X", "93001", None, 2154, g, reprojeter(g, 2154, 4326)),
        QpvPlace("QN09398X", "93001", None, 2154, voisin, reprojeter(voisin, 2154, 4326)),
    ]
    placeur = PlaceurQPV(qpv)
    lieux = placeur.placer(np.random.default_rng(graine), 400)
    dedans = lieux.zone == DEDANS
    geoms = np.array([q.geom for q in qpv])[lieux.qpv[dedans]]
    assert shapely.contains_xy(geoms, lieux.x[dedans], lieux.y[dedans]).all()
    assert np.all(np.round(lieux.x[dedans], 1) == lieux.x[dedans])
    pres = lieux.zone == MOINS_300M
    d = shapely.distance(
        np.array([q.geom for q in qpv])[lieux.qpv[pres]],
        shapely.points(lieux.x[pres], lieux.y[pres]),
    )
    assert ((d > 0) & (d <= 300)).all()
