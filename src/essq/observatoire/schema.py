"""What the observatory reads and writes: required qualified columns, indicator definitions.

Everything user-facing here (descriptions, labels) is French: it feeds the XLSX column sheet,
``essq indicateurs`` output and docs/indicateurs.md.
"""

from __future__ import annotations

# Columns of the qualified establishments table (contract with essq.sirene) that the build
# reads. Per-millésime columns (qpv_M, distance_qpv_M_m, qpv_proche_M) are checked separately.
COLONNES_REQUISES: tuple[str, ...] = (
    "siret",
    "siren",
    "etat",
    "date_creation",
    "statut_diffusion",
    "denomination",
    "enseigne",
    "categorie_juridique",
    "famille_ess",
    "ess",
    "secteur_public",
    "naf",
    "secteur_ess",
    "tranche_effectif",
    "effectif_bas",
    "effectif_central",
    "effectif_haut",
    "employeur",
    "code_commune",
    "departement",
    "lon",
    "lat",
    "statut_position",
)


# Columns the build reads for ESS establishments only (the establishments table): the
# temporary qualified table of ``essq construire`` leaves them empty on the other rows.
COLONNES_ESS_SEULEMENT: tuple[str, ...] = (
    "siret",
    "siren",
    "denomination",
    "enseigne",
    "lon",
    "lat",
)


def colonnes_millesime(millesime: str) -> tuple[str, str, str]:
    return (f"qpv_{millesime}", f"distance_qpv_{millesime}_m", f"qpv_proche_{millesime}")


NIVEAUX: tuple[str, ...] = ("qpv", "commune", "epci", "departement", "region", "france")
PERIMETRES: tuple[str, ...] = ("ensemble", "en_qpv", "hors_qpv")

# Additive measures stored per territory / perimeter / stock date / millésime, with their
# French definition. Shares are derived from them at read time.
MESURES: dict[str, str] = {
    "etablissements_ess": "Établissements actifs de l'ESS (état administratif A)",
    "etablissements_ess_employeurs": "Établissements actifs de l'ESS employeurs",
    "effectif_ess_bas": "Effectif salarié ESS, borne basse des tranches d'effectif",
    "effectif_ess_central": "Effectif salarié ESS, estimation centrale (milieu de tranche)",
    "effectif_ess_haut": "Effectif salarié ESS, borne haute des tranches d'effectif",
    "etablissements_actifs": "Établissements actifs, tous secteurs",
    "etablissements_employeurs": "Établissements actifs employeurs, tous secteurs",
    "effectif_total": "Effectif salarié estimé (central), tous secteurs",
    "effectif_total_bas": "Effectif salarié, borne basse, tous secteurs",
    "effectif_total_haut": "Effectif salarié, borne haute, tous secteurs",
    "effectif_prive": "Effectif salarié estimé (central) hors secteur public",
    "effectif_action_sociale": "Effectif salarié estimé (central) de l'action sociale (NAF 87 et 88)",
    "effectif_ess_action_sociale": "Effectif salarié ESS estimé (central) de l'action sociale",
    "etablissements_ess_300m": "Établissements ESS actifs hors QPV à 300 m ou moins d'un QPV "
    "(quartier vécu ; pour un QPV : ceux dont c'est le QPV le plus proche)",
    "etablissements_ess_1km": "Établissements ESS actifs hors QPV à 1 km ou moins d'un QPV "
    "(quartier vécu ; pour un QPV : ceux dont c'est le QPV le plus proche)",
    "etablissements_ess_sans_position": "Établissements ESS actifs sans coordonnées "
    "(rattachés à leur commune ; jamais comptés en QPV)",
}

PARTS: dict[str, str] = {
    "part_ess_emploi": "effectif_ess_central / effectif_total",
    "part_ess_emploi_prive": "effectif_ess_central / effectif_prive",
    "part_ess_emploi_action_sociale": "effectif_ess_action_sociale / effectif_action_sociale",
    "part_ess_employeurs": "etablissements_ess_employeurs / etablissements_employeurs",
}

DESCRIPTION_PARTS: dict[str, str] = {
    "part_ess_emploi": "Part de l'ESS dans l'emploi salarié (estimation centrale)",
    "part_ess_emploi_prive": "Part de l'ESS dans l'emploi salarié privé",
    "part_ess_emploi_action_sociale": "Part de l'ESS dans l'emploi de l'action sociale",
    "part_ess_employeurs": "Part de l'ESS parmi les établissements employeurs",
}

# Breakdowns stored in the long table ``repartitions``.
DIMENSIONS: dict[str, str] = {
    "famille": "Famille juridique de l'ESS (établissements ESS actifs)",
    "secteur": "Secteur d'activité de l'observatoire (tous établissements actifs ; "
    "part ESS de l'emploi dans le secteur)",
    "taille": "Classe de taille selon la tranche d'effectif (établissements ESS actifs)",
    "creation": "Période de création de l'établissement (établissements ESS actifs)",
}

MESURES_REPARTITION: dict[str, str] = {
    "etablissements_ess": "Établissements ESS actifs de la modalité",
    "etablissements_ess_employeurs": "Établissements ESS actifs employeurs de la modalité",
    "effectif_ess_bas": "Effectif ESS, borne basse",
    "effectif_ess_central": "Effectif ESS, estimation centrale",
    "effectif_ess_haut": "Effectif ESS, borne haute",
    "etablissements_actifs": "Établissements actifs tous secteurs de la modalité",
    "effectif_total": "Effectif total estimé (central) de la modalité",
}

LIBELLES_MODALITES: dict[str, dict[str, str]] = {
    "taille": {
        "sans_salarie": "Sans salarié (NN ou 00)",
        "1_9": "1 à 9 salariés",
        "10_49": "10 à 49 salariés",
        "50_249": "50 à 249 salariés",
        "250_plus": "250 salariés ou plus",
        "inconnue": "Tranche inconnue",
    },
    "creation": {
        "avant_1980": "Créé avant 1980",
        "1980_1999": "Créé de 1980 à 1999",
        "2000_2009": "Créé de 2000 à 2009",
        "2010_2019": "Créé de 2010 à 2019",
        "depuis_2020": "Créé en 2020 ou après",
        "inconnue": "Date de création inconnue",
    },
}

# Version of the warehouse's table layout: a warehouse of another version is rebuilt, not read.
VERSION_SCHEMA_ENTREPOT = 1

LICENCE = "Licence Ouverte / Open Licence version 2.0 (Etalab)"
