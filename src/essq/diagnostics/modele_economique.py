"""Diagnostic « modele-socio-economique »: which of the three models, which ratios, which risks.

Resource types, their category (marchande, non marchande, non monétaire) and whether they are
public money come from the référentiel (``ressources``); the three models and their dominant
resources from ``modeles_socio_economiques`` (seed 002 L198-213, seed 000 §3.4). The risk
thresholds the seeds describe without figures are ESS Quartiers marks (``seuils.yaml``,
« origine: essq ») and say so.
"""

from __future__ import annotations

from pydantic import Field

from essq.diagnostics.cadre import Diagnostic, ModeleEntree, Rapport, enregistrer
from essq.diagnostics.seuils import euros, pourcentage, seuil

# input field -> ressource of the référentiel (shared ids)
CHAMPS_RESSOURCES = {
    "ventes_privees": "res-ventes-privees",
    "commande_publique": "res-commande-publique",
    "subventions_fonctionnement": "res-subventions-fonctionnement",
    "subventions_projet": "res-subventions-projet",
    "dons_mecenat": "res-dons-mecenat",
    "cotisations": "res-cotisations",
    "aides_emploi": "res-aides-emploi",
    "benevolat_valorise": "res-benevolat",
    "contributions_nature": "res-contributions-nature",
}
RESSOURCES_PROPRES = ("ventes_privees", "commande_publique", "cotisations")
SOURCE_MODELES = "Graine 002, « Trois grands types de modèles socio-économiques » (L198-213) ; graine 000, L620-652"


def _montant(titre: str, description: str) -> float | None:
    return Field(default=None, ge=0, le=1e12, title=titre, description=description)  # type: ignore[no-any-return]


class Financeur(ModeleEntree):
    nom: str = Field(
        min_length=1,
        max_length=200,
        title="Financeur",
        description="Nom du financeur ou du client.",
    )
    montant: float = Field(
        ge=0, le=1e12, title="Montant (€)", description="Montant annuel apporté, en euros."
    )
    public: bool | None = Field(
        default=None,
        title="Financeur public",
        description="Collectivité, État ou organisme public ?",
    )


class EntreeModele(ModeleEntree):
    ventes_privees: float | None = _montant(
        "Ventes à des clients privés (€)",
        "Ventes de biens et services à des particuliers ou entreprises, en euros par an.",
    )
    commande_publique: float | None = _montant(
        "Commande publique (€)", "Chiffre d'affaires de marchés publics, en euros par an."
    )
    subventions_fonctionnement: float | None = _montant(
        "Subventions de fonctionnement (€)", "Subventions non affectées, en euros par an."
    )
    subventions_projet: float | None = _montant(
        "Subventions de projet (€)", "Subventions affectées et appels à projets, en euros par an."
    )
    dons_mecenat: float | None = _montant(
        "Dons, mécénat, fondations (€)",
        "Dons de particuliers, mécénat d'entreprise, fondations, en euros par an.",
    )
    cotisations: float | None = _montant(
        "Cotisations et adhésions (€)", "Cotisations des membres, en euros par an."
    )
    aides_emploi: float | None = _montant(
        "Aides publiques à l'emploi (€)",
        "Aides aux postes (IAE, adultes-relais, contrats aidés…), en euros par an.",
    )
    benevolat_valorise: float | None = _montant(
        "Bénévolat valorisé (€)",
        "Valeur du temps bénévole (heures × taux horaire retenu), en euros par an.",
    )
    contributions_nature: float | None = _montant(
        "Contributions en nature valorisées (€)",
        "Locaux, matériel ou personnel mis à disposition, valorisés en euros par an.",
    )
    financeurs: list[Financeur] = Field(
        default_factory=list,
        max_length=200,
        title="Principaux financeurs et clients",
        description="Financeurs et clients avec leur montant, pour mesurer la dépendance au premier d'entre eux.",
    )
    couts_directs: float | None = _montant(
        "Coûts directs de l'activité (€)",
        "Charges directement liées à l'activité (production, personnel de terrain), en euros par an.",
    )
    couts_coordination_support: float | None = _montant(
        "Coûts de coordination et fonctions support (€)",
        "Animation, coordination, direction, gestion, comptabilité, locaux communs : ce qui fait le « juste prix » de l'activité, en euros par an.",
    )


