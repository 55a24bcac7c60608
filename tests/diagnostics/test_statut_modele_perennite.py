"""Choix de statut (with Scop/SCIC thresholds), modèle socio-économique, pérennité."""

from __future__ import annotations

from typing import Any

import pytest

from essq.diagnostics import executer
from essq.referentiel import charger


def _premier(r: dict[str, Any]) -> str:
    return str(r["resultats"][0]["id"])


def _adequation(r: dict[str, Any]) -> dict[str, str]:
    return {x["id"]: x["adequation"] for x in r["resultats"]}


# ------------------------------------------------------------ choix de statut
# Profiles of seed-001 initiatives, from their sheets, and the status they actually chose.
INITIATIVES_001 = [
    # Coop'Alpha: a CAE where people test their activity as entrepreneurs-salariés (L4814-5041)
    (
        "ini-001-coop-alpha",
        {"porteurs": "individuel", "activite": "marchande", "tester_activite": True},
        "statut-cae",
    ),
    # Hôtel du Nord: SCIC of host-residents and partners selling stays (L6253-6321)
    (
        "ini-001-cooperative-hotel-du-nord",
        {
            "porteurs": "collectif",
            "activite": "marchande",
            "plusieurs_categories_parties_prenantes": True,
            "usagers_associes": True,
        },
        "statut-scic",
    ),
    # Eticweb: a Scop, owned by its employees (L3935-3943)
    (
        "ini-001-eticweb",
        {"porteurs": "collectif", "activite": "marchande", "salaries_proprietaires": True},
        "statut-scop",
    ),
    # CJS Maurepas: a youth cooperative carried by a CAE (L4330-4530)
    (
        "ini-001-cjs-maurepas",
        {"porteurs": "collectif", "jeunes_apprentissage": True},
        "statut-cooperative-ephemere",
    ),
]


@pytest.mark.parametrize(("initiative", "profil", "statut"), INITIATIVES_001)
def test_initiatives_de_la_graine_001_retrouvent_leur_statut(
    initiative: str, profil: dict[str, Any], statut: str
) -> None:
    assert getattr(charger().get(initiative), "statut", None) == statut
    r = executer("choix-statut", profil)
    assert _premier(r) == statut
    assert r["verdict"]["code"] == "classement"
    assert r["resultats"][0]["conditions"]  # legal conditions come from the référentiel


def test_porteur_seul_exclut_les_formes_collectives() -> None:
    r = executer("choix-statut", {"porteurs": "individuel"})
    adequation = _adequation(r)
    assert adequation["statut-association-loi-1901"] == "incompatible"
    assert adequation["statut-scic"] == "incompatible"
    assert adequation["statut-cae"] != "incompatible"
    assert r["resultats"][-1]["adequation"] == "incompatible"


def test_collectivite_investisseuse_et_multi_acteurs_mene_a_la_scic() -> None:
    r = executer(
        "choix-statut",
        {
            "porteurs": "collectif",
            "activite": "mixte",
            "plusieurs_categories_parties_prenantes": True,
            "collectivite_souhaite_investir": True,
        },
    )
    assert _premier(r) == "statut-scic"
    assert any("L2253-1" in c for x in r["resultats"] for c in x["contre"])


def test_association_pour_un_projet_non_marchand_benevole() -> None:
    r = executer(
        "choix-statut",
        {
            "porteurs": "collectif",
            "activite": "non_marchande",
            "besoin_benevoles": True,
            "dons_subventions": True,
        },
    )
    assert _premier(r) == "statut-association-loi-1901"


