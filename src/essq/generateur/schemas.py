"""Column lists of INSEE's current SIRENE stock files, in file order, with Parquet types.

Names and order follow the ``StockEtablissement`` and ``StockUniteLegale`` files published
since 2025-12-16 (with the ``activitePrincipaleNAF25…`` columns). In the CSV every value is
text; in Parquet, code columns (siren, nic, siret, commune, NAF, tranche, coordinates — which
may hold the literal ``[ND]``) are strings, dates are ``date32``, the last-processing time is
a timestamp, ``etablissementSiege``/``unitePurgeeUniteLegale`` are booleans and the counts
are integers.
"""

from __future__ import annotations

import pyarrow as pa

_ADRESSE = (
    "complementAdresse{n}Etablissement",
    "numeroVoie{n}Etablissement",
    "indiceRepetition{n}Etablissement",
    "dernierNumeroVoie{n}Etablissement",
    "indiceRepetitionDernierNumeroVoie{n}Etablissement",
    "typeVoie{n}Etablissement",
    "libelleVoie{n}Etablissement",
    "codePostal{n}Etablissement",
    "libelleCommune{n}Etablissement",
    "libelleCommuneEtranger{n}Etablissement",
    "distributionSpeciale{n}Etablissement",
    "codeCommune{n}Etablissement",
    "codeCedex{n}Etablissement",
    "libelleCedex{n}Etablissement",
    "codePaysEtranger{n}Etablissement",
    "libellePaysEtranger{n}Etablissement",
)

COLONNES_ETABLISSEMENT: tuple[str, ...] = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    *(c.format(n="") for c in _ADRESSE),
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    # The second address has no "dernierNumeroVoie" pair: 14 fields.
    *(
        c.format(n="2")
        for c in _ADRESSE
        if not c.startswith(("dernierNumeroVoie", "indiceRepetitionDernierNumeroVoie"))
    ),
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "activitePrincipaleNAF25Etablissement",
)

COLONNES_UNITE_LEGALE: tuple[str, ...] = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
)

# Historical stocks: one row per period of each unit, in INSEE's column order.
COLONNES_ETABLISSEMENT_HISTORIQUE: tuple[str, ...] = (
    "siret",
    "dateFin",
    "dateDebut",
    "etatAdministratifEtablissement",
    "changementEtatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "changementEnseigneEtablissement",
    "denominationUsuelleEtablissement",
    "changementDenominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "changementActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "changementCaractereEmployeurEtablissement",
)
COLONNES_UNITE_LEGALE_HISTORIQUE: tuple[str, ...] = (
    "siren",
    "dateFin",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "changementEtatAdministratifUniteLegale",
    "nomUniteLegale",
    "changementNomUniteLegale",
    "nomUsageUniteLegale",
    "changementNomUsageUniteLegale",
    "denominationUniteLegale",
    "changementDenominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "changementDenominationUsuelleUniteLegale",
    "categorieJuridiqueUniteLegale",
    "changementCategorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "changementActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "changementNicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "changementEconomieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "changementSocieteMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "changementCaractereEmployeurUniteLegale",
)

_DATES = {
    "dateCreationEtablissement",
    "dateDebut",
    "dateFin",
    "dateCreationUniteLegale",
}
_HORODATAGES = {"dateDernierTraitementEtablissement", "dateDernierTraitementUniteLegale"}
_BOOLEENS = {"etablissementSiege", "unitePurgeeUniteLegale"}
_ENTIERS = {
    "nombrePeriodesEtablissement",
    "nombrePeriodesUniteLegale",
    "anneeEffectifsEtablissement",
    "anneeEffectifsUniteLegale",
    "anneeCategorieEntreprise",
}


def type_parquet(colonne: str) -> pa.DataType:
    """Arrow type of a column in the Parquet variant (everything else is a string)."""
    if colonne.startswith("changement"):
        return pa.bool_()
    if colonne in _DATES:
        return pa.date32()
    if colonne in _HORODATAGES:
        return pa.timestamp("s")
    if colonne in _BOOLEENS:
        return pa.bool_()
    if colonne in _ENTIERS:
        return pa.int32()
    return pa.string()


SCHEMA_ETABLISSEMENT = pa.schema([(c, type_parquet(c)) for c in COLONNES_ETABLISSEMENT])
SCHEMA_UNITE_LEGALE = pa.schema([(c, type_parquet(c)) for c in COLONNES_UNITE_LEGALE])
SCHEMA_ETABLISSEMENT_HISTORIQUE = pa.schema(
    [(c, type_parquet(c)) for c in COLONNES_ETABLISSEMENT_HISTORIQUE]
)
SCHEMA_UNITE_LEGALE_HISTORIQUE = pa.schema(
    [(c, type_parquet(c)) for c in COLONNES_UNITE_LEGALE_HISTORIQUE]
)

# File names as INSEE publishes them (the CSV is distributed zipped; we write it plain).
FICHIER_ETABLISSEMENTS = "StockEtablissement_utf8"
FICHIER_UNITES_LEGALES = "StockUniteLegale_utf8"
FICHIER_ETABLISSEMENTS_HISTORIQUE = "StockEtablissementHistorique_utf8"
FICHIER_UNITES_LEGALES_HISTORIQUE = "StockUniteLegaleHistorique_utf8"

# Masked value of non-diffusible fields (statutDiffusion… = P).
NON_DIFFUSE = "[ND]"
