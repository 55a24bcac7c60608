"""Diagnostic « perennite »: the perennity grid of seed 004 (prerequisite + 17 criteria).

The criteria, their family, questions and the levers and schemes that address each one come
from the référentiel (``criteres_perennite``). Answers use a four-step scale; the seed names
the criteria without scoring them, so the scale and the family thresholds are ESS Quartiers
marks (``seuils.yaml``). The output carries a chart-ready series (one axis per criterion).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, create_model

from essq.diagnostics.cadre import Diagnostic, ModeleEntree, Rapport, enregistrer
from essq.diagnostics.seuils import pourcentage, seuil

SOURCE_GRILLE = (
    "004_737dac3eb2a78ca3.txt, annexe 1 « grille de critérisation de la pérennité » (L686-768)"
)


class Niveau(StrEnum):
    absent = "absent"
    fragile = "fragile"
    correct = "correct"
    solide = "solide"
    ne_sait_pas = "ne_sait_pas"


POINTS = {"absent": 0, "fragile": 1, "correct": 2, "solide": 3}
FAMILLES = {
    "modele_economique": "Structure de coûts et de revenus",
    "gouvernance_organisation": "Profil et compétences de l'équipe",
    "ancrage_territorial": "Partenaires et écosystème de la structure",
}
NUMEROS = range(0, 18)


def champ(numero: int) -> str:
    return f"critere_{numero:02d}"


EntreePerennite: type[ModeleEntree] = create_model(  # type: ignore[call-overload]
    "EntreePerennite",
    __base__=ModeleEntree,
    **{
        champ(n): (
            Niveau | None,
            Field(
                default=None,
                title=f"Critère n° {n}" if n else "Prérequis",
                description="absent, fragile, correct, solide, ou ne_sait_pas (titre et questions "
                "du critère dans le schéma enrichi par le référentiel).",
            ),
        )
        for n in NUMEROS
    },
)


def enrichir_schema(schema: dict[str, Any], referentiel: Any) -> None:
    """Put each criterion's title and guiding questions from the référentiel in the schema."""
    par_numero = {getattr(c, "numero", -1): c for c in referentiel.collection("criteres_perennite")}
    for n in NUMEROS:
        critere = par_numero.get(n)
        propriete = schema.get("properties", {}).get(champ(n))
        if critere is None or propriete is None:
            continue
        propriete["title"] = ("Prérequis : " if n == 0 else f"{n}. ") + critere.titre
        propriete["description"] = (
            f"{getattr(critere, 'definition', critere.description)} Questions : "
            + " ".join(getattr(critere, "questions", []))
            + " Réponse : absent, fragile, correct, solide ou ne_sait_pas."
        )


