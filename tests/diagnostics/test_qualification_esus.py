"""Qualification ESS (loi 2014-856, art. 1 and 2) and the ESUS pre-diagnosis (L3332-17-1)."""

from __future__ import annotations

from typing import Any

import pytest

from essq.diagnostics import executer
from essq.diagnostics.seuils import smic_a
from essq.referentiel import charger

SOCIETE_CONFORME: dict[str, Any] = {
    "forme_juridique": "societe_commerciale",
    "but_autre_que_partage_benefices": True,
    "gouvernance_democratique": True,
    "part_benefices_reinvestis": 60,
    "reserves_impartageables": True,
    "objectifs_utilite_sociale": ["lien_social_cohesion_territoriale"],
    "part_benefices_fonds_developpement": 20,
    "part_benefices_report_et_reserves": 50,
    "interdiction_amortir_capital": True,
    "conditions_dans_statuts": True,
}


def _statuts(r: dict[str, Any]) -> dict[str, str]:
    return {x["regle"]: x["statut"] for x in r["raisons"]}


# ------------------------------------------------------------ the 16 enterprises of seed 004


def _entreprises_seed_004() -> list[Any]:
    ref = charger()
    entreprises = [
        e
        for e in ref.collection("initiatives")
        if e.id.startswith("ini-004-") and getattr(e, "modele_socio_economique", None)
    ]
    assert len(entreprises) == 16  # extraction §5.1: the 16 monographed enterprises
    return entreprises


def _forme(initiative: Any) -> str:
    statut = getattr(initiative, "statut", None)
    if statut == "statut-association-loi-1901":
        return "association"
    if statut in ("statut-scic", "statut-scop", "statut-cae", "statut-cooperative-loi-1947"):
        return "cooperative"
    return "societe_commerciale"  # Ambiance Bois: Sapo (société anonyme à participation ouvrière)


def test_les_16_entreprises_de_la_graine_004() -> None:
    """14 associations and one SCIC are ESS by status; the Sapo depends on its statutes."""
    verdicts = {}
    for initiative in _entreprises_seed_004():
        r = executer("qualification-ess", {"forme_juridique": _forme(initiative)})
        verdicts[initiative.id] = r["verdict"]["code"]
    assert sum(v == "ess" for v in verdicts.values()) == 15
    assert verdicts["ini-004-ambiance-bois"] == "indetermine"
    assert verdicts["ini-004-8-fablab-drome"] == "ess"
    r = executer("qualification-ess", {"forme_juridique": "societe_commerciale"})
    manquant = {m["champ"] for m in r["manquant"]}
    assert {
        "gouvernance_democratique",
        "objectifs_utilite_sociale",
        "conditions_dans_statuts",
    } <= manquant


@pytest.mark.parametrize(
    ("categorie", "initiative"),
    [
        ("association_intermediaire", "ini-004-hercule-insertion"),
        ("atelier_chantier_insertion", "ini-004-bell-occas"),
        ("regie_de_quartier", "ini-004-desbals-services"),
    ],
)
def test_structures_d_insertion_de_la_graine_004_agreees_de_plein_droit(
    categorie: str, initiative: str
) -> None:
    assert charger().get(initiative) is not None
    r = executer(
        "agrement-esus",
        {
            "forme_juridique": "association",
            "structure_de_droit": categorie,
            "remuneration_moyenne_5_plus_hautes": 38000,
            "remuneration_plus_haute": 52000,
            "titres_cotes": False,
        },
    )
    assert r["verdict"]["code"] == "eligible_de_droit"
    assert "DDETS" in r["avertissement"]
    # de droit does not waive the pay condition
    r = executer(
        "agrement-esus", {"forme_juridique": "association", "structure_de_droit": categorie}
    )
    assert r["verdict"]["code"] == "indetermine"
    assert {"remuneration_moyenne_5_plus_hautes", "titres_cotes"} <= {
        m["champ"] for m in r["manquant"]
    }


# ------------------------------------------------------------ qualification rules


def test_societe_commerciale_conforme_puis_chaque_condition_manquee() -> None:
    assert executer("qualification-ess", SOCIETE_CONFORME)["verdict"]["code"] == "ess"
    for champ, valeur in [
        ("gouvernance_democratique", False),
        ("reserves_impartageables", False),
        ("interdiction_amortir_capital", False),
        ("conditions_dans_statuts", False),
        ("part_benefices_fonds_developpement", 19.9),
        ("part_benefices_report_et_reserves", 49.9),
    ]:
        r = executer("qualification-ess", {**SOCIETE_CONFORME, champ: valeur})
        assert r["verdict"]["code"] == "hors_ess", champ


