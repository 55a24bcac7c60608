"""Every /api/v1 endpoint on the demo warehouse, good and bad parameters."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
import shapely
from fastapi.testclient import TestClient

from essq.erreurs import ErreurUtilisateur
from essq.observatoire import Entrepot

DemoT = tuple[Path, Path]


def _point_dans(
    donnees: Path, code: str, fichier: str = "qpv2024_demo_wgs84.geojson"
) -> tuple[float, float]:
    """A point inside a QPV, read from the generated GeoJSON (independent of the engine)."""
    geo = json.loads((donnees / "qpv" / fichier).read_text(encoding="utf-8"))
    for f in geo["features"]:
        if code in json.dumps(f["properties"]):
            p = shapely.geometry.shape(f["geometry"]).representative_point()
            return p.x, p.y
    raise AssertionError(code)


def _erreur(r, statut: int, champ: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == statut, r.text
    corps = r.json()
    assert set(corps) >= {"erreur", "champ", "correctif", "statut"}
    assert corps["statut"] == statut and corps["erreur"]
    assert "Traceback" not in r.text
    if champ is not None:
        assert corps["champ"] == champ, corps
    return corps


# ---------------------------------------------------------------- health, docs, errors
def test_sante_donne_la_date_du_stock_et_les_millesimes(client: TestClient, demo: DemoT) -> None:
    r = client.get("/api/v1/sante")
    assert r.status_code == 200
    corps = r.json()
    stocks = sorted(p.name for p in (demo[0] / "sirene").iterdir() if p.is_dir())
    assert corps["date_stock"] == stocks[-1]
    assert corps["dates_stock"] == stocks
    assert corps["millesimes_qpv"] == ["2015", "2024"]
    assert corps["donnees_demo"] is True
    assert corps["dates_reconstituees"] == []  # the demo builds both dates from their stocks


def test_openapi_et_page_de_documentation(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    for chemin in (
        "/api/v1/sante",
        "/api/v1/qpv/localiser",
        "/api/v1/territoires",
        "/api/v1/territoires/{type}/{code}/indicateurs",
        "/api/v1/territoires/{type}/{code}/evolution",
        "/api/v1/etablissements",
        "/api/v1/referentiel/{collection}",
        "/api/v1/referentiel/{collection}/{ident}",
        "/api/v1/diagnostics/{nom}",
    ):
        assert chemin in schema["paths"], chemin
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/etablissements" in page.text


def test_adresse_inconnue_en_json_francais(client: TestClient) -> None:
    corps = _erreur(client.get("/api/v1/nexiste-pas"), 404)
    assert "introuvable" in corps["erreur"].lower()


def test_entetes_de_securite_sur_api_et_pages(client: TestClient) -> None:
    for url in ("/api/v1/sante", "/", "/api/v1/nexiste-pas"):
        r = client.get(url)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_cors_seulement_pour_les_origines_configurees(client: TestClient) -> None:
    ok = client.get("/api/v1/sante", headers={"Origin": "https://exemple.gouv.fr"})
    assert ok.headers.get("access-control-allow-origin") == "https://exemple.gouv.fr"
    refuse = client.get("/api/v1/sante", headers={"Origin": "https://malveillant.example"})
    assert "access-control-allow-origin" not in refuse.headers


def test_corps_trop_volumineux_refuse(client: TestClient) -> None:
    r = client.post(
        "/api/v1/qpv/localiser",
        content=b"x" * (5 * 1024 * 1024 + 10),
        headers={"Content-Type": "application/json"},
    )
    _erreur(r, 413)


def test_erreur_interne_sans_trace(demo: DemoT) -> None:
    from essq.api.application import creer_api
    from essq.api.service import Service

    class Panne(Service):
        def entrepot(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("detail-interne-secret /chemin/prive")

    app = creer_api(demo[1], service=Panne(demo[1]))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/sante")
    corps = _erreur(r, 500)
    assert "secret" not in r.text and "/chemin/prive" not in r.text
    assert "interne" in corps["erreur"]


def test_entrepot_absent_donne_503_avec_la_commande(tmp_path: Path) -> None:
    from essq.api.application import creer_api

    with TestClient(creer_api(tmp_path / "vide"), raise_server_exceptions=False) as c:
        corps = _erreur(c.get("/api/v1/sante"), 503)
    assert "essq construire" in (corps["correctif"] or "")


# ---------------------------------------------------------------- localisation
def test_localiser_un_point_dans_un_qpv(client: TestClient, demo: DemoT) -> None:
    lon, lat = _point_dans(demo[0], "QN00001M")
    corps = client.get("/api/v1/qpv/localiser", params={"lon": lon, "lat": lat}).json()
    assert corps["code_qp"] == "QN00001M"
    assert corps["distance_m"] == 0
    assert corps["millesimes"]["2015"]["code_qp"] == "QP000001"
    assert corps["commune"]["code"] == "00001"


def test_localiser_un_seul_millesime_et_rayon(client: TestClient, demo: DemoT) -> None:
    lon, lat = _point_dans(demo[0], "QN00002M")
    corps = client.get(
        "/api/v1/qpv/localiser", params={"lon": lon, "lat": lat, "millesime": "2024", "rayon_m": 50}
    ).json()
    assert list(corps["millesimes"]) == ["2024"]
    assert any(q["code_qp"] == "QN00002M" for q in corps["millesimes"]["2024"]["qpv_dans_rayon"])


@pytest.mark.parametrize(
    ("params", "champ"),
    [
        ({"lon": 200, "lat": 45}, "lon"),
        ({"lon": 2, "lat": -95}, "lat"),
        ({"lon": "abc", "lat": 45}, "lon"),
        ({"lon": 2}, "lat"),
        ({"lon": 2, "lat": 45, "millesime": "1999"}, "millesime"),
        ({"lon": 2, "lat": 45, "rayon_m": -1}, "rayon_m"),
    ],
)
def test_localiser_parametres_invalides(client: TestClient, params: dict, champ: str) -> None:
    _erreur(client.get("/api/v1/qpv/localiser", params=params), 400, champ)


def test_localiser_un_lot_json(client: TestClient, demo: DemoT) -> None:
    lon, lat = _point_dans(demo[0], "QN00003I")
    points = [
        {"id": "dedans", "lon": lon, "lat": lat},
        {"id": 2, "lon": lon + 0.5, "lat": lat},
        {"id": "vide", "lon": None, "lat": None},
    ]
    r = client.post("/api/v1/qpv/localiser", json={"points": points, "millesime": "2024"})
    assert r.status_code == 200, r.text
    res = r.json()["resultats"]
    assert [x["id"] for x in res] == ["dedans", 2, "vide"]
    assert res[0]["2024"]["code_qp"] == "QN00003I" and res[0]["2024"]["distance_m"] == 0
    assert res[1]["2024"]["code_qp"] is None and res[1]["2024"]["distance_m"] > 10_000
    assert res[2]["statut_coordonnees"] == "absentes"


def test_localiser_lot_trop_grand_ou_mal_forme(client: TestClient) -> None:
    trop = {"points": [{"lon": 2.0, "lat": 45.0}] * 10_001}
    _erreur(client.post("/api/v1/qpv/localiser", json=trop), 413, "points")
    _erreur(
        client.post(
            "/api/v1/qpv/localiser",
            content=b"{pas du json",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )
    _erreur(
        client.post("/api/v1/qpv/localiser", json={"points": [{"lon": "x", "lat": 1}]}),
        400,
        "points.0.lon",
    )
    _erreur(client.post("/api/v1/qpv/localiser", json={"points": [], "inconnu": 1}), 400, "inconnu")


def test_localiser_un_csv_repond_en_csv(client: TestClient, demo: DemoT) -> None:
    lon, lat = _point_dans(demo[0], "QN00004M")
    texte = f"nom;longitude;latitude\nPlateau;{str(lon).replace('.', ',')};{str(lat).replace('.', ',')}\nLoin;3,0;47,0\n"
    r = client.post(
        "/api/v1/qpv/localiser?millesime=2024",
        content=texte.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    lignes = list(csv.DictReader(io.StringIO(r.text), delimiter=";"))
    assert [li["nom"] for li in lignes] == ["Plateau", "Loin"]
    assert lignes[0]["qpv_2024"] == "QN00004M" and lignes[0]["statut_coordonnees"] == "ok"
    assert lignes[1]["qpv_2024"] == "" and float(lignes[1]["distance_qpv_2024_m"]) > 0


def test_localiser_csv_mal_forme(client: TestClient) -> None:
    en_tete = {"Content-Type": "text/csv"}
    _erreur(
        client.post("/api/v1/qpv/localiser", content=b"a,b\n1,2\n", headers=en_tete), 400, "entete"
    )
    corps = _erreur(
        client.post("/api/v1/qpv/localiser", content=b"lon,lat\n2.1,abc\n", headers=en_tete),
        400,
        "lat",
    )
    assert "abc" in corps["erreur"]
    _erreur(
        client.post("/api/v1/qpv/localiser", content=b"lon,lat\n2.1,45,9\n", headers=en_tete),
        400,
        "corps",
    )
    _erreur(client.post("/api/v1/qpv/localiser", content=b"", headers=en_tete), 400, "corps")
    _erreur(
        client.post("/api/v1/qpv/localiser", content="lon,lat\n".encode("utf-16"), headers=en_tete),
        400,
    )
    gros = "lon,lat\n" + "2.0,45.0\n" * 10_001
    _erreur(client.post("/api/v1/qpv/localiser", content=gros.encode(), headers=en_tete), 413)


# ---------------------------------------------------------------- territories
def test_chercher_un_territoire(client: TestClient) -> None:
    res = client.get("/api/v1/territoires", params={"q": "fictiville"}).json()["resultats"]
    assert res[0]["type"] == "commune" and res[0]["code"] == "00001"
    qpv = client.get("/api/v1/territoires", params={"q": "tilleuls", "type": "qpv"}).json()[
        "resultats"
    ]
    assert qpv and {r["type"] for r in qpv} == {"qpv"}
    _erreur(client.get("/api/v1/territoires", params={"q": ""}), 400, "q")
    _erreur(client.get("/api/v1/territoires", params={"q": "a", "type": "pays"}), 400, "type.0")
    _erreur(client.get("/api/v1/territoires", params={"q": "a", "limite": 0}), 400, "limite")


def test_fiche_territoire(client: TestClient) -> None:
    commune = client.get("/api/v1/territoires/commune/00001").json()
    assert commune["libelle"] == "Fictiville" and commune["epci"] == "200000001"
    assert "acv" in {z["zonage"] for z in commune["zonages"]}
    qpv = client.get("/api/v1/territoires/qpv/QN00001M").json()
    assert qpv["communes"] == ["00001"] and qpv["millesime"] == "2024"
    _erreur(client.get("/api/v1/territoires/commune/99999"), 404, "code")
    _erreur(client.get("/api/v1/territoires/pays/00001"), 400, "type")
    _erreur(client.get("/api/v1/territoires/commune/00%3B001"), 400, "code")


def test_indicateurs_identiques_a_l_entrepot(client: TestClient, demo: DemoT) -> None:
    with Entrepot.ouvrir(demo[1]) as e:
        attendu = e.indicateurs("qpv:QN00001M")
        epci = e.indicateurs("epci:200000001", millesime="2015")
    r = client.get("/api/v1/territoires/qpv/QN00001M/indicateurs").json()
    assert r["ensemble"] == json.loads(json.dumps(attendu["ensemble"]))
    assert set(r["comparaisons"]) == {"epci", "region", "france"}
    assert r["sources"][0]["producteur"] == "INSEE" and r["date_stock"] == attendu["date_stock"]
    r15 = client.get(
        "/api/v1/territoires/epci/200000001/indicateurs", params={"millesime": "2015"}
    ).json()
    assert r15["en_qpv"]["etablissements_ess"] == epci["en_qpv"]["etablissements_ess"]


def test_service_repond_comme_l_entrepot_pour_chaque_territoire(demo: DemoT) -> None:
    """The serving view (territories and indicator rows in memory) answers exactly as the
    warehouse's own queries, for every territory, stock date and millésime, and still refuses
    unknown territories with the warehouse's message."""
    from essq.api.service import Service

    service = Service(demo[1])
    servi = service.entrepot()
    with Entrepot.ouvrir(demo[1]) as e:
        for t in e.territoires():
            nom = "france" if t["niveau"] == "france" else f"{t['niveau']}:{t['code']}"
            assert servi.territoire(nom) == e.territoire(nom)
            for date in e.dates_stock():
                for m in e.millesimes():
                    assert servi.indicateurs(nom, date_stock=date, millesime=m) == e.indicateurs(
                        nom, date_stock=date, millesime=m
                    )
            assert servi.evolution(nom) == e.evolution(nom)
        with pytest.raises(ErreurUtilisateur, match="inconnu"):
            servi.territoire("commune:99999")
    service.fermer()


