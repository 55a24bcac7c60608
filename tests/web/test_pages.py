"""Server-rendered pages (without a browser), the guided-form generator and the SVG drawings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from essq.erreurs import ErreurUtilisateur
from essq.web import formulaires, graphiques


@pytest.fixture(scope="module")
def client(home_demo: Path) -> Iterator[TestClient]:
    from essq.web.application import creer_application

    with TestClient(creer_application(home_demo), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(
    "chemin",
    [
        "/",
        "/recherche?q=tilleuls",
        "/localiser?lon=2.35&lat=48.85",
        "/territoire/qpv/QN00001M",
        "/territoire/qpv/QP000005",
        "/territoire/commune/00004",
        "/territoire/epci/200000001",
        "/territoire/france/FR",
        "/annuaire",
        "/annuaire?territoire=qpv:QN00002M&perimetre=en_qpv&tri=effectif",
        "/referentiel",
        "/referentiel/initiatives?q=quartier",
        "/methodologie",
        "/licences",
        "/accessibilite",
        "/api/v1/docs",
    ],
)
def test_page_en_francais_avec_dsfr_et_bandeau_demo(client: TestClient, chemin: str) -> None:
    r = client.get(chemin)
    assert r.status_code == 200, r.text[-2000:]
    assert '<html lang="fr"' in r.text
    assert (
        "/dsfr/dsfr.min.css" in r.text and 'class="fr-header"' in r.text and "fr-footer" in r.text
    )
    assert "Données fictives de démonstration" in r.text


def test_actifs_dsfr_servis(client: TestClient) -> None:
    assert client.get("/dsfr/dsfr.min.css").status_code == 200
    assert client.get("/statique/essq.css").status_code == 200


def test_page_territoire_montre_chiffres_sources_graphiques_carte(client: TestClient) -> None:
    ind = client.get("/api/v1/territoires/qpv/QN00001M/indicateurs").json()
    page = client.get("/territoire/qpv/QN00001M").text
    assert graphiques.nombre(ind["ensemble"]["etablissements_ess"]) in page
    assert f"stock au {ind['date_stock']}" in page
    assert page.count('<svg class="essq-graphique"') >= 3 and '<svg class="essq-carte"' in page
    assert (
        "Tout l&#39;annuaire de ce territoire" in page or "Tout l'annuaire de ce territoire" in page
    )


def test_territoire_sans_etablissement_reste_lisible(client: TestClient) -> None:
    # QP000005 (2015) left the 2024 map: its page still renders with its own vintage.
    page = client.get("/territoire/qpv/QP000005").text
    assert "Les Prés-Fictifs" in page and "millésime 2015" in page


def test_erreurs_en_page_html_francaise(client: TestClient) -> None:
    r = client.get("/territoire/commune/99999")
    assert r.status_code == 404 and "Page introuvable" in r.text and "Territoire inconnu" in r.text
    r = client.get("/annuaire?territoire=pays:FR")
    assert r.status_code == 400 and "Comment corriger" in r.text
    r = client.get("/localiser?lon=abc&lat=1")
    assert r.status_code == 400 and "Coordonnées illisibles" in r.text
    assert "Traceback" not in r.text


def test_diagnostic_lien_partage_et_fichier_de_reponses(client: TestClient) -> None:
    from essq.api import diagnostics_acces

    if not diagnostics_acces.disponibles():
        pytest.skip("le paquet diagnostics n'expose pas encore lister/schema/executer")
    nom = diagnostics_acces.lister()[0]["nom"]
    schema = diagnostics_acces.schema(nom)
    etapes = formulaires.etapes(schema)
    formulaire = client.get(f"/diagnostics/{nom}").text
    for etape in etapes:
        for champ in etape.champs:
            assert f'name="{champ.nom}"' in formulaire
    choix = next(c for e in etapes for c in e.champs if c.widget == "choix")
    valeur = choix.options[0][0]
    resultat = client.get(f"/diagnostics/{nom}/resultat", params={choix.nom: valeur})
    assert resultat.status_code == 200 and "Pourquoi" in resultat.text
    fichier = client.get(f"/diagnostics/{nom}/reponses.json", params={choix.nom: valeur}).json()
    assert fichier == formulaires.reponses(etapes, {choix.nom: [valeur]})
    r = client.post(
        f"/diagnostics/{nom}/charger",
        files={
            "fichier": (
                "reponses.json",
                b'{"%s": "%s"}' % (choix.nom.encode(), valeur.encode()),
                "application/json",
            )
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and f"{choix.nom}={valeur}" in r.headers["location"]
    mauvais = client.post(
        f"/diagnostics/{nom}/charger", files={"fichier": ("x.json", b"[1]", "application/json")}
    )
    assert mauvais.status_code == 400


SCHEMA = {
    "$defs": {
        "Forme": {"enum": ["association", "scop"], "type": "string", "title": "Forme"},
        "Capital": {
            "type": "object",
            "title": "Capital",
            "properties": {
                "part_salaries": {
                    "type": "number",
                    "title": "Part des salariés",
                    "minimum": 0,
                    "maximum": 100,
                },
                "associes": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Associés"},
            },
        },
    },
    "type": "object",
    "required": ["forme"],
    "properties": {
        "forme": {
            "anyOf": [{"$ref": "#/$defs/Forme"}, {"type": "null"}],
            "description": "Forme juridique",
        },
        "agree": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "title": "Agréée"},
        "publics": {"type": "array", "items": {"enum": ["jeunes", "seniors"]}, "title": "Publics"},
        "nom": {"type": "string"},
        "capital": {"$ref": "#/$defs/Capital"},
    },
}


def test_etapes_generees_depuis_le_schema() -> None:
    etapes = formulaires.etapes(SCHEMA)
    assert [e.titre for e in etapes] == ["Informations générales", "Capital"]
    champs = {c.nom: c for e in etapes for c in e.champs}
    assert champs["forme"].widget == "choix" and champs["forme"].obligatoire
    assert champs["forme"].options == [("association", "association"), ("scop", "scop")]
    assert champs["forme"].aide == "Forme juridique"
    assert champs["agree"].widget == "booleen"
    assert champs["publics"].widget == "choix_multiple"
    assert (
        champs["capital.part_salaries"].widget == "nombre"
        and champs["capital.part_salaries"].maximum == 100
    )
    assert champs["capital.associes"].widget == "entier"


def test_reponses_typees_et_imbriquees() -> None:
    etapes = formulaires.etapes(SCHEMA)
    entree = formulaires.reponses(
        etapes,
        {
            "forme": ["scop"],
            "agree": ["non"],
            "publics": ["jeunes", "seniors"],
            "capital.part_salaries": ["51,5"],
            "capital.associes": [""],
            "nom": [""],
        },
    )
    assert entree == {
        "forme": "scop",
        "agree": False,
        "publics": ["jeunes", "seniors"],
        "capital": {"part_salaries": 51.5},
    }
    assert formulaires.valeurs_formulaire(entree)["capital.part_salaries"] == 51.5
    with pytest.raises(ErreurUtilisateur) as exc:
        formulaires.reponses(etapes, {"capital.part_salaries": ["beaucoup"]})
    assert exc.value.champ == "capital.part_salaries"


@given(
    st.dictionaries(
        st.sampled_from(
            ["forme", "agree", "publics", "capital.part_salaries", "capital.associes", "nom"]
        ),
        st.lists(st.text(max_size=12), max_size=3),
    )
)
def test_reponses_ne_plantent_jamais(parametres: dict[str, list[str]]) -> None:
    etapes = formulaires.etapes(SCHEMA)
    try:
        entree = formulaires.reponses(etapes, parametres)
    except ErreurUtilisateur as exc:
        assert exc.champ in parametres
    else:
        assert isinstance(entree, dict)


def test_nombres_a_la_francaise() -> None:
    assert graphiques.nombre(1234567) == "1\u202f234\u202f567"
    assert graphiques.nombre(12.345, 1) == "12,3"
    assert graphiques.pourcent(0.2957) == "29,6\u00a0%"
    assert graphiques.nombre(None) == "—"


def test_carte_svg_avec_echelle_et_legende() -> None:
    carre = shapely.box(2.0, 48.0, 2.02, 48.01)
    svg = graphiques.carte(
        "Carte test",
        [("QN1", "Quartier", carre)],
        [{"lon": 2.01, "lat": 48.005, "famille": "association", "nom": "Asso"}],
    )
    assert svg.count("<path") >= 2 and svg.count("<circle") == 2  # point + legend
    assert "Contour de QPV" in svg and "Associations" in svg and " m<" in svg or " km<" in svg
    vide = graphiques.carte("Vide", [], [])
    assert "aucun contour" in vide


def test_barres_decrivent_leurs_valeurs() -> None:
    svg = graphiques.barres("Titre", [("A", 3), ("B", 1.5)])
    assert "<title" in svg and "A : 3; B : 1,5" in svg


def test_methodologie_liste_les_dates_de_stock(client: TestClient) -> None:
    r = client.get("/methodologie")
    assert r.status_code == 200
    assert "Les dates de stock disponibles" in r.text
    assert "stock SIRENE de cette date" in r.text
    assert "reconstitué à partir des stocks historiques de l'INSEE" not in r.text
