"""The fictional demo territory: codes that cannot be real, valid QPV, ANCT/COG formats,
the label everywhere, plausible shares, two stock dates with evolutions."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import shapely
from shapely.geometry import shape

from essq.fichiers import sha256
from essq.generateur import generer_demo
from essq.generateur.demo import LIBELLE, SIREN_EPCI
from essq.generateur.modele import luhn_valide
from essq.generateur.placement import reprojeter

PROPRIETES_QPV_2024 = [
    "code_qp",
    "lib_qp",
    "insee_reg",
    "lib_reg",
    "insee_dep",
    "lib_dep",
    "insee_com",
    "lib_com",
    "siren_epci",
    "lib_epci",
]


def _csv(chemin: Path) -> list[dict[str, str]]:
    with open(chemin, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _geojson(chemin: Path) -> dict:
    return json.loads(chemin.read_text(encoding="utf-8"))


def test_disposition_documentee(demo) -> None:
    attendus = [
        "LISEZMOI.txt",
        "manifeste.json",
        "qpv/qpv2024_demo_wgs84.geojson",
        "qpv/qpv2024_demo_lambert93.geojson",
        "qpv/qpv2015_demo_wgs84.geojson",
        "cog/communes.json",
        "cog/epci.json",
        "cog/departements.json",
        "cog/regions.json",
        "cog/arrondissements.json",
        "cog/communes_contours_wgs84.geojson",
        "zonages/zrr_communes_demo.csv",
        "zonages/acv_communes_demo.csv",
        "zonages/pvd_communes_demo.csv",
        "sirene/2026-09-30/StockEtablissement_utf8.csv",
        "sirene/2026-09-30/StockUniteLegale_utf8.parquet",
        "sirene/2026-10-31/StockEtablissement_utf8.parquet",
        "sirene/2026-10-31/StockUniteLegale_utf8.csv",
        "sirene/mouvements_2026-09-30_2026-10-31.csv",
        "verite/placement_2026-09-30.csv",
        "verite/placement_2026-10-31.csv",
    ]
    for chemin in attendus:
        assert (demo.sortie / chemin).is_file(), chemin
    doc = (Path(__file__).resolve().parents[2] / "docs" / "donnees-demo.md").read_text(
        encoding="utf-8"
    )
    for chemin in attendus:
        assert chemin.split("/")[-1] in doc, f"{chemin} absent de docs/donnees-demo.md"


def test_manifeste_sommes_de_controle(demo) -> None:
    m = json.loads((demo.sortie / "manifeste.json").read_text(encoding="utf-8"))
    assert m["libelle"] == LIBELLE and m["graine"] == 2026
    assert len(m["fichiers"]) == len(demo.fichiers) >= 20
    for f in m["fichiers"]:
        assert sha256(demo.sortie / f["chemin"]) == f["sha256"]


def test_libelle_partout(demo) -> None:
    assert LIBELLE in (demo.sortie / "LISEZMOI.txt").read_text(encoding="utf-8")
    for nom in ("qpv_2024", "qpv_2024_lambert93", "qpv_2015", "communes_contours"):
        assert LIBELLE in _geojson(demo.chemin(nom))["description"]
    assert LIBELLE in (demo.sortie / "zonages" / "zrr_communes_demo.csv").read_text(
        encoding="utf-8"
    )
    for f in _geojson(demo.qpv_2024)["features"]:
        assert "fictif" in f["properties"]["lib_dep"] and "fictive" in f["properties"]["lib_reg"]
        assert "fictives" in f["properties"]["lib_epci"]


def test_codes_sans_collision_avec_le_cog_reel(demo, donnees_partagees: Path) -> None:
    cog = donnees_partagees / "cog"
    communes_reelles = {r["code"] for r in _csv(cog / "communes_2026.csv")}
    epci_reels = {r["code"] for r in _csv(cog / "epci_2026.csv")}
    deps = {r["code"] for r in _csv(cog / "departements_2026.csv")}
    regions = {r["code"] for r in _csv(cog / "regions_2026.csv")}
    arr = {r["code"] for r in _csv(cog / "arrondissements_2026.csv")}
    communes = json.loads((demo.cog / "communes.json").read_text(encoding="utf-8"))
    assert {c["code"] for c in communes}.isdisjoint(communes_reelles)
    assert {c["siren"] for c in communes if "siren" in c}.isdisjoint(
        {r["siren"] for r in _csv(cog / "communes_2026.csv")}
    )
    assert not luhn_valide([c["siren"] for c in communes if "siren" in c]).any()
    epci = json.loads((demo.cog / "epci.json").read_text(encoding="utf-8"))
    assert {e["code"] for e in epci} == {SIREN_EPCI} and SIREN_EPCI not in epci_reels
    assert not luhn_valide([SIREN_EPCI]).any()  # cannot be any real SIREN
    assert {d["code"] for d in json.loads((demo.cog / "departements.json").read_text())}.isdisjoint(
        deps
    )
    assert {r["code"] for r in json.loads((demo.cog / "regions.json").read_text())}.isdisjoint(
        regions
    )
    assert {
        a["code"] for a in json.loads((demo.cog / "arrondissements.json").read_text())
    }.isdisjoint(arr)
    codes_qp = {f["properties"]["code_qp"] for f in _geojson(demo.qpv_2024)["features"]}
    reels = {r["code_qp"] for r in _csv(donnees_partagees / "qpv" / "qpv2024_list.csv")}
    assert codes_qp.isdisjoint(reels)
    postaux = {p for c in communes for p in c.get("codesPostaux", [])}
    assert postaux.isdisjoint(
        {p for r in _csv(cog / "communes_2026.csv") for p in r["codesPostaux"].split("|")}
    )


def test_format_decoupage_administratif(demo, donnees_partagees: Path) -> None:
    """Same keys as @etalab/decoupage-administratif (the shared CSV copy lists them)."""
    with open(donnees_partagees / "cog" / "communes_2026.csv", encoding="utf-8") as f:
        cles_reelles = set(next(csv.reader(f))) - {"epci", "ept"}  # added by the CSV conversion
    communes = json.loads((demo.cog / "communes.json").read_text(encoding="utf-8"))
    for c in communes:
        assert set(c) <= cles_reelles, set(c) - cles_reelles
        assert c["type"] in {"commune-actuelle", "commune-deleguee"}
    actuelles = [c for c in communes if c["type"] == "commune-actuelle"]
    assert 3 <= len(actuelles) <= 4
    assert any("anciensCodes" in c for c in actuelles)
    epci = json.loads((demo.cog / "epci.json").read_text(encoding="utf-8"))[0]
    assert set(epci) == {
        "code",
        "nom",
        "type",
        "modeFinancement",
        "populationTotale",
        "populationMunicipale",
        "membres",
    }
    assert {m["code"] for m in epci["membres"]} == {c["code"] for c in actuelles}


def test_qpv_valides_tailles_realistes_sans_chevauchement(demo) -> None:
    for chemin, cle in ((demo.qpv_2024, "code_qp"), (demo.qpv_2015, "CODE_QP")):
        entites = _geojson(chemin)["features"]
        assert 4 <= len(entites) <= 5
        geoms = []
        for f in entites:
            g = shape(f["geometry"])
            assert g.is_valid and g.geom_type == "MultiPolygon"
            surface_ha = reprojeter(g, 4326, 2154).area / 10_000
            assert 3 <= surface_ha <= 500, (f["properties"][cle], surface_ha)
            geoms.append(g)
        for i, a in enumerate(geoms):
            assert all(not a.intersects(b) for b in geoms[i + 1 :])
    f24 = _geojson(demo.qpv_2024)["features"]
    assert all(list(f["properties"]) == PROPRIETES_QPV_2024 for f in f24)
    assert all(
        f["properties"]["code_qp"].startswith("QN000") and len(f["properties"]["code_qp"]) == 8
        for f in f24
    )
    f15 = _geojson(demo.qpv_2015)["features"]
    assert all(list(f["properties"]) == ["CODE_QP", "NOM_QP", "COMMUNE_QP"] for f in f15)
    # Perimeters partly differ between vintages: identical, modified, new and removed quartiers.
    g24 = {f["properties"]["lib_qp"]: shape(f["geometry"]) for f in f24}
    g15 = {f["properties"]["NOM_QP"]: shape(f["geometry"]) for f in f15}
    communs = set(g24) & set(g15)
    assert set(g24) - set(g15) and set(g15) - set(g24)
    assert any(g24[n].equals(g15[n]) for n in communs)
    assert any(not g24[n].equals(g15[n]) for n in communs)
    lambert = {
        f["properties"]["code_qp"]: shape(f["geometry"])
        for f in _geojson(demo.chemin("qpv_2024_lambert93"))["features"]
    }
    for f in f24:
        ecart = (
            reprojeter(shape(f["geometry"]), 4326, 2154)
            .symmetric_difference(lambert[f["properties"]["code_qp"]])
            .area
        )
        assert ecart < 50  # m², rounding only


def test_zonages_formats_anct(demo) -> None:
    lignes = (
        (demo.sortie / "zonages" / "zrr_communes_demo.csv").read_text(encoding="utf-8").splitlines()
    )
    assert lignes[5] == '"CODGEO","LIBGEO","ZRR_SIMP","ZONAGE_ZRR"'
    zrr = list(csv.reader(lignes[6:]))
    assert [r[0] for r in zrr if r[2].startswith("C - ")] == ["00004"]
    acv = _csv(demo.sortie / "zonages" / "acv_communes_demo.csv")
    assert list(acv[0]) == ["insee_com", "lib_com", "id_acv", "lib_acv", "date_signature"]
    assert [r["insee_com"] for r in acv] == ["00001"]
    pvd = _csv(demo.sortie / "zonages" / "pvd_communes_demo.csv")
    assert list(pvd[0]) == ["insee_com", "lib_com", "id_pvd", "date_signature"]


def test_parts_de_familles_et_secteurs(demo) -> None:
    """Close to the ESS France / ANCT study: ~89 % associations among ESS employer
    establishments in QPV, action sociale the largest sector."""
    et = {r["siret"]: r for r in _csv(demo.stock("2026-09-30"))}
    verite = _csv(demo.sortie / "verite" / "placement_2026-09-30.csv")
    familles: Counter[str] = Counter()
    secteurs: Counter[str] = Counter()
    for v in verite:
        e = et[v["siret"]]
        if (
            v["qpv_2024"]
            and e["etatAdministratifEtablissement"] == "A"
            and e["caractereEmployeurEtablissement"] == "O"
            and v["famille"] in {"association", "cooperative", "mutuelle", "fondation"}
        ):
            familles[v["famille"]] += 1
            secteurs[v["secteur"]] += 1
    n = sum(familles.values())
    assert n >= 25
    assert 0.78 <= familles["association"] / n <= 0.97
    assert secteurs.most_common(1)[0][0] == "action_sociale"
    tous = Counter(v["qpv_2024"] != "" for v in verite)
    assert 0.15 <= tous[True] / len(verite) <= 0.45  # inside, near and far all present
    assert {v["qpv_2024"] for v in verite} >= {
        "QN00001M",
        "QN00002M",
        "QN00003I",
        "QN00004M",
        "QN00005N",
    }


def test_verite_coherente_avec_les_contours_wgs84(demo) -> None:
    from pyproj import Transformer

    contours = {
        f["properties"]["code_qp"]: shape(f["geometry"])
        for f in _geojson(demo.qpv_2024)["features"]
    }
    et = {r["siret"]: r for r in _csv(demo.stock("2026-10-31"))}
    tr = Transformer.from_crs(2154, 4326, always_xy=True)
    controles = 0
    for v in _csv(demo.sortie / "verite" / "placement_2026-10-31.csv"):
        e = et[v["siret"]]
        x = e["coordonneeLambertAbscisseEtablissement"]
        if x in ("", "[ND]"):
            continue
        p = shapely.Point(
            *tr.transform(float(x), float(e["coordonneeLambertOrdonneeEtablissement"]))
        )
        dedans = [c for c, g in contours.items() if g.contains(p)]
        if v["qpv_2024"]:
            assert dedans == [v["qpv_2024"]]
            assert e["codeCommuneEtablissement"] == {"QN00003I": "00002", "QN00004M": "00003"}.get(
                v["qpv_2024"], "00001"
            )
        elif float(v["distance_qpv_2024_m"]) > 1:
            assert not dedans
        controles += 1
    assert controles > 2500


def test_deux_dates_de_stock_et_mouvements(demo) -> None:
    a = {r["siret"]: r for r in _csv(demo.stock("2026-09-30"))}
    b = {r["siret"]: r for r in _csv(demo.stock("2026-10-31"))}
    ul_b = {r["siren"]: r for r in _csv(demo.stock("2026-10-31", "unites_legales"))}
    mouvements = _csv(demo.chemin("mouvements"))
    types = Counter(m["mouvement"] for m in mouvements)
    assert types["creation"] >= 20 and types["fermeture"] >= 20 and types["transfert"] >= 10
    for m in mouvements:
        if m["mouvement"] == "creation":
            assert m["siret_apres"] not in a and b[m["siret_apres"]][
                "dateCreationEtablissement"
            ].startswith("2026-10")
            assert m["siret_apres"][:9] in ul_b
        elif m["mouvement"] == "fermeture":
            assert a[m["siret_avant"]]["etatAdministratifEtablissement"] == "A"
            assert b[m["siret_avant"]]["etatAdministratifEtablissement"] == "F"
        else:
            avant, apres = b[m["siret_avant"]], b[m["siret_apres"]]
            assert (
                avant["etatAdministratifEtablissement"] == "F"
                and apres["etatAdministratifEtablissement"] == "A"
            )
            assert m["siret_apres"] not in a and avant["siren"] == apres["siren"]
            if a[m["siret_avant"]]["etablissementSiege"] == "true":
                assert ul_b[apres["siren"]]["nicSiegeUniteLegale"] == apres["nic"]
    assert set(a) <= set(b)
    assert luhn_valide(list(b)).all()
    sieges = {s for s, r in b.items() if r["etablissementSiege"] == "true"}
    assert {u["siren"] + u["nicSiegeUniteLegale"] for u in ul_b.values()} == sieges
    for u in ul_b.values():  # an active unit has an active head office; a ceased one none active
        siege = b[u["siren"] + u["nicSiegeUniteLegale"]]
        assert (siege["etatAdministratifEtablissement"] == "A") == (
            u["etatAdministratifUniteLegale"] == "A"
        )


def test_demo_deterministe(demo, tmp_path: Path) -> None:
    autre = generer_demo(tmp_path / "bis", graine=2026)
    assert autre.fichiers == demo.fichiers
    differente = generer_demo(tmp_path / "ter", graine=7)
    assert (
        differente.fichiers["sirene/2026-09-30/StockEtablissement_utf8.csv"]
        != demo.fichiers["sirene/2026-09-30/StockEtablissement_utf8.csv"]
    )


def test_loin_de_tout_qpv_reel(demo, donnees_partagees: Path) -> None:
    """Placed where no real QPV is within 30 km, so the demo cannot be mistaken for a real place."""
    reels = shapely.unary_union(
        [
            shape(f["geometry"])
            for f in _geojson(donnees_partagees / "qpv" / "qpv2024_metropole_wgs84_4dp.geojson")[
                "features"
            ]
        ]
    )
    demo_l93 = reprojeter(
        shapely.unary_union([shape(f["geometry"]) for f in _geojson(demo.qpv_2024)["features"]]),
        4326,
        2154,
    )
    assert reprojeter(reels, 4326, 2154).distance(demo_l93) > 30_000
