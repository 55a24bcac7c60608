"""Directory totals and facets under crossed filters, checked against direct warehouse counts,
and the physical layout of ``etablissements_ess`` the directory relies on for speed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from essq.observatoire import Entrepot

DemoT = tuple[Path, Path]
EPCI = "200000001"

TAILLES_SQL = {
    "non_employeur": "coalesce(effectif_central, 0) <= 0.5",
    "1_9": "coalesce(effectif_central, 0) > 0.5 AND coalesce(effectif_central, 0) <= 9.5",
    "10_49": "coalesce(effectif_central, 0) > 9.5 AND coalesce(effectif_central, 0) <= 49.5",
    "50_249": "coalesce(effectif_central, 0) > 49.5 AND coalesce(effectif_central, 0) <= 249.5",
    "250_plus": "coalesce(effectif_central, 0) > 249.5",
}


def _chercher(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/etablissements", params={"territoire": f"epci:{EPCI}", **params})
    assert r.status_code == 200, r.text
    return r.json()


def _compter(demo: DemoT, date: str, **filtres: Any) -> int:
    """Active ESS establishments of the EPCI matching the filters, counted in plain SQL."""
    conds = ["date_stock = ?", "etat = 'A'", "epci = ?"]
    params: list[Any] = [date, EPCI]
    if filtres.get("famille"):
        conds.append(f"famille_ess IN ({', '.join('?' * len(filtres['famille']))})")
        params += filtres["famille"]
    if filtres.get("secteur"):
        conds.append(f"secteur_ess IN ({', '.join('?' * len(filtres['secteur']))})")
        params += filtres["secteur"]
    if filtres.get("taille"):
        conds.append("(" + " OR ".join(f"({TAILLES_SQL[t]})" for t in filtres["taille"]) + ")")
    if filtres.get("perimetre") == "en_qpv":
        conds.append("qpv_2024 IS NOT NULL")
    elif filtres.get("perimetre") == "hors_qpv":
        conds.append("qpv_2024 IS NULL")
    if filtres.get("employeur") is not None:
        conds.append("coalesce(employeur, false) = ?")
        params.append(filtres["employeur"])
    with Entrepot.ouvrir(demo[1]) as e:
        ligne = e.con.execute(
            f"SELECT count(*) FROM etablissements_ess WHERE {' AND '.join(conds)}", params
        ).fetchone()
    assert ligne is not None
    return int(ligne[0])


@pytest.fixture(scope="module")
def valeurs(client: TestClient) -> dict[str, list[str]]:
    """The two most frequent famille and secteur values and the size classes of the EPCI."""
    f = _chercher(client, limite=1)["facettes"]
    assert len(f["famille"]) >= 2 and len(f["secteur"]) >= 2 and len(f["taille"]) >= 2
    return {
        "famille": list(f["famille"])[:2],
        "secteur": list(f["secteur"])[:2],
        "taille": list(f["taille"])[:2],
    }


@pytest.mark.parametrize(
    "combinaison",
    [
        {"famille": 1},
        {"famille": 2, "perimetre": "hors_qpv"},
        {"secteur": 1, "taille": 2},
        {"famille": 1, "secteur": 2, "perimetre": "en_qpv"},
        {"famille": 2, "taille": 1, "employeur": True},
        {"secteur": 1, "perimetre": "hors_qpv", "employeur": False},
    ],
)
def test_total_et_facettes_croisees_egales_aux_comptes_directs(
    client: TestClient,
    demo: DemoT,
    valeurs: dict[str, list[str]],
    combinaison: dict[str, Any],
) -> None:
    filtres: dict[str, Any] = {}
    for cle, v in combinaison.items():
        filtres[cle] = valeurs[cle][:v] if cle in valeurs else v
    corps = _chercher(client, limite=5, **filtres)
    date = corps["date_stock"]
    assert corps["total"] == _compter(demo, date, **filtres)
    # Each facet counts under every other filter, its own filter replaced by the value.
    for nom in ("famille", "secteur", "taille"):
        facette = corps["facettes"][nom]
        autres = {k: v for k, v in filtres.items() if k != nom}
        attendu = {}
        for v in valeurs[nom] if nom != "taille" else list(TAILLES_SQL):
            n = _compter(demo, date, **autres, **{nom: [v]})
            if n:
                attendu[v] = n
        for v, n in attendu.items():
            assert facette.get(v) == n, (nom, v, facette)
        if nom == "taille":
            assert facette == attendu
            assert list(facette) == [t for t in TAILLES_SQL if t in facette]
        else:
            comptes = list(facette.items())
            assert comptes == sorted(comptes, key=lambda kv: (-kv[1], kv[0]))
    autres = {k: v for k, v in filtres.items() if k != "perimetre"}
    assert corps["facettes"]["perimetre"] == {
        "en_qpv": _compter(demo, date, **autres, perimetre="en_qpv"),
        "hors_qpv": _compter(demo, date, **autres, perimetre="hors_qpv"),
    }


def test_basculer_une_facette_ne_fige_pas_les_comptes(
    client: TestClient, valeurs: dict[str, list[str]]
) -> None:
    """Searches sharing their non-facet filters share cached counts: each still gets its own total."""
    tout = _chercher(client, limite=1)
    for f in valeurs["famille"]:
        une = _chercher(client, limite=1, famille=[f])
        assert une["total"] == tout["facettes"]["famille"][f]
        assert une["facettes"]["famille"] == tout["facettes"]["famille"]
    en_qpv = _chercher(client, limite=1, perimetre="en_qpv")
    assert en_qpv["total"] == tout["facettes"]["perimetre"]["en_qpv"]
    assert _chercher(client, limite=1)["total"] == tout["total"]


def test_etablissements_ess_ecrits_tries_par_territoire(demo: DemoT) -> None:
    """Each stock date is stored sorted by (etat, departement, epci, commune, siret): the
    directory relies on it so that DuckDB skips the row groups of other territories."""
    cles = "etat, departement, epci, commune, siret"
    with Entrepot.ouvrir(demo[1]) as e:
        dates = [
            r[0]
            for r in e.con.execute("SELECT DISTINCT date_stock FROM etablissements_ess").fetchall()
        ]
        assert len(dates) >= 1
        for d in dates:
            physique = e.con.execute(
                f"SELECT {cles} FROM etablissements_ess WHERE date_stock = ? ORDER BY rowid", [d]
            ).fetchall()
            trie = e.con.execute(
                f"SELECT {cles} FROM etablissements_ess WHERE date_stock = ? ORDER BY {cles}", [d]
            ).fetchall()
            assert len(physique) > 100
            assert physique == trie, d


def test_recherche_vide_et_curseur_toujours_verifie(client: TestClient) -> None:
    vide = _chercher(client, q="zzqxwv introuvable")
    assert vide["total"] == 0 and vide["resultats"] == [] and vide["suivant"] is None
    assert vide["facettes"]["perimetre"] == {"en_qpv": 0, "hors_qpv": 0}
    assert vide["facettes"]["famille"] == {} and vide["facettes"]["taille"] == {}
    r = client.get(
        "/api/v1/etablissements",
        params={
            "territoire": f"epci:{EPCI}",
            "q": "zzqxwv introuvable",
            "curseur": "pas-un-curseur",
        },
    )
    assert r.status_code == 400, r.text
    assert r.json()["champ"] == "curseur"
    autre = _chercher(client, limite=1, tri="siret")["suivant"]
    assert autre
    r = client.get(
        "/api/v1/etablissements",
        params={"territoire": f"epci:{EPCI}", "q": "zzqxwv", "tri": "nom", "curseur": autre},
    )
    assert r.status_code == 400 and r.json()["champ"] == "curseur", r.text