def test_indicateurs_telechargeables(client: TestClient) -> None:
    r = client.get("/api/v1/territoires/commune/00001/indicateurs", params={"format": "csv"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    lignes = list(csv.DictReader(io.StringIO(r.text)))
    assert lignes and "INSEE" in r.text
    x = client.get("/api/v1/territoires/commune/00001/indicateurs", params={"format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_indicateurs_parametres_invalides(client: TestClient) -> None:
    base = "/api/v1/territoires/qpv/QN00001M/indicateurs"
    corps = _erreur(client.get(base, params={"date_stock": "2020-01-01"}), 400)
    assert "2026" in (corps["correctif"] or "")
    _erreur(
        client.get("/api/v1/territoires/commune/00001/indicateurs", params={"millesime": "2030"}),
        400,
    )
    _erreur(client.get(base, params={"format": "pdf"}), 400, "format")
    _erreur(client.get("/api/v1/territoires/qpv/QN99999X/indicateurs"), 404)


def test_evolution_entre_deux_stocks(client: TestClient, demo: DemoT) -> None:
    with Entrepot.ouvrir(demo[1]) as e:
        attendu = e.evolution("epci:200000001")
    r = client.get("/api/v1/territoires/epci/200000001/evolution").json()
    assert r["mouvements_etablissements_ess"] == attendu["mouvements_etablissements_ess"]
    assert r["date_debut"] < r["date_fin"]
    _erreur(
        client.get("/api/v1/territoires/epci/200000001/evolution", params={"depuis": "2001-01-01"}),
        400,
    )


def test_carte_geojson(client: TestClient, demo: DemoT) -> None:
    g = client.get("/api/v1/territoires/qpv/QN00001M/carte").json()
    assert g["type"] == "FeatureCollection"
    contours = [f for f in g["features"] if f["properties"]["type"] == "qpv"]
    points = [f for f in g["features"] if f["properties"]["type"] == "etablissement"]
    assert [c["properties"]["code_qp"] for c in contours] == ["QN00001M"]
    forme = shapely.geometry.shape(contours[0]["geometry"])
    assert points and all(
        forme.buffer(1e-5).contains(shapely.Point(p["geometry"]["coordinates"])) for p in points
    )
    assert g["etablissements_localises"] == len(points)


def test_portrait_absent_ou_pdf(client: TestClient) -> None:
    from essq.api.routes import portrait_disponible

    r = client.get("/api/v1/territoires/qpv/QN00001M/portrait")
    if portrait_disponible() is None:
        _erreur(r, 404)
    else:
        assert r.status_code == 200 and r.content[:4] == b"%PDF"


# ---------------------------------------------------------------- directory
def _toutes_les_pages(client: TestClient, **params: object) -> tuple[list[dict], dict]:
    lignes: list[dict] = []
    curseur = None
    premiere: dict = {}
    while True:
        p = dict(params, limite=23)
        if curseur:
            p["curseur"] = curseur
        r = client.get("/api/v1/etablissements", params=p)
        assert r.status_code == 200, r.text
        corps = r.json()
        premiere = premiere or corps
        lignes += corps["resultats"]
        curseur = corps["suivant"]
        if not curseur:
            return lignes, premiere


@pytest.mark.parametrize("tri", ["nom", "siret", "effectif", "creation", "distance_qpv"])
def test_pagination_par_curseur_complete_et_sans_doublon(
    client: TestClient, demo: DemoT, tri: str
) -> None:
    lignes, premiere = _toutes_les_pages(client, territoire="epci:200000001", tri=tri)
    sirets = [x["siret"] for x in lignes]
    assert len(sirets) == len(set(sirets)) == premiere["total"]
    with Entrepot.ouvrir(demo[1]) as e:
        assert (
            premiere["total"] == e.indicateurs("epci:200000001")["ensemble"]["etablissements_ess"]
        )
    if tri == "effectif":
        eff = [x["effectif_central"] if x["effectif_central"] is not None else -1 for x in lignes]
        assert eff == sorted(eff, reverse=True)


def test_filtres_et_facettes(client: TestClient) -> None:
    tout = client.get(
        "/api/v1/etablissements", params={"territoire": "epci:200000001", "limite": 1}
    ).json()
    assert sum(tout["facettes"]["famille"].values()) == tout["total"]
    assert sum(tout["facettes"]["perimetre"].values()) == tout["total"]
    assert sum(tout["facettes"]["taille"].values()) == tout["total"]
    coop, _ = _toutes_les_pages(client, territoire="epci:200000001", famille="cooperative")
    assert len(coop) == tout["facettes"]["famille"]["cooperative"]
    assert {x["famille_ess"] for x in coop} == {"cooperative"}
    en_qpv, _ = _toutes_les_pages(client, territoire="epci:200000001", perimetre="en_qpv")
    assert len(en_qpv) == tout["facettes"]["perimetre"]["en_qpv"] and all(x["qpv"] for x in en_qpv)
    proches, _ = _toutes_les_pages(client, territoire="epci:200000001", proche_qpv_m=300)
    assert proches and all(x["distance_qpv_m"] <= 300 for x in proches)
    qpv, _ = _toutes_les_pages(client, territoire="qpv:QN00002M")
    assert qpv and {x["qpv"] for x in qpv} == {"QN00002M"}


def test_recherche_textuelle_dans_l_annuaire(client: TestClient) -> None:
    premier = client.get("/api/v1/etablissements", params={"limite": 1, "tri": "nom"}).json()[
        "resultats"
    ][0]
    mot = (premier["denomination"] or premier["enseigne"]).split()[0]
    res = client.get("/api/v1/etablissements", params={"q": mot.lower(), "limite": 500}).json()
    assert premier["siret"] in {x["siret"] for x in res["resultats"]}
    par_siret = client.get("/api/v1/etablissements", params={"q": premier["siret"]}).json()
    assert [x["siret"] for x in par_siret["resultats"]] == [premier["siret"]]


def test_recherche_par_nom_sans_accents_ni_majuscules(client: TestClient, demo: DemoT) -> None:
    """INSEE writes names in capitals without accents (« COLLECTIF DE LA VALLEE »): a user
    typing « Vallée » or « vallee » finds them, on the names the build stores without case nor
    accents (``nom_recherche``); % and _ are taken literally."""
    con = duckdb.connect(str(demo[1] / "entrepot" / "essq.duckdb"), read_only=True)
    nom = con.execute(
        "SELECT denomination FROM etablissements_ess WHERE etat = 'A' "
        "AND regexp_matches(denomination, '[A-Z]*E[A-Z]*E') ORDER BY siret LIMIT 1"
    ).fetchone()
    manquants = con.execute(
        "SELECT count(*) FROM etablissements_ess WHERE nom_recherche IS NULL "
        "AND coalesce(denomination, enseigne) IS NOT NULL"
    ).fetchone()
    con.close()
    assert manquants == (0,)
    assert nom is not None
    mot = next(m for m in nom[0].split() if m.count("E") >= 2)
    accentue = mot.capitalize().replace("e", "é", 1)
    for forme in (accentue, accentue.upper(), mot.lower()):
        res = client.get("/api/v1/etablissements", params={"q": forme, "limite": 500}).json()
        assert any(nom[0] == x["denomination"] for x in res["resultats"]), forme
    assert client.get("/api/v1/etablissements", params={"q": "%"}).json()["total"] == 0


def test_telechargement_au_nom_non_latin(client: TestClient) -> None:
    """A download whose name holds any character gets valid headers (RFC 6266), not a 500."""
    # "france" takes no code: any code answers, and it goes into the file name
    for route, format_ in (("portrait", "html"), ("indicateurs", "csv")):
        r = client.get(f"/api/v1/territoires/france/㒦/{route}", params={"format": format_})
        assert r.status_code == 200
        assert r.headers["content-disposition"] == (
            f'attachment; filename="{route}_france__.{format_}"; '
            f"filename*=UTF-8''{route}_france_%E3%92%A6.{format_}"
        )
    from essq.api.routes import entetes_piece_jointe

    entete = entetes_piece_jointe("portrait_france_㒦.pdf")["Content-Disposition"]
    entete.encode("latin-1")  # what HTTP headers must be
    assert 'filename="portrait_france__.pdf"' in entete
    assert "filename*=UTF-8''portrait_france_%E3%92%A6.pdf" in entete


def test_etablissements_non_diffusibles_jamais_exposes(client: TestClient, demo: DemoT) -> None:
    donnees = demo[0]
    date = client.get("/api/v1/sante").json()["date_stock"]
    con = duckdb.connect()
    masques = {
        r[0]
        for r in con.execute(
            f"SELECT siret FROM read_csv('{donnees / 'verite' / f'placement_{date}.csv'}', all_varchar=true) "
            "WHERE statut_diffusion = 'P'"
        ).fetchall()
    }
    con.close()
    lignes, _ = _toutes_les_pages(client)
    vus = [x for x in lignes if x["siret"] in masques]
    assert vus, "the demo has non-diffusible ESS establishments"
    for x in vus:
        assert x["denomination"] is None and x["enseigne"] is None
        assert x["lon"] is None and x["lat"] is None
    export = client.get("/api/v1/etablissements", params={"format": "csv"})
    for ligne in csv.DictReader(io.StringIO(export.text)):
        if ligne["siret"] in masques:
            assert ligne["denomination"] == ligne["enseigne"] == ligne["lon"] == ""
    # nor can a masked name be found by searching: the searchable name is empty too
    con = duckdb.connect(str(demo[1] / "entrepot" / "essq.duckdb"), read_only=True)
    cherchables = con.execute(
        "SELECT count(*) FROM etablissements_ess WHERE nom_recherche IS NOT NULL AND siret IN "
        f"({', '.join(repr(s) for s in sorted(masques))})"
    ).fetchone()
    con.close()
    assert cherchables == (0,)


def test_export_csv_de_l_annuaire(client: TestClient) -> None:
    r = client.get(
        "/api/v1/etablissements", params={"territoire": "commune:00003", "format": "csv"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lignes = list(csv.DictReader(io.StringIO(r.text)))
    total = client.get("/api/v1/etablissements", params={"territoire": "commune:00003"}).json()[
        "total"
    ]
    assert len(lignes) == total
    assert all("INSEE" in li["attribution"] for li in lignes)


@pytest.mark.parametrize(
    ("params", "statut", "champ"),
    [
        ({"limite": 501}, 400, "limite"),
        ({"limite": 0}, 400, "limite"),
        ({"tri": "hasard"}, 400, "tri"),
        ({"perimetre": "partout"}, 400, "perimetre"),
        ({"taille": "geante"}, 400, "taille"),
        ({"curseur": "pas-un-curseur"}, 400, "curseur"),
        ({"territoire": "pays:FR"}, 400, "TERRITOIRE"),
        ({"territoire": "qpv:QN99999X"}, 404, "territoire"),
        ({"proche_qpv_m": -5}, 400, "proche_qpv_m"),
        ({"employeur": "peut-etre"}, 400, "employeur"),
        ({"millesime": "1990"}, 400, "millesime"),
    ],
)
def test_annuaire_parametres_invalides(
    client: TestClient, params: dict, statut: int, champ: str
) -> None:
    _erreur(client.get("/api/v1/etablissements", params=params), statut, champ)


def test_curseur_d_une_autre_recherche_refuse(client: TestClient) -> None:
    suivant = client.get("/api/v1/etablissements", params={"limite": 5, "tri": "nom"}).json()[
        "suivant"
    ]
    _erreur(
        client.get(
            "/api/v1/etablissements", params={"limite": 5, "tri": "siret", "curseur": suivant}
        ),
        400,
        "curseur",
    )


# ---------------------------------------------------------------- référentiel
def test_referentiel_collections_recherche_et_entree(client: TestClient) -> None:
    from essq.referentiel import charger

    ref = charger()
    stats = client.get("/api/v1/referentiel").json()["collections"]
    assert stats == ref.stats()
    res = client.get(
        "/api/v1/referentiel/dispositifs", params={"filtre": "eligibilite.qpv:true", "limite": 200}
    ).json()
    attendu = ref.chercher("", "dispositifs", {"eligibilite.qpv": "true"}, limite=200)
    assert res["total"] == attendu.total and [x["id"] for x in res["resultats"]] == attendu.ids()
    premier = res["resultats"][0]["id"]
    fiche = client.get(f"/api/v1/referentiel/dispositifs/{premier}").json()
    assert fiche["entree"]["id"] == premier and fiche["entree"]["eligibilite"]["qpv"] is True
    levier = next(e for e in ref.collection("leviers") if e.initiatives)
    liens = client.get(f"/api/v1/referentiel/leviers/{levier.id}").json()["liens"]
    assert {li["id"] for li in liens if li["champ"] == "initiatives"} == set(levier.initiatives)


def test_referentiel_erreurs(client: TestClient) -> None:
    _erreur(client.get("/api/v1/referentiel/licornes"), 404, "collection")
    _erreur(client.get("/api/v1/referentiel/leviers/lev-inexistant"), 404, "ident")
    _erreur(
        client.get("/api/v1/referentiel/leviers", params={"filtre": "sansdeuxpoints"}),
        400,
        "filtre",
    )
    _erreur(client.get("/api/v1/referentiel/leviers", params={"limite": 1000}), 400, "limite")


# ---------------------------------------------------------------- diagnostics
def test_diagnostics(client: TestClient) -> None:
    from essq.api import diagnostics_acces

    if not diagnostics_acces.disponibles():
        _erreur(client.get("/api/v1/diagnostics"), 404)
        pytest.skip("le paquet diagnostics n'expose pas encore lister/schema/executer")
    liste = client.get("/api/v1/diagnostics").json()["diagnostics"]
    assert liste
    for d in liste:
        schema = client.get(f"/api/v1/diagnostics/{d['nom']}/schema")
        assert schema.status_code == 200 and schema.json().get("properties")
        r = client.post(f"/api/v1/diagnostics/{d['nom']}", json={})
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            assert "raisons" in r.json()
        else:
            _erreur(r, 400)
    _erreur(client.post("/api/v1/diagnostics/inexistant", json={}), 404, "nom")
    _erreur(client.post(f"/api/v1/diagnostics/{liste[0]['nom']}", content=b"[1, 2]"), 400, "corps")
    _erreur(client.post(f"/api/v1/diagnostics/{liste[0]['nom']}", content=b"{oups"), 400, "corps")


@pytest.mark.parametrize(
    "chemin",
    [
        "/api/v1/etablissements?territoire=commune:a%00",
        "/api/v1/etablissements?territoire=commune:a%00&format=csv",
        "/api/v1/territoires/commune/a%00/indicateurs",
        "/annuaire?territoire=commune:a%00",
    ],
)
def test_caractere_nul_refuse_en_4xx(client: TestClient, chemin: str) -> None:
    r = client.get(chemin)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[-500:])
