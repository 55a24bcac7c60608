"""Diagnostic « choix-statut »: rank the legal forms that fit a project (seed 000 §2).

Ranking rules are data (``donnees/choix_statut.yaml``): each answer adds or removes points
for each candidate form, or makes it incompatible, with its explanation and source. An
optional planned distribution of capital and votes is checked against the legal thresholds
of Scop and SCIC (``seuils.yaml``). Conditions, advantages and limits of each form come from
the référentiel (``statuts``).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field

from essq.diagnostics.cadre import LIBELLES_VALEURS, Diagnostic, ModeleEntree, Rapport, enregistrer
from essq.diagnostics.regles import condition
from essq.diagnostics.seuils import donnees_yaml, pourcentage, seuil


class Porteurs(StrEnum):
    individuel = "individuel"
    collectif = "collectif"


class Activite(StrEnum):
    marchande = "marchande"
    mixte = "mixte"
    non_marchande = "non_marchande"


class RepartitionEnvisagee(ModeleEntree):
    part_capital_salaries: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Part du capital détenue par les salariés (%)",
        description="Part du capital que détiendraient les salariés associés, en %.",
    )
    part_droits_vote_salaries: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Part des droits de vote des salariés (%)",
        description="Part des droits de vote que détiendraient les salariés associés, en %.",
    )
    part_capital_collectivites: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Part du capital détenue par les collectivités (%)",
        description="Part du capital que détiendraient ensemble les collectivités, leurs "
        "groupements et établissements publics territoriaux, en %.",
    )
    part_excedents_reserves: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Part des excédents mise en réserve (%)",
        description="Part des excédents annuels affectée aux réserves impartageables, en %.",
    )
    nombre_categories_associes: int | None = Field(
        default=None,
        ge=0,
        le=50,
        title="Nombre de catégories d'associés",
        description="Nombre de catégories d'associés prévues (salariés, bénéficiaires, bénévoles, "
        "collectivités, entreprises…).",
    )


class EntreeChoixStatut(ModeleEntree):
    porteurs: Porteurs | None = Field(
        default=None,
        title="Porteurs du projet",
        description="Le projet est-il porté par une seule personne (individuel) ou par un groupe (collectif) ?",
    )
    activite: Activite | None = Field(
        default=None,
        title="Nature de l'activité",
        description="L'activité vit-elle surtout de ventes (marchande), de subventions, dons et "
        "cotisations (non_marchande) ou des deux (mixte) ?",
    )
    plusieurs_categories_parties_prenantes: bool | None = Field(
        default=None,
        title="Plusieurs catégories de parties prenantes",
        description="Souhaitez-vous associer à la gouvernance plusieurs catégories d'acteurs "
        "(salariés, usagers, habitants, bénévoles, collectivités, entreprises) ?",
    )
    collectivite_souhaite_investir: bool | None = Field(
        default=None,
        title="Une collectivité souhaite investir",
        description="Une collectivité souhaite-t-elle entrer au capital de la structure ?",
    )
    salaries_proprietaires: bool | None = Field(
        default=None,
        title="Salariés propriétaires",
        description="Les salariés doivent-ils détenir et diriger l'entreprise (y compris une reprise par les salariés) ?",
    )
    tester_activite: bool | None = Field(
        default=None,
        title="Tester une activité en étant salarié",
        description="Le porteur veut-il tester et développer son activité avec un statut de salarié, sans créer de société ?",
    )
    besoin_benevoles: bool | None = Field(
        default=None,
        title="Besoin de bénévoles",
        description="Le projet repose-t-il sur l'engagement de bénévoles ?",
    )
    dons_subventions: bool | None = Field(
        default=None,
        title="Dons et subventions",
        description="Le projet compte-t-il sur des subventions de fonctionnement, des dons ou du mécénat ?",
    )
    investisseurs_exterieurs: bool | None = Field(
        default=None,
        title="Investisseurs extérieurs",
        description="Le projet a-t-il besoin de capitaux apportés par des investisseurs extérieurs ?",
    )
    jeunes_apprentissage: bool | None = Field(
        default=None,
        title="Projet d'apprentissage pour des jeunes ou des habitants",
        description="S'agit-il de faire vivre quelques mois une coopérative pour apprendre "
        "l'entrepreneuriat collectif (jeunes de 16 à 30 ans, habitants) ?",
    )
    usagers_associes: bool | None = Field(
        default=None,
        title="Usagers associés",
        description="Les usagers ou consommateurs doivent-ils être associés de la structure ?",
    )
    repartition_envisagee: RepartitionEnvisagee | None = Field(
        default=None,
        title="Répartition envisagée du capital et des voix",
        description="Facultatif : répartition prévue, vérifiée contre les seuils légaux des Scop et des SCIC.",
    )


QUESTIONS = {nom: champ.description or nom for nom, champ in EntreeChoixStatut.model_fields.items()}


def regles() -> dict[str, Any]:
    donnees: dict[str, Any] = donnees_yaml("choix_statut.yaml")
    return donnees


def _texte(modele: str) -> str:
    return re.sub(r"\{seuil:([a-z0-9-]+)\}", lambda m: seuil(m.group(1)).texte, modele)


def _condition(valeur: Any, attendu: Any) -> bool:
    return valeur in attendu if isinstance(attendu, list) else valeur == attendu


def _verifier_repartition(
    rep: RepartitionEnvisagee, r: Rapport, etat: dict[str, dict[str, Any]]
) -> None:
    """Legal thresholds of Scop (51 % / 65 %) and SCIC (3 categories, ≤ 50 % public, 57.5 %)."""
    controles = (
        (
            "statut-scop",
            "scop-capital-salaries",
            rep.part_capital_salaries,
            "Part du capital des salariés",
        ),
        (
            "statut-scop",
            "scop-droits-vote-salaries",
            rep.part_droits_vote_salaries,
            "Part des droits de vote des salariés",
        ),
        (
            "statut-scic",
            "scic-capital-public",
            rep.part_capital_collectivites,
            "Part du capital des collectivités",
        ),
        (
            "statut-scic",
            "scic-reserves-impartageables",
            rep.part_excedents_reserves,
            "Part des excédents en réserves",
        ),
        (
            "statut-scic",
            "scic-categories-associes",
            rep.nombre_categories_associes,
            "Nombre de catégories d'associés",
        ),
    )
    for statut, code, valeur, quoi in controles:
        if valeur is None or statut not in etat:
            continue
        s = seuil(code)
        ok = s.respecte(float(valeur))
        texte_valeur = (
            f"{valeur}" if code == "scic-categories-associes" else pourcentage(float(valeur))
        )
        explication = f"{quoi} envisagée : {texte_valeur} ; la loi exige {s.texte}."
        condition(r, code, s.source, explication, ok, fin=("Conforme.", "Non conforme."))
        if not ok:
            etat[statut]["incompatible"] = True
            etat[statut]["contre"].append(explication + " Il faudrait revoir la répartition.")


def _lecture(champ: str, valeur: Any, regle: dict[str, Any], r: Rapport) -> str:
    """« Porteurs du projet : un groupe — favorise : SCIC… ; écarte : CAE… »."""
    titre = EntreeChoixStatut.model_fields[champ].title or champ
    if isinstance(valeur, bool):
        texte_valeur = "oui" if valeur else "non"
    else:
        texte_valeur = LIBELLES_VALEURS.get(str(valeur), str(valeur)).lower()

    def noms(idents: list[str]) -> str:
        return ", ".join(getattr(r.referentiel.get(i), "titre", i).split(" — ")[0] for i in idents)

    pour = [
        i for i, eff in regle["effets"].items() if not eff.get("incompatible") and eff["points"] > 0
    ]
    contre = [
        i for i, eff in regle["effets"].items() if eff.get("incompatible") or eff["points"] < 0
    ]
    morceaux = [f"{titre} : {texte_valeur}"]
    if pour:
        morceaux.append(f"favorise : {noms(pour)}")
    if contre:
        morceaux.append(f"défavorise ou exclut : {noms(contre)}")
    return " — ".join(morceaux) + "."


def moteur(e: EntreeChoixStatut, r: Rapport) -> None:
    r.avertissement = (
        "Aide à la réflexion : le choix d'un statut engage le projet ; le confirmer avec un "
        "accompagnateur (CRESS, unions régionales des Scop et SCIC, incubateur, DLA) avant de rédiger les statuts."
    )
    donnees = regles()
    etat: dict[str, dict[str, Any]] = {
        ident: {"points": 0, "incompatible": False, "pour": [], "contre": []}
        for ident in donnees["candidats"]
        if r.referentiel.get(ident) is not None
    }
    reponses = e.model_dump()
    for regle in donnees["regles"]:
        champ, attendu = next(iter(regle["si"].items()))
        valeur = reponses.get(champ)
        if valeur is None or not _condition(valeur, attendu):
            continue
        for ident, effet in regle["effets"].items():
            if ident not in etat:
                continue
            explication = _texte(effet["explication"])
            if effet.get("incompatible"):
                etat[ident]["incompatible"] = True
                etat[ident]["contre"].append(explication)
            elif effet["points"] >= 0:
                etat[ident]["points"] += effet["points"]
                etat[ident]["pour"].append(explication)
            else:
                etat[ident]["points"] += effet["points"]
                etat[ident]["contre"].append(explication)
        r.raison(regle["code"], regle["source"], _lecture(champ, valeur, regle, r), "information")
    if e.repartition_envisagee is not None:
        _verifier_repartition(e.repartition_envisagee, r, etat)

    # contradictory answers get a precise remark, not a crash
    if e.porteurs == "individuel" and e.plusieurs_categories_parties_prenantes:
        r.raison(
            "coherence-porteurs",
            "Graine 000, SCIC L355",
            "Réponses à concilier : un porteur seul qui veut associer plusieurs catégories "
            "d'acteurs devra d'abord réunir un collectif (la SCIC en exige au moins trois).",
            "alerte",
        )
    if e.activite == "non_marchande" and e.tester_activite:
        r.raison(
            "coherence-cae",
            "Graine 000, CAE L371-373",
            "Réponses à concilier : tester une activité en CAE suppose de vendre pour se verser un "
            "salaire, ce qui s'accorde mal avec une activité non marchande.",
            "alerte",
        )

    for champ in EntreeChoixStatut.model_fields:
        if champ != "repartition_envisagee" and reponses.get(champ) is None:
            r.manque(champ, QUESTIONS[champ])

    def niveau(etat_statut: dict[str, Any]) -> str:
        if etat_statut["incompatible"]:
            return "incompatible"
        p = etat_statut["points"]
        return (
            "tres_adaptee"
            if p >= 6
            else "adaptee"
            if p >= 3
            else "possible"
            if p >= 0
            else "peu_adaptee"
        )

    classes = sorted(etat.items(), key=lambda kv: (kv[1]["incompatible"], -kv[1]["points"]))
    for rang, (ident, st) in enumerate(classes, start=1):
        entree = r.referentiel.get(ident)
        assert entree is not None
        r.resultats.append(
            {
                "rang": rang,
                "collection": "statuts",
                "id": ident,
                "titre": entree.titre,
                "score": st["points"],
                "adequation": niveau(st),
                "pour": st["pour"],
                "contre": st["contre"],
                "conditions": [
                    " ".join(
                        x
                        for x in (
                            regle.libelle,
                            regle.operateur or "",
                            "" if regle.valeur in (None, True) else f"{regle.valeur}",
                            regle.unite or "",
                        )
                        if x
                    )
                    + (f" ({regle.reference_legale})" if regle.reference_legale else "")
                    for regle in getattr(entree, "regles", [])
                ],
                "avantages": list(getattr(entree, "avantages", [])),
                "limites": list(getattr(entree, "limites", [])),
            }
        )
    nb_reponses = sum(1 for c in EntreeChoixStatut.model_fields if reponses.get(c) is not None)
    compatibles = [x for x in r.resultats if x["adequation"] != "incompatible"]
    if nb_reponses == 0:
        r.conclure("indetermine", "Répondre à quelques questions pour classer les statuts")
    elif not compatibles:
        r.conclure(
            "aucun_statut",
            "Aucune forme ne convient telle quelle : revoir les réponses ou la répartition envisagée",
        )
    else:
        meilleur = compatibles[0]
        r.conclure("classement", f"Forme la plus adaptée à vos réponses : {meilleur['titre']}")
        r.suite(meilleur["id"], "Fiche de la forme la mieux classée")
        if meilleur["id"] == "statut-cae":
            r.suite("disp-cae", "Trouver une CAE près de chez soi")
        if meilleur["id"] == "statut-scic":
            r.suite("coop-scic", "La SCIC comme cadre de coopération territoriale")
    r.suite("disp-cress", "La CRESS oriente vers les accompagnateurs de la création en ESS")


DIAGNOSTIC = enregistrer(
    Diagnostic(
        nom="choix-statut",
        titre="Choix de statut",
        description="Association, Scop, SCIC, CAE ou société commerciale de l'ESS ? Classe les "
        "formes juridiques selon les caractéristiques du projet, avec leurs conditions légales, "
        "avantages et limites, et vérifie une répartition envisagée du capital et des voix.",
        modele=EntreeChoixStatut,
        moteur=moteur,
    )
)