@pytest.mark.parametrize(
    ("champ", "conforme", "non_conforme", "statut"),
    [
        ("part_capital_salaries", 51, 50.9, "statut-scop"),
        ("part_droits_vote_salaries", 65, 64.9, "statut-scop"),
        ("part_capital_collectivites", 50, 50.1, "statut-scic"),
        ("part_excedents_reserves", 57.5, 57.4, "statut-scic"),
        ("nombre_categories_associes", 3, 2, "statut-scic"),
    ],
)
def test_bornes_legales_scop_et_scic(
    champ: str, conforme: float, non_conforme: float, statut: str
) -> None:
    base = {"porteurs": "collectif", "activite": "marchande"}
    ok = executer("choix-statut", {**base, "repartition_envisagee": {champ: conforme}})
    assert _adequation(ok)[statut] != "incompatible"
    assert any(x["statut"] == "remplie" for x in ok["raisons"] if x["source"].startswith("Loi"))
    ko = executer("choix-statut", {**base, "repartition_envisagee": {champ: non_conforme}})
    assert _adequation(ko)[statut] == "incompatible"


def test_reponses_contradictoires_choix_statut() -> None:
    r = executer(
        "choix-statut",
        {
            "porteurs": "individuel",
            "plusieurs_categories_parties_prenantes": True,
            "activite": "non_marchande",
            "tester_activite": True,
        },
    )
    alertes = {x["regle"] for x in r["raisons"] if x["statut"] == "alerte"}
    assert {"coherence-porteurs", "coherence-cae"} <= alertes


# ------------------------------------------------------------ modèle socio-économique


def test_l_autre_boutique_graine_001() -> None:
    """Budget 264 185 €: own revenue 20 000, ASP 160 602, CR 18 267, CD06 45 816, CA 18 000, PV 1 500 (L4064-4078)."""
    r = executer(
        "modele-socio-economique",
        {
            "ventes_privees": 20000,
            "aides_emploi": 160602,
            "subventions_fonctionnement": 18267 + 45816 + 18000 + 1500,
            "commande_publique": 0,
            "subventions_projet": 0,
            "dons_mecenat": 0,
            "cotisations": 0,
            "benevolat_valorise": 0,
            "contributions_nature": 0,
            "financeurs": [
                {"nom": "ASP", "montant": 160602, "public": True},
                {"nom": "Département 06", "montant": 45816, "public": True},
                {"nom": "Région PACA", "montant": 18267, "public": True},
                {"nom": "CA Pays de Grasse", "montant": 18000, "public": True},
            ],
        },
    )
    assert r["verdict"]["code"] == "mse-2"
    assert r["indicateurs"]["part_ressources_propres"] == pytest.approx(7.57, abs=0.01)
    assert r["indicateurs"]["dependance_premier_financeur"] == pytest.approx(60.79, abs=0.01)
    regles = {x["regle"]: x["statut"] for x in r["raisons"]}
    assert regles["dependance-arbitrages-publics"] == "alerte"
    assert regles["dependance-premier-financeur"] == "alerte"


def test_a_p_r_e_s_graine_001() -> None:
    """33 % self-financed, ≈ 20 % public, the rest aided jobs and private funds (L6369-6371)."""
    r = executer(
        "modele-socio-economique",
        {"ventes_privees": 33, "subventions_projet": 20, "aides_emploi": 30, "dons_mecenat": 17},
    )
    assert r["indicateurs"]["part_ressources_propres"] == pytest.approx(33)
    assert r["indicateurs"]["part_argent_public"] == pytest.approx(50)
    assert "dependance-arbitrages-publics" not in {
        x["regle"] for x in r["raisons"]
    }  # exactly 50 %: not > 50 %


def test_modele_vente_expose_a_la_concurrence() -> None:
    r = executer(
        "modele-socio-economique",
        {"ventes_privees": 600, "commande_publique": 300, "aides_emploi": 100},
    )
    assert r["verdict"]["code"] == "mse-3"
    assert "exposition-concurrence" in {x["regle"] for x in r["raisons"]}


def test_modele_benevole_sans_animation_financee() -> None:
    r = executer(
        "modele-socio-economique",
        {
            "benevolat_valorise": 30000,
            "cotisations": 2000,
            "contributions_nature": 5000,
            "couts_directs": 2000,
            "couts_coordination_support": 0,
        },
    )
    assert r["verdict"]["code"] == "mse-1"
    assert "fragilite-benevolat" in {x["regle"] for x in r["raisons"]}


