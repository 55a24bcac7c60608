"""Property tests: the grid index answers exactly like brute force over every polygon."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from essq.territoires.index import IndexZone

X0, Y0 = 650_000.0, 6_860_000.0


@st.composite
def polygones(draw: st.DrawFn) -> list[shapely.Geometry]:
    n = draw(st.integers(1, 6))
    sortie = []
    for _ in range(n):
        cx = draw(st.integers(0, 3000)) + X0
        cy = draw(st.integers(0, 3000)) + Y0
        forme = draw(st.sampled_from(["boite", "triangle", "disque", "anneau"]))
        if forme == "boite":
            g = box(cx, cy, cx + draw(st.integers(5, 1500)), cy + draw(st.integers(5, 1500)))
        elif forme == "triangle":
            g = Polygon(
                [
                    (cx, cy),
                    (cx + draw(st.integers(10, 900)), cy + draw(st.integers(-400, 400))),
                    (cx + draw(st.integers(-400, 400)), cy + draw(st.integers(10, 900))),
                ]
            )
        elif forme == "disque":
            g = shapely.Point(cx, cy).buffer(
                draw(st.integers(5, 700)), quad_segs=draw(st.integers(2, 12))
            )
        else:
            r = draw(st.integers(60, 700))
            g = shapely.Point(cx, cy).buffer(r).difference(shapely.Point(cx, cy).buffer(r // 2))
        if g.is_valid and not g.is_empty and g.area > 0:
            sortie.append(g)
    if not sortie:
        sortie.append(box(X0, Y0, X0 + 100, Y0 + 100))
    return sortie


def _brute(geoms: list[shapely.Geometry], x: np.ndarray, y: np.ndarray):
    contient = np.full(len(x), -1)
    for i in reversed(range(len(geoms))):  # smallest index (= smallest code) wins
        contient[shapely.intersects_xy(geoms[i], x, y)] = i
    points = shapely.points(x, y)
    d = np.array([shapely.distance(g, points) for g in geoms])  # (polygons, points)
    return contient, d.min(axis=0), d


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    geoms=polygones(), graine=st.integers(0, 2**31 - 1), pas=st.sampled_from([13.0, 50.0, 100.0])
)
def test_index_egal_force_brute(geoms: list[shapely.Geometry], graine: int, pas: float) -> None:
    rng = np.random.default_rng(graine)
    index = IndexZone.construire(
        np.array(geoms, dtype=object), 2154, pas_fin=pas, pas_distance=4 * pas, marge=2000
    )
    # random points, polygon vertices and edge midpoints (boundary points), far points
    sommets = shapely.get_coordinates(np.array(geoms, dtype=object))
    milieux = (sommets[:-1] + sommets[1:]) / 2
    aleatoires = np.column_stack(
        [rng.uniform(X0 - 3000, X0 + 7000, 300), rng.uniform(Y0 - 3000, Y0 + 7000, 300)]
    )
    lointains = np.array([[X0 - 50_000, Y0], [X0, Y0 + 80_000]])
    pts = np.vstack([aleatoires, sommets, milieux, lointains])
    x, y = pts[:, 0], pts[:, 1]
    attendu, dmin, toutes = _brute(geoms, x, y)
    assert np.array_equal(index.contenant(x, y), attendu)
    ip, d = index.plus_proche(x, y)
    assert np.allclose(d, dmin, rtol=0, atol=1e-6)
    dehors = attendu < 0
    ip2, d2 = index.plus_proche_exterieurs(x[dehors], y[dehors])
    assert np.allclose(d2, dmin[dehors], rtol=0, atol=1e-6)
    assert np.array_equal(ip2, ip[dehors])
    # nearest = smallest index among the polygons at the minimum distance
    for k in range(len(x)):
        ex_aequo = np.flatnonzero(np.abs(toutes[:, k] - dmin[k]) <= 1e-9)
        assert ip[k] == ex_aequo.min() or np.abs(toutes[ip[k], k] - dmin[k]) <= 1e-6


def test_frontiere_commune_et_liseré_plus_petit_code() -> None:
    """The documented tie-break: boundary points belong to the QPV; ties → smallest code."""
    a = box(0, 0, 100, 100)
    b = box(100, 0, 200, 100)  # shares the edge x = 100 with a
    c = box(190, 50, 300, 150)  # overlaps b on [190, 200] × [50, 100]
    index = IndexZone.construire(
        np.array([a, b, c], dtype=object), 2154, pas_fin=10, pas_distance=40, marge=500
    )
    x = np.array([100.0, 195.0, 250.0, 0.0, 300.0, 350.0])
    y = np.array([50.0, 75.0, 120.0, 0.0, 150.0, 150.0])
    assert index.contenant(x, y).tolist() == [0, 1, 2, 0, 2, -1]
    ip, d = index.plus_proche(np.array([350.0]), np.array([150.0]))
    assert ip.tolist() == [2] and d.tolist() == [50.0]


def test_enregistrement_et_empreinte(tmp_path) -> None:
    geoms = np.array([box(0, 0, 100, 100), box(300, 0, 400, 100)], dtype=object)
    index = IndexZone.construire(geoms, 2154)
    chemin = tmp_path / "i.npz"
    index.enregistrer(chemin, "abc")
    assert IndexZone.charger(chemin, geoms, "autre") is None  # stale → rebuilt by the caller
    relu = IndexZone.charger(chemin, geoms, "abc")
    assert relu is not None
    x, y = np.array([50.0, 350.0, 200.0]), np.array([50.0, 50.0, 50.0])
    assert relu.contenant(x, y).tolist() == index.contenant(x, y).tolist() == [0, 1, -1]


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(-300_000, 1_700_000, allow_nan=False),
    y=st.floats(5_800_000, 7_400_000, allow_nan=False),
)
def test_lambert93_inverse_egal_proj(x: float, y: float) -> None:
    """The vectorised Lambert-93 inverse agrees with PROJ to better than a millimetre."""
    from essq.territoires.projections import lambert93_vers_wgs84, transformateur

    lon, lat = lambert93_vers_wgs84(np.array([x]), np.array([y]))
    plon, plat = transformateur(2154, 4326).transform(x, y)
    assert abs(lon[0] - plon) < 1e-8 and abs(lat[0] - plat) < 1e-8


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(geoms=polygones(), graine=st.integers(0, 2**31 - 1))
def test_contenant_en_parallele_egal_force_brute(
    geoms: list[shapely.Geometry], graine: int
) -> None:
    """The threaded point-in-polygon path (split by polygon) answers like brute force."""
    import essq.territoires.index as module_index

    rng = np.random.default_rng(graine)
    index = IndexZone.construire(
        np.array(geoms, dtype=object), 2154, pas_fin=50.0, pas_distance=200.0, marge=2000
    )
    sommets = shapely.get_coordinates(np.array(geoms, dtype=object))
    aleatoires = np.column_stack(
        [rng.uniform(X0 - 500, X0 + 5000, 2000), rng.uniform(Y0 - 500, Y0 + 5000, 2000)]
    )
    pts = np.vstack([aleatoires, sommets])
    x, y = pts[:, 0], pts[:, 1]
    attendu, _, _ = _brute(geoms, x, y)
    seuil = module_index._PAIRES_PAR_FIL
    module_index._PAIRES_PAR_FIL = 1  # force the threaded path on small inputs
    try:
        assert np.array_equal(index.contenant(x, y), attendu)
    finally:
        module_index._PAIRES_PAR_FIL = seuil


def test_requetes_concurrentes_sur_un_index_neuf() -> None:
    """Several threads localising at once on a freshly loaded index give the serial answer."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 20_000, (60, 2))
    geoms = shapely.buffer(shapely.points(centres + [X0, Y0]), rng.uniform(100, 900, 60))
    x = rng.uniform(X0 - 1000, X0 + 21_000, 200_000)
    y = rng.uniform(Y0 - 1000, Y0 + 21_000, 200_000)
    serie = IndexZone.construire(geoms, 2154).contenant(x, y)
    neuf = IndexZone.construire(geoms, 2154)
    with ThreadPoolExecutor(4) as pool:
        morceaux = list(pool.map(lambda i: neuf.contenant(x[i::4], y[i::4]), range(4)))
    for i, m in enumerate(morceaux):
        assert np.array_equal(m, serie[i::4])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    geoms=polygones(), graine=st.integers(0, 2**31 - 1), pas=st.sampled_from([13.0, 50.0, 100.0])
)
def test_un_point_egal_lot(geoms: list[shapely.Geometry], graine: int, pas: float) -> None:
    """The single-point query (API's GET /qpv/localiser) gives exactly the batch answers:
    container, nearest polygon (same tie-breaks) and the same distance to the last bit."""
    rng = np.random.default_rng(graine)
    index = IndexZone.construire(
        np.array(geoms, dtype=object), 2154, pas_fin=pas, pas_distance=4 * pas, marge=2000
    )
    sommets = shapely.get_coordinates(np.array(geoms, dtype=object))
    milieux = (sommets[:-1] + sommets[1:]) / 2
    aleatoires = np.column_stack(
        [rng.uniform(X0 - 3000, X0 + 7000, 150), rng.uniform(Y0 - 3000, Y0 + 7000, 150)]
    )
    lointains = np.array([[X0 - 50_000, Y0], [X0, Y0 + 80_000], [np.nan, Y0], [X0, np.inf]])
    pts = np.vstack([aleatoires, sommets, milieux, lointains])
    x, y = pts[:, 0], pts[:, 1]
    contenant = index.contenant(x, y)
    dehors = contenant < 0
    ip, d = index.plus_proche_exterieurs(x[dehors], y[dehors])
    proche, distance = contenant.copy(), np.zeros(len(x))
    proche[dehors], distance[dehors] = ip, d
    for k in range(len(x)):
        c, p, dk = index.localiser_point(float(x[k]), float(y[k]))
        assert (c, p) == (contenant[k], proche[k]), k
        assert dk == distance[k] or (np.isnan(dk) and np.isnan(distance[k])), k


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    geoms=polygones(),
    multi=st.booleans(),
    graine=st.integers(0, 2**31 - 1),
    pas=st.sampled_from([13.0, 100.0]),
)
def test_distances_du_noyau_identiques_a_geos(
    geoms: list[shapely.Geometry], multi: bool, graine: int, pas: float
) -> None:
    """The compiled batch kernel gives GEOS's distances bit for bit (same segments, same
    formula), and the nearest polygon with the smallest index on ties, for polygons with
    holes, multipolygons and points everywhere outside them (near, on the grid's edge, far)."""
    if multi and len(geoms) > 1:  # a QPV in several parts
        geoms = [shapely.MultiPolygon([geoms[0], geoms[-1]])] + geoms[1:-1]
        if not geoms[0].is_valid:
            geoms = [shapely.make_valid(geoms[0])] + geoms[1:]
    rng = np.random.default_rng(graine)
    index = IndexZone.construire(
        np.array(geoms, dtype=object), 2154, pas_fin=pas, pas_distance=4 * pas, marge=2000
    )
    sommets = shapely.get_coordinates(np.array(geoms, dtype=object))
    pts = np.vstack(
        [
            np.column_stack(
                [rng.uniform(X0 - 4000, X0 + 8000, 400), rng.uniform(Y0 - 4000, Y0 + 8000, 400)]
            ),
            sommets + rng.normal(0, 3, sommets.shape),  # just off the boundaries
        ]
    )
    x, y = pts[:, 0], pts[:, 1]
    attendu, dmin, toutes = _brute(geoms, x, y)
    dehors = attendu < 0
    ip, d = index.plus_proche_exterieurs(x[dehors], y[dehors])
    assert np.array_equal(d, dmin[dehors])  # exactly GEOS's value, not an approximation
    premier = np.argmax(toutes[:, dehors] == dmin[dehors], axis=0)  # smallest index at dmin
    assert np.array_equal(ip, premier)


def test_noyau_sans_numba_au_chargement() -> None:
    """Loading an index and answering one point never imports numba (API start-up time);
    preparing the distances does load the compiled kernel."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, shapely\n"
        "from essq.territoires.index import IndexZone\n"
        "i = IndexZone.construire(np.array([shapely.box(0, 0, 10, 10)]), 2154)\n"
        "assert i.localiser_point(50.0, 5.0)[1] == 0\n"
        "print('numba' in sys.modules)\n"
        "i.preparer_distances()  # what the qualification runs in the background\n"
        "print('numba' in sys.modules and i._segments is not None)\n"
    )
    sortie = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert sortie.stdout.split() == ["False", "True"], sortie.stderr
