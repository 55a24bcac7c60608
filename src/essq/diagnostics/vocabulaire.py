"""Enumerations shared by several diagnostics (values in French, as users say them)."""

from __future__ import annotations

from enum import StrEnum

from essq.diagnostics.cadre import StatutRaison, libelles
from essq.diagnostics.seuils import pourcentage


class FormeJuridique(StrEnum):
    association = "association"
    cooperative = "cooperative"
    mutuelle = "mutuelle"
    fondation = "fondation"
    fonds_de_dotation = "fonds_de_dotation"
    societe_commerciale = "societe_commerciale"
    entreprise_individuelle = "entreprise_individuelle"
    personne_publique = "personne_publique"
    autre = "autre"


FORMES_ESS_PAR_STATUT = {
    FormeJuridique.association,
    FormeJuridique.cooperative,
    FormeJuridique.mutuelle,
    FormeJuridique.fondation,
}

# forme juridique -> famille of the référentiel (shared ids of /tmp/ids.md)
FAMILLE_DE_FORME = {
    "association": "famille-association",
    "cooperative": "famille-cooperative",
    "mutuelle": "famille-mutuelle",
    "fondation": "famille-fondation",
    "fonds_de_dotation": "famille-fondation",
    "societe_commerciale": "famille-societe-commerciale-ess",
}

LIBELLE_FORME = {
    "association": "association",
    "cooperative": "coopérative",
    "mutuelle": "mutuelle ou société d'assurance mutuelle",
    "fondation": "fondation",
    "fonds_de_dotation": "fonds de dotation",
    "societe_commerciale": "société commerciale (SARL, SAS, SA…)",
    "entreprise_individuelle": "entreprise individuelle ou micro-entreprise",
    "personne_publique": "personne publique (collectivité, établissement public)",
    "autre": "autre forme",
}


class ObjectifUtiliteSociale(StrEnum):
    """The four conditions of article 2 of the 2014 law (as amended by the loi PACTE, 2019)."""

    soutien_personnes_fragiles = "soutien_personnes_fragiles"
    lien_social_cohesion_territoriale = "lien_social_cohesion_territoriale"
    education_citoyennete = "education_citoyennete"
    developpement_durable_culture_solidarite_internationale = (
        "developpement_durable_culture_solidarite_internationale"
    )


class ImpactObjectif4(StrEnum):
    """The three impacts one of which the 4th objective requires (art. 2, 4°)."""

    soutien_publics_vulnerables = "soutien_publics_vulnerables"
    solidarites_territoriales = "solidarites_territoriales"
    education_citoyennete = "education_citoyennete"


ARTICLE_2 = (
    "Loi n° 2014-856 du 31 juillet 2014, art. 2 (rédaction issue de la loi n° 2019-486, dite PACTE)"
)


class Tri(StrEnum):
    """Three-valued answers for forms: oui, non, ne sait pas."""

    oui = "oui"
    non = "non"
    ne_sait_pas = "ne_sait_pas"


def tri(valeur: bool | None) -> StatutRaison:
    return "inconnue" if valeur is None else ("remplie" if valeur else "non_remplie")


def fmt_pct(x: float) -> str:
    return pourcentage(x)


libelles(
    {
        **{k: v[0].upper() + v[1:] for k, v in LIBELLE_FORME.items()},
        "soutien_personnes_fragiles": "Soutien à des personnes en situation de fragilité",
        "lien_social_cohesion_territoriale": "Lien social et cohésion territoriale",
        "education_citoyennete": "Éducation à la citoyenneté",
        "developpement_durable_culture_solidarite_internationale": "Développement durable, "
        "transition énergétique, promotion culturelle ou solidarité internationale",
        "soutien_publics_vulnerables": "Soutien à des publics vulnérables",
        "solidarites_territoriales": "Maintien ou recréation de solidarités territoriales",
        "idee": "Idée",
        "emergence": "Émergence",
        "creation": "Création",
        "developpement": "Développement",
        "consolidation": "Consolidation",
        "changement_echelle": "Changement d'échelle",
        "accompagnement": "Accompagnement",
        "financement": "Financement",
        "locaux": "Locaux",
        "reseau": "Réseau",
        "formation": "Formation",
        "expertise": "Expertise",
        "debouches": "Débouchés (clients, commande publique)",
        "commune": "Commune",
        "epci": "EPCI (communauté de communes, d'agglomération)",
        "metropole": "Métropole",
        "departement": "Département",
        "region": "Région",
        "individuel": "Une seule personne",
        "collectif": "Un groupe",
        "marchande": "Surtout des ventes",
        "mixte": "Ventes et soutiens publics ou privés",
        "non_marchande": "Surtout des subventions, dons et cotisations",
        "limites": "Limités",
        "moyens": "Moyens",
        "importants": "Importants",
        "absent": "Absent (0)",
        "fragile": "Fragile (1)",
        "correct": "Correct (2)",
        "solide": "Solide (3)",
        "ne_sait_pas": "Je ne sais pas",
    }
)