def test_hybride_et_juste_prix() -> None:
    r = executer(
        "modele-socio-economique",
        {
            "ventes_privees": 50,
            "subventions_fonctionnement": 45,
            "couts_directs": 80,
            "couts_coordination_support": 40,
        },
    )
    assert r["verdict"]["code"] == "hybride"
    assert r["indicateurs"]["couverture_cout_complet"] == pytest.approx(100 * 95 / 120, abs=0.01)
    juste = next(x for x in r["raisons"] if x["regle"] == "juste-prix")
    assert juste["statut"] == "alerte" and "juste prix" in juste["explication"]


def test_borne_dependance_premier_financeur() -> None:
    base = {"ventes_privees": 50, "subventions_fonctionnement": 50}
    exact = executer(
        "modele-socio-economique", {**base, "financeurs": [{"nom": "Ville", "montant": 50}]}
    )
    assert (
        next(x for x in exact["raisons"] if x["regle"] == "dependance-premier-financeur")["statut"]
        == "information"
    )
    plus = executer(
        "modele-socio-economique", {**base, "financeurs": [{"nom": "Ville", "montant": 50.01}]}
    )
    assert (
        next(x for x in plus["raisons"] if x["regle"] == "dependance-premier-financeur")["statut"]
        == "alerte"
    )


# ------------------------------------------------------------ pérennité


def _grille(niveau: str, **autres: str) -> dict[str, str]:
    return {f"critere_{n:02d}": autres.get(f"critere_{n:02d}", niveau) for n in range(18)}


def test_perennite_profil_solide_et_graphique() -> None:
    r = executer("perennite", _grille("solide"))
    assert r["verdict"]["code"] == "solide"
    assert r["graphique"]["type"] == "radar" and len(r["graphique"]["axes"]) == 18
    assert {p["famille"] for p in r["indicateurs"]["profil_par_famille"]} == {
        "modele_economique",
        "gouvernance_organisation",
        "ancrage_territorial",
    }


def test_perennite_critere_fragile_renvoie_aux_leviers_du_referentiel() -> None:
    r = executer("perennite", _grille("correct", critere_01="fragile"))
    faible = r["resultats"][0]
    assert faible["id"] == "crit-01-autonomie-financiere"
    attendus = set(getattr(charger().get("crit-01-autonomie-financiere"), "leviers", []))
    assert attendus and attendus == {x["id"] for x in faible["leviers"]}
    assert attendus <= {s["id"] for s in r["suites"]}


def test_perennite_prerequis_fragile_prime() -> None:
    r = executer("perennite", _grille("solide", critere_00="absent"))
    assert r["verdict"]["code"] == "prerequis_fragile"


def test_perennite_famille_fragile_et_grille_incomplete() -> None:
    notes = {f"critere_{n:02d}": "fragile" for n in range(1, 8)}
    r = executer("perennite", {**_grille("solide"), **notes})
    assert r["verdict"]["code"] == "fragile"
    r = executer("perennite", {"critere_01": "solide", "critere_02": "ne_sait_pas"})
    assert r["verdict"]["code"] == "indetermine"
    assert len(r["manquant"]) == 17


def test_perennite_chaque_levier_des_16_entreprises_de_la_graine_004_est_atteignable() -> None:
    """A fully fragile grid points, through its criteria, to every lever (or its parent
    lever) the 16 monographed enterprises of seed 004 actually used."""
    ref = charger()
    r = executer("perennite", _grille("fragile"))
    proposes = {lv["id"] for x in r["resultats"] for lv in x["leviers"]}

    def ascendants(ident: str) -> set[str]:
        resultat, entree = {ident}, ref.get(ident)
        while entree is not None and getattr(entree, "parent", None):
            resultat.add(entree.parent)
            entree = ref.get(entree.parent)
        return resultat

    entreprises = [
        e
        for e in ref.collection("initiatives")
        if e.id.startswith("ini-004-") and getattr(e, "modele_socio_economique", None)
    ]
    assert len(entreprises) == 16
    for e in entreprises:
        for levier in getattr(e, "leviers", []):
            assert ascendants(levier) & proposes, (e.id, levier)