def test_benefices_majoritairement_reinvestis_borne_50() -> None:
    exact = executer("qualification-ess", {**SOCIETE_CONFORME, "part_benefices_reinvestis": 50})
    assert exact["verdict"]["code"] == "hors_ess"  # « majoritairement »: strictly more than half
    assert _statuts(exact)["benefices-majoritairement-reinvestis"] == "non_remplie"
    juste = executer("qualification-ess", {**SOCIETE_CONFORME, "part_benefices_reinvestis": 50.01})
    assert juste["verdict"]["code"] == "ess"


def test_bornes_20_et_50_pour_cent_des_societes_commerciales() -> None:
    r = executer(
        "qualification-ess",
        {
            **SOCIETE_CONFORME,
            "part_benefices_fonds_developpement": 20,
            "part_benefices_report_et_reserves": 50,
        },
    )
    assert _statuts(r)["fonds-de-developpement"] == "remplie"
    assert _statuts(r)["report-et-reserves"] == "remplie"


def test_quatrieme_objectif_exige_un_impact() -> None:
    base = {
        **SOCIETE_CONFORME,
        "objectifs_utilite_sociale": ["developpement_durable_culture_solidarite_internationale"],
    }
    r = executer("qualification-ess", base)
    assert r["verdict"]["code"] == "indetermine"
    assert "impacts_objectif_4" in {m["champ"] for m in r["manquant"]}
    r = executer("qualification-ess", {**base, "impacts_objectif_4": ["solidarites_territoriales"]})
    assert r["verdict"]["code"] == "ess"


def test_reponses_contradictoires_avec_le_statut_signalees() -> None:
    r = executer(
        "qualification-ess",
        {"forme_juridique": "association", "but_autre_que_partage_benefices": False},
    )
    assert r["verdict"]["code"] == "ess"
    assert _statuts(r)["coherence-statut"] == "alerte"


def test_entreprise_individuelle_et_fonds_de_dotation() -> None:
    r = executer("qualification-ess", {"forme_juridique": "entreprise_individuelle"})
    assert r["verdict"]["code"] == "hors_ess"
    assert "statut-cae" in {s["id"] for s in r["suites"]}
    r = executer("qualification-ess", {"forme_juridique": "fonds_de_dotation"})
    assert r["verdict"]["code"] == "a_verifier"
    assert "disp-cress" in {s["id"] for s in r["suites"]}


# ------------------------------------------------------------ ESUS thresholds

SMIC = smic_a().annuel_brut


def _esus(**changements: Any) -> dict[str, Any]:
    entree: dict[str, Any] = {
        "forme_juridique": "association",
        "structure_de_droit": "aucune",
        "objectifs_utilite_sociale": ["soutien_personnes_fragiles"],
        "utilite_sociale_dans_statuts": True,
        "exercices": [
            {"annee": a, "charges_utilite_sociale": 70, "charges_totales": 100}
            for a in (2023, 2024, 2025)
        ],
        "remuneration_moyenne_5_plus_hautes": 3 * SMIC,
        "remuneration_plus_haute": 4 * SMIC,
        "titres_cotes": False,
        "anciennete_annees": 8,
    }
    entree.update(changements)
    return executer("agrement-esus", entree)


def test_esus_cas_complet() -> None:
    r = _esus()
    assert r["verdict"]["code"] == "eligible_probable"
    assert r["manquant"] == []
    assert r["indicateurs"]["duree_agrement_ans"] == 5


def test_esus_borne_66_pour_cent() -> None:
    exact = _esus(exercices=[{"charges_utilite_sociale": 66, "charges_totales": 100}] * 3)
    assert exact["verdict"]["code"] == "eligible_probable"
    dessous = _esus(exercices=[{"charges_utilite_sociale": 65.99, "charges_totales": 100}] * 3)
    assert dessous["verdict"]["code"] == "non_eligible"
    assert _statuts(dessous)["charges-utilite-sociale"] == "non_remplie"


def test_esus_bornes_7_et_10_fois_le_smic() -> None:
    assert (
        _esus(remuneration_moyenne_5_plus_hautes=7 * SMIC, remuneration_plus_haute=10 * SMIC)[
            "verdict"
        ]["code"]
        == "eligible_probable"
    )
    r = _esus(remuneration_moyenne_5_plus_hautes=7 * SMIC + 1, remuneration_plus_haute=10 * SMIC)
    assert r["verdict"]["code"] == "non_eligible"
    assert _statuts(r)["esus-remuneration-moyenne-5"] == "non_remplie"
    r = _esus(remuneration_moyenne_5_plus_hautes=7 * SMIC, remuneration_plus_haute=10 * SMIC + 1)
    assert _statuts(r)["esus-remuneration-plus-haute"] == "non_remplie"