def moteur(e: Any, r: Rapport) -> None:
    ref = r.referentiel
    r.avertissement = (
        "Auto-évaluation : la grille de la graine 004 n'est ni exhaustive ni notée, l'importance de "
        "chaque critère varie selon le territoire et le secteur. Le profil sert à ouvrir la discussion "
        "avec les partenaires, pas à juger la structure."
    )
    criteres = sorted(ref.collection("criteres_perennite"), key=lambda c: getattr(c, "numero", 0))
    s_fragile, s_solide, s_faible = (
        seuil("perennite-critere-fragile"),
        seuil("perennite-famille-solide"),
        seuil("perennite-famille-fragile"),
    )
    axes: list[dict[str, Any]] = []
    par_famille: dict[str, list[int]] = {f: [] for f in FAMILLES}
    faibles = []
    renseignes = 0
    for critere in criteres:
        n = getattr(critere, "numero", 0)
        reponse = getattr(e, champ(n), None)
        famille = getattr(critere, "famille", "")
        points = POINTS.get(str(reponse)) if reponse is not None else None
        axes.append(
            {
                "critere": critere.id,
                "numero": n,
                "titre": critere.titre,
                "famille": famille,
                "valeur": points,
                "maximum": 3,
            }
        )
        if points is None:
            r.manque(
                champ(n), f"{critere.titre} : {' '.join(getattr(critere, 'questions', [])[:1])}"
            )
            continue
        renseignes += 1
        if famille in par_famille:
            par_famille[famille].append(points)
        if s_fragile.respecte(points):
            faibles.append((critere, points))

    profils = []
    for famille, notes in par_famille.items():
        score = 100 * sum(notes) / (3 * len(notes)) if notes else None
        etat = (
            "non_renseignee"
            if score is None
            else "solide"
            if s_solide.respecte(score)
            else "fragile"
            if s_faible.respecte(score)
            else "a_consolider"
        )
        profils.append(
            {
                "famille": famille,
                "libelle": FAMILLES[famille],
                "score": None if score is None else round(score, 1),
                "criteres_renseignes": len(notes),
                "etat": etat,
            }
        )
        if score is not None:
            r.raison(
                f"profil-{famille}",
                f"{SOURCE_GRILLE} ; {s_solide.source}",
                f"Famille « {FAMILLES[famille]} » : {pourcentage(score)} du maximum sur {len(notes)} critère(s) "
                f"renseigné(s) ({etat.replace('_', ' ')}).",
                "information",
            )
    r.indicateurs["profil_par_famille"] = profils  # type: ignore[assignment]
    r.graphique = {
        "type": "radar",
        "echelle": {"min": 0, "max": 3, "libelles": list(POINTS)},
        "axes": axes,
        "familles": profils,
    }

    for critere, points in faibles:
        leviers = [i for i in getattr(critere, "leviers", []) if ref.get(i) is not None]
        dispositifs = [i for i in getattr(critere, "dispositifs", []) if ref.get(i) is not None]
        r.resultats.append(
            {
                "collection": "criteres_perennite",
                "id": critere.id,
                "titre": critere.titre,
                "famille": getattr(critere, "famille", ""),
                "valeur": points,
                "leviers": [{"id": i, "titre": getattr(ref.get(i), "titre", i)} for i in leviers],
                "dispositifs": [
                    {"id": i, "titre": getattr(ref.get(i), "titre", i)} for i in dispositifs
                ],
            }
        )
        r.raison(
            f"critere-fragile-{getattr(critere, 'numero', 0):02d}",
            SOURCE_GRILLE,
            f"« {critere.titre} » est {('absent' if points == 0 else 'fragile')} : "
            f"{len(leviers)} levier(s) et {len(dispositifs)} dispositif(s) du référentiel y répondent.",
            "alerte",
        )
        for ident in leviers + dispositifs:
            r.suite(ident, f"Répond au critère fragile « {critere.titre} »")

    total = len(criteres)
    minimum = seuil("perennite-reponses-minimum")
    prerequis = getattr(e, champ(0), None)
    if total == 0 or not minimum.respecte(100 * renseignes / total):
        r.conclure(
            "indetermine",
            f"{renseignes} critère(s) renseigné(s) sur {total} : compléter la grille pour conclure",
        )
    elif prerequis is not None and POINTS.get(str(prerequis), 3) <= s_fragile.valeur:
        r.raison(
            "prerequis",
            SOURCE_GRILLE,
            "Le prérequis (adéquation des solutions aux besoins du territoire) est fragile : c'est la "
            "condition de toute pérennité selon la grille, à traiter en premier.",
            "non_remplie",
        )
        r.conclure(
            "prerequis_fragile",
            "Prérequis fragile : revoir d'abord l'adéquation aux besoins du territoire",
        )
    else:
        etats = [p["etat"] for p in profils if p["etat"] != "non_renseignee"]
        if etats and all(x == "solide" for x in etats):
            r.conclure("solide", "Profil solide sur les trois familles de critères")
        elif "fragile" in etats:
            r.conclure("fragile", "Au moins une famille de critères est fragile")
        else:
            r.conclure("a_consolider", "Profil à consolider sur certains critères")


DIAGNOSTIC = enregistrer(
    Diagnostic(
        nom="perennite",
        titre="Pérennité",
        description="Allons-nous durer ? Auto-évaluation sur la grille de pérennité de la graine 004 "
        "(un prérequis et 17 critères en trois familles) : profil par famille, critères fragiles et, "
        "pour chacun, les leviers et dispositifs du référentiel qui y répondent ; sortie prête pour un graphique radar.",
        modele=EntreePerennite,
        moteur=moteur,
        enrichir_schema=enrichir_schema,
    )
)