def moteur(e: EntreeModele, r: Rapport) -> None:
    ref = r.referentiel
    r.avertissement = (
        "Lecture indicative du modèle économique à partir des montants saisis ; les repères de "
        "risque sont proposés par ESS Quartiers quand les graines ne les chiffrent pas."
    )
    montants = {champ: getattr(e, champ) for champ in CHAMPS_RESSOURCES}
    connus = {c: v for c, v in montants.items() if v is not None}
    if not connus or sum(connus.values()) <= 0:
        r.conclure("indetermine", "Saisir la répartition des ressources pour situer le modèle")
        for champ in CHAMPS_RESSOURCES:
            r.manque(champ, str(EntreeModele.model_fields[champ].description))
        return
    for champ in CHAMPS_RESSOURCES:
        if montants[champ] is None:
            r.manque(champ, f"{EntreeModele.model_fields[champ].title} : montant (0 si aucun) ?")

    categorie = {
        c: getattr(ref.get(rid), "categorie", None) for c, rid in CHAMPS_RESSOURCES.items()
    }
    publique = {c: getattr(ref.get(rid), "publique", None) for c, rid in CHAMPS_RESSOURCES.items()}
    total = sum(connus.values())
    monetaire = sum(v for c, v in connus.items() if categorie[c] != "non_monetaire")
    non_monetaire = total - monetaire

    # classification: the model whose dominant resources (référentiel) weigh most
    poids: dict[str, float] = {}
    for modele in ref.collection("modeles_socio_economiques"):
        dominantes = set(getattr(modele, "ressources_dominantes", []))
        poids[modele.id] = (
            100 * sum(v for c, v in connus.items() if CHAMPS_RESSOURCES[c] in dominantes) / total
        )
    classement = sorted(poids.items(), key=lambda kv: -kv[1])
    premier, second = classement[0], classement[1] if len(classement) > 1 else (None, 0.0)
    ecart = seuil("mse-ecart-hybride")
    entree_premier = ref.get(premier[0])
    assert entree_premier is not None
    hybride = second[0] is not None and ecart.respecte(premier[1] - second[1])
    r.raison(
        "modele-dominant",
        SOURCE_MODELES,
        f"Les ressources caractéristiques du modèle « {entree_premier.titre} » pèsent "
        f"{pourcentage(premier[1])} des ressources valorisées"
        + (f", contre {pourcentage(second[1])} pour le suivant." if second[0] else "."),
        "information",
    )
    r.resultats.extend(
        {
            "rang": i,
            "collection": "modeles_socio_economiques",
            "id": mid,
            "titre": getattr(ref.get(mid), "titre", mid),
            "part_ressources": round(p, 2),
        }
        for i, (mid, p) in enumerate(classement, start=1)
    )
    if hybride and second[0] is not None:
        entree_second = ref.get(second[0])
        r.raison(
            "modele-hybride",
            ecart.source,
            f"Moins de {ecart.valeur:g} points séparent les deux premiers modèles : le modèle est hybride "
            f"(« {entree_premier.titre} » et « {getattr(entree_second, 'titre', second[0])} »).",
            "information",
        )
        r.conclure("hybride", f"Modèle hybride, à dominante {entree_premier.titre.lower()}")
    else:
        r.conclure(premier[0], entree_premier.titre)
    r.suite(
        premier[0], "Modèle socio-économique le plus proche : caractéristiques, risques, exemples"
    )

    # ratios
    propres = sum(connus.get(c, 0.0) for c in RESSOURCES_PROPRES)
    public = sum(v for c, v in connus.items() if publique[c] and categorie[c] != "non_monetaire")
    r.indicateurs.update(
        {
            "total_ressources_valorisees": total,
            "ressources_monetaires": monetaire,
            "part_ressources_propres": 100 * propres / monetaire if monetaire else None,
            "part_argent_public": 100 * public / monetaire if monetaire else None,
            "part_non_monetaire": 100 * non_monetaire / total,
        }
    )
    if monetaire > 0:
        r.raison(
            "ressources-propres",
            "Grille de pérennité, critère « autonomie financière » (graine 004, L698)",
            f"Ressources propres (ventes, commande publique, cotisations) : {pourcentage(100 * propres / monetaire)} "
            "des produits monétaires.",
            "information",
        )
        s_public = seuil("mse-part-argent-public")
        part_public = 100 * public / monetaire
        if s_public.respecte(part_public):
            r.raison(
                "dependance-arbitrages-publics",
                s_public.source,
                f"L'argent public représente {pourcentage(part_public)} des produits monétaires "
                f"({s_public.texte} déclenche l'alerte) : le modèle dépend des arbitrages des pouvoirs "
                "publics, risque propre au modèle 2. Rechercher des financements pluriannuels et diversifier.",
                "alerte",
            )
            r.suite(
                "lev004-1-1",
                "Les subventions pluriannuelles sécurisent un modèle dépendant de l'argent public",
            )
        s_marche = seuil("mse-part-marchande-concurrence")
        part_ventes = (
            100
            * (connus.get("ventes_privees", 0.0) + connus.get("commande_publique", 0.0))
            / monetaire
        )
        if s_marche.respecte(part_ventes):
            r.raison(
                "exposition-concurrence",
                s_marche.source,
                f"Les ventes représentent {pourcentage(part_ventes)} des produits monétaires : le modèle "
                "est exposé à la concurrence sur ses marchés, risque propre au modèle 3.",
                "alerte",
            )
            r.suite(
                "lev004-3",
                "Une commande publique responsable ouvre des débouchés aux entreprises de l'ESS",
            )
    else:
        r.raison(
            "ressources-monetaires",
            SOURCE_MODELES,
            "Aucune ressource monétaire : le projet repose entièrement sur le bénévolat et les contributions en nature.",
            "alerte",
        )

    # dependence on the first funder
    s_dep = seuil("mse-dependance-premier-financeur")
    if e.financeurs:
        principal = max(e.financeurs, key=lambda f: f.montant)
        base = max(monetaire, sum(f.montant for f in e.financeurs))
        if base > 0:
            part = 100 * principal.montant / base
            r.indicateurs["dependance_premier_financeur"] = part
            dependant = s_dep.respecte(part)
            r.raison(
                "dependance-premier-financeur",
                s_dep.source,
                f"Le premier financeur ({principal.nom}) apporte {pourcentage(part)} des produits monétaires"
                + (
                    " : dépendance forte, à réduire en diversifiant les financeurs."
                    if dependant
                    else "."
                ),
                "alerte" if dependant else "information",
            )
        if sum(f.montant for f in e.financeurs) > monetaire * 1.001 and monetaire > 0:
            r.raison(
                "coherence-financeurs",
                SOURCE_MODELES,
                f"La somme des financeurs ({euros(sum(f.montant for f in e.financeurs))}) dépasse les ressources "
                f"monétaires saisies ({euros(monetaire)}) : vérifier les montants.",
                "alerte",
            )
    else:
        r.manque(
            "financeurs", "Quels sont les principaux financeurs et clients, avec leur montant ?"
        )

    # volunteer-only fragility (model 1)
    s_ben = seuil("mse-part-benevolat-fragilite")
    part_nm = 100 * non_monetaire / total
    if s_ben.respecte(part_nm) and not (e.couts_coordination_support or 0) > 0:
        r.raison(
            "fragilite-benevolat",
            s_ben.source,
            f"Le bénévolat et les contributions en nature représentent {pourcentage(part_nm)} des ressources "
            "valorisées sans fonction d'animation financée : risque d'essoufflement, propre au modèle 1.",
            "alerte",
        )
        r.suite(
            "crit-11-mobilisation-parties-prenantes",
            "Critère de pérennité lié à la mobilisation des parties prenantes",
        )

    # full cost (« juste prix »)
    if e.couts_directs is None or e.couts_coordination_support is None:
        r.manque(
            "couts_coordination_support",
            "Quels sont les coûts directs et les coûts de coordination et fonctions support (juste prix) ?",
        )
        r.raison(
            "juste-prix",
            "Graine 002 (modèle 2 : sous-financement du coût réel) ; graine 000, L630-650",
            "Sans les coûts directs et de coordination, le coût complet (« juste prix ») de l'activité ne peut pas être comparé aux ressources.",
            "inconnue",
        )
    else:
        cout_complet = e.couts_directs + e.couts_coordination_support
        r.indicateurs["cout_complet"] = cout_complet
        if cout_complet > 0:
            couverture = 100 * monetaire / cout_complet
            r.indicateurs["couverture_cout_complet"] = couverture
            part_support = 100 * e.couts_coordination_support / cout_complet
            r.raison(
                "juste-prix",
                "Graine 002 (modèle 2 : sous-financement du coût réel) ; graine 000, L630-650",
                f"Coût complet {euros(cout_complet)} dont {pourcentage(part_support)} de coordination et fonctions "
                f"support ; les ressources monétaires en couvrent {pourcentage(couverture)}."
                + (
                    " Le prix payé par les financeurs ne couvre pas le coût réel : négocier un financement au juste prix."
                    if couverture < 100
                    else ""
                ),
                "alerte" if couverture < 100 else "information",
            )
    for critere in ref.collection("criteres_perennite"):
        if getattr(critere, "famille", None) == "modele_economique" and getattr(
            critere, "numero", None
        ) in (1, 4):
            r.suite(critere.id, "Critère de pérennité lié à l'équilibre des ressources")


DIAGNOSTIC = enregistrer(
    Diagnostic(
        nom="modele-socio-economique",
        titre="Modèle socio-économique",
        description="Notre modèle économique est-il fragile ? Situe la structure parmi les trois "
        "modèles socio-économiques de l'ESS en QPV, calcule ressources propres, part d'argent "
        "public, dépendance au premier financeur, poids du bénévolat et couverture du coût complet "
        "(juste prix), et signale les risques que décrivent les graines.",
        modele=EntreeModele,
        moteur=moteur,
    )
)