def test_esus_minimum_de_branche_superieur_au_smic() -> None:
    branche = 1.2 * SMIC
    r = _esus(
        remuneration_moyenne_5_plus_hautes=8 * SMIC,
        remuneration_plus_haute=8.2 * SMIC,
        minimum_branche_annuel=branche,
    )
    assert r["verdict"]["code"] == "eligible_probable"  # 8 × SMIC = 6.7 × the branch minimum


def test_esus_la_graine_000_se_trompe_d_echelle_et_on_le_dit() -> None:
    r = _esus()
    explication = next(
        x["explication"] for x in r["raisons"] if x["regle"] == "esus-remuneration-moyenne-5"
    )
    assert "1 à 5 et 1 à 7" in explication and "n'est pas la règle en vigueur" in explication
    assert "L3332-17-1" in next(
        x["source"] for x in r["raisons"] if x["regle"] == "esus-remuneration-moyenne-5"
    )


def test_esus_duree_2_ou_5_ans_borne_3_ans() -> None:
    assert _esus(anciennete_annees=2.99)["indicateurs"]["duree_agrement_ans"] == 2
    assert _esus(anciennete_annees=3)["indicateurs"]["duree_agrement_ans"] == 5


def test_esus_jeune_structure_appreciee_sur_ses_exercices_clos() -> None:
    r = _esus(
        anciennete_annees=1.5, exercices=[{"charges_utilite_sociale": 80, "charges_totales": 100}]
    )
    assert r["verdict"]["code"] == "eligible_probable"
    r = _esus(
        anciennete_annees=10, exercices=[{"charges_utilite_sociale": 80, "charges_totales": 100}]
    )
    assert r["verdict"]["code"] == "indetermine"
    assert "exercices" in {m["champ"] for m in r["manquant"]}


def test_esus_critere_alternatif_de_rentabilite() -> None:
    sous = [{"charges_utilite_sociale": 40, "charges_totales": 100}] * 3
    ok = _esus(
        exercices=sous, rentabilite={"ratio_remuneration_capital": 6.9, "taux_moyen_obligations": 2}
    )
    assert ok["verdict"]["code"] == "eligible_probable"
    ko = _esus(
        exercices=sous, rentabilite={"ratio_remuneration_capital": 7, "taux_moyen_obligations": 2}
    )
    assert ko["verdict"]["code"] == "non_eligible"


def test_esus_entrees_incoherentes_signalees_sans_plantage() -> None:
    r = _esus(
        exercices=[
            {"charges_utilite_sociale": 150, "charges_totales": 100},
            {"charges_utilite_sociale": 0, "charges_totales": 0},
        ]
    )
    assert _statuts(r)["coherence-charges"] == "alerte"
    assert r["verdict"]["code"] == "indetermine"
    r = _esus(remuneration_moyenne_5_plus_hautes=60000, remuneration_plus_haute=50000)
    assert _statuts(r)["coherence-remunerations"] == "alerte"
    assert r["verdict"]["code"] == "indetermine"


def test_esus_societe_commerciale_renvoie_a_la_qualification() -> None:
    r = _esus(forme_juridique="societe_commerciale")
    assert r["verdict"]["code"] == "indetermine"
    assert "ess_article_1" in {m["champ"] for m in r["manquant"]}
    assert _esus(forme_juridique="entreprise_individuelle")["verdict"]["code"] == "non_eligible"
    assert _esus(titres_cotes=True)["verdict"]["code"] == "non_eligible"
    assert _esus(utilite_sociale_dans_statuts=False)["verdict"]["code"] == "non_eligible"


@pytest.mark.parametrize(
    ("categorie", "verdict"),
    [
        ("9220", "ess"),  # association déclarée
        ("5458", "ess"),  # Scop (SA) — from the référentiel's statuts
        ("5460", "ess"),  # SCIC (SA)
        ("8210", "ess"),  # mutuelle
        ("9300", "ess"),  # fondation
        ("5710", "indetermine"),  # SAS: ESS only if its statutes say so
        ("1000", "hors_ess"),  # entrepreneur individuel
        ("7210", "hors_ess"),  # commune
        ("6540", "a_verifier"),  # société civile: not a form the law names
    ],
)
def test_forme_deduite_de_la_categorie_juridique_insee(categorie: str, verdict: str) -> None:
    assert (
        executer("qualification-ess", {"categorie_juridique": categorie})["verdict"]["code"]
        == verdict
    )


def test_categorie_juridique_contradictoire_avec_la_forme() -> None:
    r = executer(
        "qualification-ess",
        {"categorie_juridique": "9220", "forme_juridique": "societe_commerciale"},
    )
    assert _statuts(r)["coherence-categorie-juridique"] == "alerte"
    assert r["verdict"]["code"] == "indetermine"  # the declared form is kept
