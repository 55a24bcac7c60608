"""The directory's in-memory serving index gives exactly the SQL path's answers: same total,
facets, rows, order and cursors, page after page, for any combination of filters and sorts;
and each path follows the other's cursors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import essq.api.annuaire as module_annuaire
from essq.api.annuaire import TAILLES, TRIS, Annuaire, Criteres, index_annuaire
from essq.erreurs import ErreurUtilisateur
from essq.observatoire import Entrepot

DemoT = tuple[Path, Path]


@pytest.fixture(scope="module")
def entrepot(demo: DemoT) -> Iterator[Entrepot]:
    with Entrepot.ouvrir(demo[1], lecture_seule=True) as e:
        yield e


@pytest.fixture(scope="module")
def valeurs(entrepot: Entrepot) -> dict[str, list[Any]]:
    def distinctes(colonne: str) -> list[str]:
        return [
            r[0]
            for r in entrepot.con.execute(
                f"SELECT DISTINCT {colonne} FROM etablissements_ess "
                f"WHERE {colonne} IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]

    territoires = [
        f"{t['niveau']}:{t['code']}" for t in entrepot.territoires() if t["niveau"] != "france"
    ]
    return {
        "territoire": [None, *territoires],
        "famille": distinctes("famille_ess"),
        "secteur": distinctes("secteur_ess"),
        "millesime": entrepot.millesimes(),
    }


def _chercher(
    entrepot: Entrepot, memoire: bool, c: Criteres, limite: int, curseur: str | None
) -> dict[str, Any]:
    module_annuaire._cache_cubes.clear()  # each path counts for itself
    return Annuaire(entrepot, memoire=memoire).chercher(c, limite=limite, curseur=curseur)


def _parcourir(entrepot: Entrepot, c: Criteres, limite: int, pages: int = 4) -> int:
    """Follow both paths page by page, asserting equal answers; return the rows seen."""
    curseur: str | None = None
    vus = 0
    for _ in range(pages):
        memoire = _chercher(entrepot, True, c, limite, curseur)
        sql = _chercher(entrepot, False, c, limite, curseur)
        assert memoire == sql, (c, curseur)
        vus += len(memoire["resultats"])
        curseur = memoire["suivant"]
        if curseur is None:
            break
    return vus


def test_index_charge_la_derniere_date_seulement(entrepot: Entrepot) -> None:
    dates = entrepot.dates_stock()
    assert len(dates) >= 2, "le territoire de démonstration a deux dates de stock"
    idx = index_annuaire(entrepot)
    assert idx is not None and idx.date == dates[-1]
    ligne = entrepot.con.execute(
        "SELECT count(*) FROM etablissements_ess WHERE date_stock = ? AND etat = 'A'", [dates[-1]]
    ).fetchone()
    assert ligne is not None and idx.n == ligne[0] > 0
    assert index_annuaire(entrepot, dates[0]) is None  # older stocks: SQL path


@pytest.mark.parametrize("tri", list(TRIS))
def test_chaque_tri_parcouru_jusqu_au_bout_a_l_identique(entrepot: Entrepot, tri: str) -> None:
    """The whole of France, page after page of 40: both paths list every active
    establishment once, in the same order."""
    c = Criteres(tri=tri)
    total = _chercher(entrepot, True, c, 1, None)["total"]
    assert total > 40
    assert _parcourir(entrepot, c, 40, pages=total // 40 + 2) == total


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(donnees=st.data())
def test_memoire_et_sql_donnent_les_memes_pages(
    entrepot: Entrepot, valeurs: dict[str, list[Any]], donnees: st.DataObject
) -> None:
    tirer = donnees.draw
    c = Criteres(
        territoire=tirer(st.sampled_from(valeurs["territoire"])),
        famille=tirer(st.lists(st.sampled_from(valeurs["famille"]), max_size=2, unique=True)),
        secteur=tirer(st.lists(st.sampled_from(valeurs["secteur"]), max_size=2, unique=True)),
        taille=tirer(st.lists(st.sampled_from(list(TAILLES)), max_size=2, unique=True)),
        perimetre=tirer(st.sampled_from(["ensemble", "en_qpv", "hors_qpv"])),
        employeur=tirer(st.sampled_from([None, True, False])),
        proche_qpv_m=tirer(st.sampled_from([None, 0.0, 300.0, 1000.0])),
        millesime=tirer(st.sampled_from(valeurs["millesime"])),
        tri=tirer(st.sampled_from(list(TRIS))),
    )
    _parcourir(entrepot, c, tirer(st.sampled_from([1, 3, 25])))


def test_les_curseurs_passent_d_un_chemin_a_l_autre(entrepot: Entrepot) -> None:
    for tri in TRIS:
        c = Criteres(tri=tri)
        premiere_sql = _chercher(entrepot, False, c, 5, None)
        premiere_memoire = _chercher(entrepot, True, c, 5, None)
        assert premiere_sql["suivant"] == premiere_memoire["suivant"]
        suite_memoire = _chercher(entrepot, True, c, 5, premiere_sql["suivant"])
        suite_sql = _chercher(entrepot, False, c, 5, premiere_memoire["suivant"])
        assert suite_memoire == suite_sql
        vus = {r["siret"] for r in premiere_sql["resultats"]}
        assert not vus & {r["siret"] for r in suite_memoire["resultats"]}


def test_recherche_libre_et_ancienne_date_servies_par_sql(entrepot: Entrepot) -> None:
    """Free text and older stocks are not in the index: same answers either way."""
    ancienne = entrepot.dates_stock()[0]
    for c in (Criteres(q="asso"), Criteres(date_stock=ancienne, tri="effectif")):
        assert Annuaire(entrepot)._index_pour(c, entrepot._date(c.date_stock)) is None
        _parcourir(entrepot, c, 10)


def test_curseur_modifie_refuse_en_francais(entrepot: Entrepot) -> None:
    import base64
    import json

    date = entrepot.dates_stock()[-1]
    faux = json.dumps({"d": date, "t": "creation", "k": "pas-une-date", "s": "1"}).encode()
    curseur = base64.urlsafe_b64encode(faux).decode().rstrip("=")
    with pytest.raises(ErreurUtilisateur) as exc:
        Annuaire(entrepot).chercher(Criteres(tri="creation"), curseur=curseur)
    assert exc.value.champ == "curseur" and "illisible" in str(exc.value)
