"""GET /api/v1/qpv/localiser: the ASGI fast path answers exactly as the FastAPI route (status,
headers, body), and leaves to the route every request it does not plainly understand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from essq.api import direct as localiser_direct
from essq.api.direct import lire_requete

CORS = ["https://exemple.gouv.fr"]


def _client(home: Path, direct: bool) -> TestClient:
    from essq.web.application import creer_application

    app = creer_application(home, cors=CORS)
    if not direct:  # the same application without the fast path: the FastAPI route answers
        app.user_middleware = [m for m in app.user_middleware if m.cls is not RoutesDirectes]
    return TestClient(app, raise_server_exceptions=False)


RoutesDirectes = localiser_direct.RoutesDirectes


@pytest.fixture(scope="module")
def clients(demo: tuple[Path, Path]) -> Iterator[tuple[TestClient, TestClient]]:
    with _client(demo[1], True) as rapide, _client(demo[1], False) as route:
        yield rapide, route


def _points(donnees: Path) -> list[tuple[float, float]]:
    """Points inside, on the edge of, near and away from the demo QPV (both vintages)."""
    rng = np.random.default_rng(3)
    pts: list[tuple[float, float]] = []
    for fichier in sorted((donnees / "qpv").glob("*wgs84.geojson")):
        geo = json.loads(fichier.read_text(encoding="utf-8"))
        for f in geo["features"]:
            g = shapely.geometry.shape(f["geometry"])
            p = g.representative_point()
            x, y = shapely.get_coordinates(g.exterior if hasattr(g, "exterior") else g)[0]
            pts += [(p.x, p.y), (float(x), float(y))]
            pts += [(p.x + dx, p.y + dy) for dx, dy in rng.normal(0, 0.01, (4, 2))]
    return pts


def test_memes_reponses_que_la_route(
    clients: tuple[TestClient, TestClient], demo: tuple[Path, Path], monkeypatch
) -> None:
    rapide, route = clients
    servies = []
    serialiser = localiser_direct.serialiser
    monkeypatch.setattr(
        localiser_direct, "serialiser", lambda obj: servies.append(1) or serialiser(obj)
    )
    requetes = []
    for lon, lat in _points(demo[0]):
        requetes += [f"lon={lon:.6f}&lat={lat:.6f}", f"lat={lat:.7f}&lon={lon:.7f}&millesime=2015"]
    requetes += [
        "lon=2&lat=45",  # mainland France, far from the demo QPV
        "lon=55.45&lat=-20.9",  # La Réunion
        "lon=-0.0&lat=0.0",  # no French territory: the route's 400
        "lon=180&lat=90",
        "lon=2.35&lat=48.85&millesime=2024",
    ]
    directes = len(requetes)
    requetes += [
        "lon=200&lat=45",
        "lon=2&lat=-95",
        "lon=abc&lat=45",
        "lon=2",
        "lon=2&lat=45&millesime=1999",
        "lon=2&lat=45&millesime=20240",
        "lon=2&lat=45&rayon_m=300",
        "lon=2&lat=45&lon=3",
        "lon=%32&lat=45",
        "lon=+2&lat=45",
        "lon=2e0&lat=45",
        "lon=2.&lat=45",
        "lon=2&lat=45&",
        "lon=2&lat=45&inconnu=1",
        "lon=inf&lat=45",
        "lon=nan&lat=45",
        "",
    ]
    reussies = 0
    for k, q in enumerate(requetes):
        a, b = rapide.get(f"/api/v1/qpv/localiser?{q}"), route.get(f"/api/v1/qpv/localiser?{q}")
        assert (a.status_code, a.content) == (b.status_code, b.content), q
        assert a.headers.items() == b.headers.items(), q
        reussies += k < directes and b.status_code == 200
    # every plainly written request answered 200 took the fast path, and only those
    assert len(servies) == reussies > 2 * len(requetes) // 3


def test_cors_et_entetes_de_securite(clients: tuple[TestClient, TestClient]) -> None:
    rapide, route = clients
    q = "/api/v1/qpv/localiser?lon=2.35&lat=48.85"
    a = rapide.get(q, headers={"Origin": CORS[0]})
    b = route.get(q, headers={"Origin": CORS[0]})
    assert a.status_code == 200 and a.headers.items() == b.headers.items()
    assert a.headers["access-control-allow-origin"] == CORS[0]
    assert a.headers["x-content-type-options"] == "nosniff"
    # other methods and paths are not taken by the fast path
    assert rapide.head(q).status_code == route.head(q).status_code
    assert rapide.post(q).status_code == route.post(q).status_code


@pytest.mark.parametrize(
    ("requete", "attendu"),
    [
        (b"lon=2.36&lat=48.93", (2.36, 48.93, None)),
        (b"lat=-21&lon=55.5&millesime=2015", (55.5, -21.0, "2015")),
        (b"lon=-180&lat=90", (-180.0, 90.0, None)),
        (b"lon=180.000001&lat=0", None),
        (b"lon=2&lat=", None),
        (b"lon=2&lat=1&lat=1", None),
        (b"lon=2&lat=1&rayon_m=5", None),
        (b"lon=1E2&lat=1", None),
        (b"lon=2&lat=1&millesime=24", None),
    ],
)
def test_lire_requete(requete: bytes, attendu: tuple | None) -> None:
    assert lire_requete(requete) == attendu


def test_indicateurs_en_cache_comme_la_route(
    clients: tuple[TestClient, TestClient], demo: tuple[Path, Path], monkeypatch
) -> None:
    from essq.observatoire import Entrepot

    rapide, route = clients
    with Entrepot.ouvrir(demo[1]) as e:
        territoires = e.territoires()
        dates = e.dates_stock()
    simples = []
    for t in territoires:
        base = f"/api/v1/territoires/{t['niveau']}/{t.get('code') or 'FR'}/indicateurs"
        simples += [base, f"{base}?millesime={t.get('millesime') or '2024'}&format=json"]
    simples += [f"{simples[0]}?date_stock={dates[0]}", f"{simples[0]}?millesime=2015"]
    autres = [
        f"{simples[0]}?format=csv",
        f"{simples[0]}?date_stock=1999-01-01",
        f"{simples[0]}?date_stock=hier",
        f"{simples[0]}?millesime=abcd",
        f"{simples[0]}?millesime=2024&millesime=2015",
        f"{simples[0]}?inconnu=1",
        "/api/v1/territoires/commune/99999/indicateurs",
        "/api/v1/territoires/commune/9%2099/indicateurs",
        "/api/v1/territoires/canton/01001/indicateurs",
        "/api/v1/territoires/commune/" + "1" * 21 + "/indicateurs",
    ]
    from essq.api import routes

    verifies: list[str] = []  # codes checked by the FastAPI route (not by the fast path)
    verifier = routes._verifier_code
    monkeypatch.setattr(routes, "_verifier_code", lambda c: verifies.append(c) or verifier(c))
    for passage in range(2):  # the first fills each process's cache, the second reads it
        for url in simples + autres:
            avant = len(verifies)
            a = rapide.get(url)
            par_la_route = len(verifies) > avant
            b = route.get(url)
            assert (a.status_code, a.content) == (b.status_code, b.content), url
            assert a.headers.items() == b.headers.items(), url
            if passage == 0 and url == simples[0]:
                assert par_la_route  # (a miss: the route computes and caches)
            if passage == 1 and url in simples:
                assert a.status_code == 200 and not par_la_route, url


def test_annuaire_comme_la_route(
    clients: tuple[TestClient, TestClient], demo: tuple[Path, Path], monkeypatch
) -> None:
    """The directory's fast path answers plainly written searches byte for byte as the route
    (first pages and following ones), and leaves every other request to it."""
    from essq.observatoire import Entrepot

    rapide, route = clients
    with Entrepot.ouvrir(demo[1]) as e:
        terr = [t for t in e.territoires() if t["niveau"] in ("commune", "epci", "qpv")]
        famille = e.con.execute(
            "SELECT famille_ess FROM etablissements_ess GROUP BY 1 ORDER BY count(*) DESC"
        ).fetchone()[0]
        ancienne = e.dates_stock()[0]
    base = "/api/v1/etablissements"
    simples = [base, f"{base}?tri=effectif&limite=5", f"{base}?famille={famille}&tri=creation"]
    for t in terr:
        code = f"{t['niveau']}:{t['code']}"
        simples += [
            f"{base}?territoire={code}&limite=3",
            f"{base}?territoire={code}&proche_qpv_m=300&tri=distance_qpv&millesime=2015",
            f"{base}?territoire={code}&perimetre=hors_qpv&taille=1_9&taille=10_49&employeur=true",
        ]
    autres = [
        f"{base}?q=asso",
        f"{base}?date_stock={ancienne}",
        f"{base}?territoire=commune%3A00001",
        f"{base}?territoire=commune:99999",
        f"{base}?territoire=canton:01",
        f"{base}?perimetre=partout",
        f"{base}?tri=hasard",
        f"{base}?limite=0",
        f"{base}?limite=501",
        f"{base}?limite=050",
        f"{base}?proche_qpv_m=-5",
        f"{base}?proche_qpv_m=10001",
        f"{base}?employeur=oui",
        f"{base}?employeur=1",
        f"{base}?taille=geante",
        f"{base}?millesime=1999",
        f"{base}?format=csv",
        f"{base}?curseur=pas-un-curseur",
        f"{base}?tri=nom&tri=siret",
        f"{base}?famille=" + "&famille=".join(["a"] * 11),
        f"{base}?inconnu=1",
        f"{base}?territoire",
    ]
    servies: list[int] = []
    serialiser = localiser_direct.serialiser
    monkeypatch.setattr(
        localiser_direct, "serialiser", lambda obj: servies.append(1) or serialiser(obj)
    )
    pages = 0
    for url in simples + autres:
        avant = len(servies)
        a, b = rapide.get(url), route.get(url)
        assert (a.status_code, a.content) == (b.status_code, b.content), url
        assert a.headers.items() == b.headers.items(), url
        if url in simples:
            assert a.status_code == 200 and len(servies) == avant + 1, url
            suivant = a.json()["suivant"]
            if suivant:  # the next page, through both
                sep = "&" if "?" in url else "?"
                a2 = rapide.get(f"{url}{sep}curseur={suivant}")
                b2 = route.get(f"{url}{sep}curseur={suivant}")
                assert a2.content == b2.content and a2.status_code == 200, url
                pages += 1
        else:
            assert len(servies) == avant, url
    assert pages >= 3
