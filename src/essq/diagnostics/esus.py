"""Diagnostic « agrement-esus »: pre-diagnosis of the ESUS agrément (code du travail, L3332-17-1).

Encodes the law in force, not the seeds' shorthand: seed 000 (focus ESUS, L559) writes a pay
scale « de 1 à 5 et 1 à 7 », whereas article L3332-17-1, I, 3° caps the average of the five
highest full-time pays at 7 times the annual SMIC and the highest at 10 times. The operating
expenses criterion (≥ 66 %) and its alternative come from article R3332-21-1 (décret
n° 2015-719). Always a pre-diagnosis: the DDETS instructs and the prefect decides.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from essq.diagnostics.cadre import Diagnostic, ModeleEntree, Rapport, enregistrer, libelles
from essq.diagnostics.qualification_ess import regle_utilite_sociale
from essq.diagnostics.regles import Conclusion, a_completer, booleen, condition, et
from essq.diagnostics.seuils import euros, pourcentage, seuil, smic_a
from essq.diagnostics.vocabulaire import (
    FORMES_ESS_PAR_STATUT,
    LIBELLE_FORME,
    FormeJuridique,
    ImpactObjectif4,
    ObjectifUtiliteSociale,
)

L3332 = "Code du travail, art. L3332-17-1"
GRAINE_000 = "000_aec176e962352d18.txt, focus « L'agrément ESUS » (L545-564)"


class CategorieDeDroit(StrEnum):
    """Structures agréées de plein droit (L3332-17-1, II), under conditions 3° and 4°."""

    aucune = "aucune"
    entreprise_insertion = "entreprise_insertion"
    entreprise_travail_temporaire_insertion = "entreprise_travail_temporaire_insertion"
    association_intermediaire = "association_intermediaire"
    atelier_chantier_insertion = "atelier_chantier_insertion"
    organisme_insertion_sociale = "organisme_insertion_sociale"
    aide_sociale_enfance = "aide_sociale_enfance"
    chrs = "chrs"
    regie_de_quartier = "regie_de_quartier"
    entreprise_adaptee = "entreprise_adaptee"
    centre_distribution_travail_domicile = "centre_distribution_travail_domicile"
    esat = "esat"
    organisme_agree_maitrise_ouvrage_insertion = "organisme_agree_maitrise_ouvrage_insertion"
    association_fondation_rup_utilite_sociale = "association_fondation_rup_utilite_sociale"
    oacas = "oacas"
    etablissement_handicap = "etablissement_handicap"


LIBELLE_DE_DROIT = {
    "entreprise_insertion": "entreprise d'insertion",
    "entreprise_travail_temporaire_insertion": "entreprise de travail temporaire d'insertion",
    "association_intermediaire": "association intermédiaire",
    "atelier_chantier_insertion": "atelier et chantier d'insertion",
    "organisme_insertion_sociale": "organisme d'insertion sociale (CASF, art. L121-2)",
    "aide_sociale_enfance": "service de l'aide sociale à l'enfance",
    "chrs": "centre d'hébergement et de réinsertion sociale",
    "regie_de_quartier": "régie de quartier",
    "entreprise_adaptee": "entreprise adaptée",
    "centre_distribution_travail_domicile": "centre de distribution de travail à domicile",
    "esat": "établissement et service d'aide par le travail",
    "organisme_agree_maitrise_ouvrage_insertion": "organisme agréé de maîtrise d'ouvrage d'insertion (CCH, art. L365-1)",
    "association_fondation_rup_utilite_sociale": "association ou fondation reconnue d'utilité publique recherchant une utilité sociale",
    "oacas": "organisme d'accueil communautaire et d'activités solidaires (CASF, art. L265-1)",
    "etablissement_handicap": "établissement ou service pour enfants et adultes handicapés (CASF, art. L312-1, I, 2°, 3° et 7°)",
}

# structures_inclusion of the référentiel matching a category (shared ids)
SI_DE_DROIT = {
    "entreprise_insertion": "si-ei",
    "entreprise_travail_temporaire_insertion": "si-etti",
    "association_intermediaire": "si-ai",
    "atelier_chantier_insertion": "si-aci",
    "regie_de_quartier": "si-regie-de-quartier",
    "entreprise_adaptee": "si-ea",
    "esat": "si-esat",
}


libelles({"aucune": "Aucune", **{k: v[0].upper() + v[1:] for k, v in LIBELLE_DE_DROIT.items()}})


class Exercice(ModeleEntree):
    annee: int | None = Field(
        default=None, ge=1900, le=2100, title="Année", description="Année de clôture de l'exercice."
    )
    charges_utilite_sociale: float = Field(
        ge=0,
        title="Charges d'exploitation des activités d'utilité sociale (€)",
        description="Charges d'exploitation liées aux activités qui participent à la recherche "
        "d'une utilité sociale, en euros.",
    )
    charges_totales: float = Field(
        ge=0,
        title="Total des charges d'exploitation (€)",
        description="Ensemble des charges d'exploitation du compte de résultat, en euros.",
    )


class Rentabilite(ModeleEntree):
    ratio_remuneration_capital: float = Field(
        ge=0,
        le=1000,
        title="Rémunération du capital (%)",
        description="Sur les trois derniers exercices : (dividendes + rémunération des concours "
        "financiers non bancaires) / (capitaux propres + concours financiers non bancaires), en %.",
    )
    taux_moyen_obligations: float = Field(
        ge=-100,
        le=100,
        title="Taux moyen de rendement des obligations des sociétés privées (%)",
        description="Taux de référence publié (article 14 de la loi n° 47-1775), en %.",
    )


class EntreeEsus(ModeleEntree):
    forme_juridique: FormeJuridique | None = Field(
        default=None, title="Forme juridique", description="Forme juridique de la structure."
    )
    structure_de_droit: CategorieDeDroit | None = Field(
        default=None,
        title="Catégorie agréée de plein droit",
        description="La structure est-elle une structure agréée de plein droit (SIAE, entreprise "
        "adaptée, ESAT, régie de quartier, CHRS, association ou fondation reconnue d'utilité "
        "publique…) ? « aucune » sinon.",
    )
    ess_article_1: bool | None = Field(
        default=None,
        title="Structure de l'ESS (article 1 de la loi de 2014)",
        description="La structure remplit-elle les conditions de l'article 1 de la loi ESS ? "
        "(voir le diagnostic « qualification-ess »). Présumé pour les associations, coopératives, "
        "mutuelles et fondations.",
    )
    objectifs_utilite_sociale: list[ObjectifUtiliteSociale] = Field(
        default_factory=list,
        max_length=4,
        title="Objectifs d'utilité sociale poursuivis à titre principal",
        description="Conditions de l'article 2 de la loi de 2014 que la structure poursuit à titre principal.",
    )
    impacts_objectif_4: list[ImpactObjectif4] = Field(
        default_factory=list,
        max_length=3,
        title="Impact associé à l'objectif de développement durable, culture ou solidarité internationale",
        description="Requis si le seul objectif est le 4e (art. 2, 4°).",
    )
    utilite_sociale_dans_statuts: bool | None = Field(
        default=None,
        title="Objectif d'utilité sociale inscrit dans les statuts",
        description="L'objectif d'utilité sociale figure-t-il dans les statuts ? (L3332-17-1, I, 5°)",
    )
    exercices: list[Exercice] = Field(
        default_factory=list,
        max_length=3,
        title="Trois derniers exercices clos",
        description="Charges d'exploitation des trois derniers exercices clos (tous les exercices "
        "clos si la structure a moins de trois ans).",
    )
    rentabilite: Rentabilite | None = Field(
        default=None,
        title="Critère alternatif de rentabilité",
        description="À renseigner si le critère des charges n'est pas rempli : rémunération du "
        "capital comparée au taux des obligations majoré de 5 points.",
    )
    remuneration_moyenne_5_plus_hautes: float | None = Field(
        default=None,
        ge=0,
        title="Moyenne des 5 plus hautes rémunérations annuelles (€)",
        description="Moyenne des sommes versées, primes comprises, aux cinq salariés ou dirigeants "
        "les mieux rémunérés, ramenées à un temps complet, en euros bruts par an.",
    )
    remuneration_plus_haute: float | None = Field(
        default=None,
        ge=0,
        title="Plus haute rémunération annuelle (€)",
        description="Sommes versées, primes comprises, au salarié ou dirigeant le mieux rémunéré, "
        "ramenées à un temps complet, en euros bruts par an.",
    )
    minimum_branche_annuel: float | None = Field(
        default=None,
        ge=0,
        title="Salaire minimum annuel de la branche (€)",
        description="Minimum conventionnel annuel à temps complet, s'il est supérieur au SMIC.",
    )
    date_reference: dt.date | None = Field(
        default=None,
        title="Date de référence",
        description="Date à laquelle apprécier le SMIC (par défaut : aujourd'hui).",
    )
    titres_cotes: bool | None = Field(
        default=None,
        title="Titres de capital cotés",
        description="Des titres de capital de la structure sont-ils admis aux négociations sur un "
        "marché d'instruments financiers ?",
    )
    anciennete_annees: float | None = Field(
        default=None,
        ge=0,
        le=500,
        title="Ancienneté de la structure (années)",
        description="Nombre d'années d'existence à la date de la demande (durée de l'agrément).",
    )


# ---------------------------------------------------------------- rules


def regle_remuneration(e: EntreeEsus, r: Rapport) -> Conclusion:
    """L3332-17-1, I, 3°: average of the 5 highest ≤ 7 × annual SMIC, highest ≤ 10 ×."""
    smic = smic_a(e.date_reference)
    reference = smic.annuel_brut
    base = f"SMIC annuel brut {euros(reference)} ({smic.reference}, en vigueur au {smic.date_effet:%d/%m/%Y})"
    if e.minimum_branche_annuel is not None and e.minimum_branche_annuel > reference:
        reference = e.minimum_branche_annuel
        base = f"minimum annuel de branche {euros(reference)}, supérieur au SMIC"
    note_graine = (
        " Attention : le guide de 2025 (graine 000, L559) indique une échelle « de 1 à 5 et 1 à 7 » ; "
        "ce n'est pas la règle en vigueur, qui compare les rémunérations au SMIC annuel (7 fois pour la "
        "moyenne des cinq plus hautes, 10 fois pour la plus haute) et non au plus bas salaire."
    )
    conclusions: list[Conclusion] = []
    for code, valeur, champ, quoi in (
        (
            "esus-remuneration-moyenne-5",
            e.remuneration_moyenne_5_plus_hautes,
            "remuneration_moyenne_5_plus_hautes",
            "La moyenne des cinq plus hautes rémunérations",
        ),
        (
            "esus-remuneration-plus-haute",
            e.remuneration_plus_haute,
            "remuneration_plus_haute",
            "La plus haute rémunération",
        ),
    ):
        s = seuil(code)
        if valeur is None:
            question = f"{quoi} (temps complet, primes comprises, brut annuel) ?"
            r.raison(code, f"{s.source} ; {GRAINE_000}", question + note_graine, "inconnue")
            r.manque(champ, question)
            conclusions.append("inconnu")
            continue
        multiple = valeur / reference if reference else float("inf")
        conclusions.append(
            condition(
                r,
                code,
                f"{s.source} ; {GRAINE_000}",
                f"{quoi} ({euros(valeur)}) représente {multiple:.2f}".replace(".", ",")
                + f" fois la référence ({base}) ; la loi fixe {s.texte}.",
                s.respecte(round(multiple, 6)),
                note=note_graine,
            )
        )
    if (
        e.remuneration_plus_haute is not None
        and e.remuneration_moyenne_5_plus_hautes is not None
        and e.remuneration_plus_haute < e.remuneration_moyenne_5_plus_hautes
    ):
        r.raison(
            "coherence-remunerations",
            L3332,
            "Réponses incohérentes : la plus haute rémunération ne peut pas être inférieure à la "
            "moyenne des cinq plus hautes. Vérifier les montants saisis.",
            "alerte",
        )
        r.manque(
            "remuneration_plus_haute",
            "Vérifier la plus haute rémunération annuelle (temps complet).",
        )
        return et("inconnu", *conclusions)
    return et(*conclusions)


def regle_titres(e: EntreeEsus, r: Rapport) -> Conclusion:
    return booleen(
        r,
        None if e.titres_cotes is None else not e.titres_cotes,
        "titres-non-cotes",
        f"{L3332}, I, 4°",
        "Aucun titre de capital n'est négocié sur un marché financier : condition remplie.",
        "Des titres de capital négociés sur un marché financier excluent l'agrément.",
        "titres_cotes",
        "Des titres de capital de la structure sont-ils négociés sur un marché financier ?",
    )


def regle_charges(e: EntreeEsus, r: Rapport) -> Conclusion:
    """R3332-21-1: ≥ 66 % of operating expenses, or the alternative profitability ratio."""
    s = seuil("esus-charges-utilite-sociale")
    valides = []
    for i, ex in enumerate(e.exercices):
        nom = f"exercice {ex.annee}" if ex.annee else f"exercice n° {i + 1}"
        if ex.charges_totales <= 0 or ex.charges_utilite_sociale > ex.charges_totales:
            r.raison(
                "coherence-charges",
                s.source,
                f"{nom} : les charges d'utilité sociale ({euros(ex.charges_utilite_sociale)}) ne "
                f"peuvent pas dépasser le total des charges d'exploitation ({euros(ex.charges_totales)}), "
                "qui doit être positif ; exercice écarté du calcul.",
                "alerte",
            )
            r.manque(f"exercices.{i}", f"Vérifier les charges d'exploitation de l'{nom}.")
            continue
        valides.append((nom, ex))
    conclusion: Conclusion = "inconnu"
    if valides:
        total_us = sum(ex.charges_utilite_sociale for _, ex in valides)
        total = sum(ex.charges_totales for _, ex in valides)
        part = 100 * total_us / total
        ok = s.respecte(round(part, 9))
        detail = " ; ".join(
            f"{nom} : {pourcentage(100 * ex.charges_utilite_sociale / ex.charges_totales)}"
            for nom, ex in valides
        )
        condition(
            r,
            "charges-utilite-sociale",
            s.source,
            f"Les charges d'exploitation des activités d'utilité sociale représentent "
            f"{pourcentage(part)} du total sur {len(valides)} exercice(s) ({detail}) ; il en faut "
            f"{s.texte}.",
            ok,
        )
        sous = [
            nom
            for nom, ex in valides
            if not s.respecte(round(100 * ex.charges_utilite_sociale / ex.charges_totales, 9))
        ]
        if ok and sous:
            r.raison(
                "charges-utilite-sociale-par-exercice",
                s.source,
                f"Le texte apprécie la part « au cours des trois derniers exercices clos » : "
                f"{', '.join(sous)} reste(nt) sous le seuil, ce que l'administration peut relever.",
                "alerte",
            )
        conclusion = "oui" if ok else "non"
        if len(valides) < 3 and (e.anciennete_annees is None or e.anciennete_annees >= 3):
            r.manque(
                "exercices",
                "Fournir les trois derniers exercices clos (seule une structure de moins de trois ans "
                "est appréciée sur ses seuls exercices clos).",
            )
            if conclusion == "oui":
                conclusion = "inconnu"
    if conclusion != "oui" and e.rentabilite is not None:
        m = seuil("esus-majoration-rendement")
        plafond = e.rentabilite.taux_moyen_obligations + m.valeur
        ok = e.rentabilite.ratio_remuneration_capital < plafond
        condition(
            r,
            "rentabilite-limitee",
            m.source,
            f"Critère alternatif : la rémunération du capital ({pourcentage(e.rentabilite.ratio_remuneration_capital)}) "
            f"doit rester inférieure au taux moyen des obligations majoré de {m.valeur:g} points "
            f"({pourcentage(plafond)}), et la structure s'engager à le respecter pendant l'agrément.",
            ok,
        )
        if ok:
            return "oui"
        return "non" if conclusion == "non" else "inconnu"
    if not valides and e.rentabilite is None:
        return a_completer(
            r,
            "charges-utilite-sociale",
            s.source,
            "exercices",
            "Quelles sont, pour les trois derniers exercices clos, les charges d'exploitation des "
            "activités d'utilité sociale et le total des charges d'exploitation ?",
        )
    return conclusion


def regle_ess(e: EntreeEsus, r: Rapport) -> Conclusion:
    source = f"{L3332}, I (renvoi à l'article 1 de la loi n° 2014-856)"
    forme = e.forme_juridique
    if forme in ("entreprise_individuelle", "personne_publique"):
        r.raison(
            "structure-ess",
            source,
            f"Une {LIBELLE_FORME[forme]} ne relève pas de l'ESS : l'agrément n'est pas accessible.",
            "non_remplie",
        )
        return "non"
    if forme in FORMES_ESS_PAR_STATUT and e.ess_article_1 is not False:
        r.raison(
            "structure-ess",
            source,
            f"Une {LIBELLE_FORME[forme]} relève de l'ESS par son statut.",
            "remplie",
        )
        return "oui"
    return booleen(
        r,
        e.ess_article_1,
        "structure-ess",
        source,
        "La structure relève de l'ESS.",
        "La structure ne relève pas de l'ESS : l'agrément n'est pas accessible.",
        "ess_article_1",
        "La structure relève-t-elle de l'ESS au sens de l'article 1 ? (diagnostic « qualification-ess »)",
    )


def regle_statuts(e: EntreeEsus, r: Rapport) -> Conclusion:
    return booleen(
        r,
        e.utilite_sociale_dans_statuts,
        "utilite-sociale-statutaire",
        f"{L3332}, I, 5°",
        "L'objectif d'utilité sociale figure dans les statuts (depuis la loi n° 2019-486 dite PACTE, "
        "seule cette condition doit y être inscrite, plus la politique de rémunération).",
        "L'objectif d'utilité sociale doit être inscrit dans les statuts : modifier les statuts avant la demande.",
        "utilite_sociale_dans_statuts",
        "L'objectif d'utilité sociale est-il inscrit dans les statuts ?",
    )


def regle_duree(e: EntreeEsus, r: Rapport) -> None:
    court, long_, anciennete = (
        seuil("esus-duree-agrement-jeune"),
        seuil("esus-duree-agrement"),
        seuil("esus-anciennete-agrement-long"),
    )
    if e.anciennete_annees is None:
        r.raison(
            "duree-agrement",
            long_.source,
            f"L'agrément vaut {long_.valeur:g} ans, ou {court.valeur:g} ans pour une structure de moins de "
            f"{anciennete.valeur:g} ans (graine 000, L551, conforme au texte).",
            "information",
        )
        return
    duree = long_.valeur if anciennete.respecte(e.anciennete_annees) else court.valeur
    r.raison(
        "duree-agrement",
        long_.source,
        f"Avec {e.anciennete_annees:g} an(s) d'existence, l'agrément serait accordé pour {duree:g} ans.",
        "information",
    )
    r.indicateurs["duree_agrement_ans"] = duree


def moteur(e: EntreeEsus, r: Rapport) -> None:
    r.avertissement = (
        "Pré-diagnostic : la décision appartient à la DDETS (préfet du département du siège), qui "
        "instruit le dossier complet ; ce résultat ne vaut pas agrément."
    )
    de_droit = e.structure_de_droit not in (None, "aucune")
    if de_droit:
        libelle = LIBELLE_DE_DROIT[str(e.structure_de_droit)]
        r.raison(
            "agrement-de-plein-droit",
            f"{L3332}, II ; art. R3332-21-3, IV",
            f"Catégorie « {libelle} » : agrément de plein droit, à condition de relever de "
            "l'article 1 de la loi ESS et de respecter la politique de rémunération (3°) et la "
            "condition sur les titres de capital (4°). Le guide de 2025 (graine 000) ne mentionne pas ces structures agréées de plein droit.",
            "remplie",
        )
        conclusion = et(regle_ess(e, r), regle_remuneration(e, r), regle_titres(e, r))
        si = SI_DE_DROIT.get(str(e.structure_de_droit))
        if si:
            r.suite(si, "Fiche de la structure d'inclusion agréée de plein droit")
    else:
        if e.structure_de_droit is None:
            r.manque(
                "structure_de_droit",
                "La structure est-elle agréée de plein droit (SIAE, entreprise adaptée, ESAT, régie de "
                "quartier…) ? Répondre « aucune » sinon.",
            )
        conclusion = et(
            regle_ess(e, r),
            regle_utilite_sociale(list(e.objectifs_utilite_sociale), list(e.impacts_objectif_4), r),
            regle_statuts(e, r),
            regle_charges(e, r),
            regle_remuneration(e, r),
            regle_titres(e, r),
        )
    regle_duree(e, r)
    r.suite("disp-agrement-esus", "Fiche de l'agrément ESUS : démarche et avantages")
    if conclusion == "oui":
        r.conclure(
            "eligible_de_droit" if de_droit else "eligible_probable",
            "Agrément de plein droit probable : constituer le dossier justificatif"
            if de_droit
            else "Conditions réunies d'après vos réponses : la demande peut être déposée",
        )
        r.suite(
            "disp-france-active", "La finance solidaire est accessible aux structures agréées ESUS"
        )
    elif conclusion == "non":
        r.conclure("non_eligible", "Au moins une condition de l'agrément n'est pas remplie")
        r.suite("disp-dla", "Un accompagnement peut aider à faire évoluer statuts et modèle")
    else:
        r.conclure("indetermine", "Informations à compléter pour conclure (voir « manquant »)")
    r.suite("disp-cress", "La CRESS aide en cas de doute sur l'appartenance à l'ESS")


DIAGNOSTIC = enregistrer(
    Diagnostic(
        nom="agrement-esus",
        titre="Agrément ESUS (pré-diagnostic)",
        description="Pouvons-nous obtenir l'agrément « entreprise solidaire d'utilité sociale » ? "
        "Vérifie les conditions de l'article L3332-17-1 du code du travail (utilité sociale, poids "
        "des charges d'utilité sociale, échelle des rémunérations, titres non cotés, statuts) et "
        "les structures agréées de plein droit. La décision appartient à la DDETS.",
        modele=EntreeEsus,
        moteur=moteur,
    )
)
