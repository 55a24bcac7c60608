"""The seeds' knowledge as validated, linked, searchable data.

Belongs here: the pydantic schema of each collection, the YAML entries written by experts
(donnees/), validation (unique ids, resolvable links, sources), full-text search with French
stemming, and exports (Frictionless Data Package, JSON). Depends on nothing else in essq
but the shared plumbing (erreurs, fichiers, console).

Usage::

    from essq.referentiel import charger
    ref = charger()                      # cached, validated
    ref.collection("dispositifs")        # list of entries
    ref.get("disp-dla"), ref.collection_de("disp-dla")
    ref.chercher("coopérative", filtres={"stades": "creation"})
"""

from typing import TYPE_CHECKING

from essq.paresseux import attributs_paresseux

__all__ = [
    "COLLECTIONS",
    "DOSSIER_DONNEES",
    "Entree",
    "IdentifiantInconnu",
    "LIENS",
    "Lien",
    "Origine",
    "Probleme",
    "Referentiel",
    "ReferentielInvalide",
    "SEEDS",
    "charger",
    "valider",
    "vider_cache",
]

if TYPE_CHECKING:
    from essq.referentiel.modele import (
        IdentifiantInconnu,
        Lien,
        Origine,
        Referentiel,
        ReferentielInvalide,
        charger,
        valider,
        vider_cache,
    )
    from essq.referentiel.schemas import COLLECTIONS, LIENS, SEEDS, Entree
    from essq.referentiel.validation import DOSSIER_DONNEES, Probleme

__getattr__ = attributs_paresseux(
    __name__,
    {
        "COLLECTIONS": "essq.referentiel.schemas",
        "DOSSIER_DONNEES": "essq.referentiel.validation",
        "Entree": "essq.referentiel.schemas",
        "IdentifiantInconnu": "essq.referentiel.modele",
        "LIENS": "essq.referentiel.schemas",
        "Lien": "essq.referentiel.modele",
        "Origine": "essq.referentiel.modele",
        "Probleme": "essq.referentiel.validation",
        "Referentiel": "essq.referentiel.modele",
        "ReferentielInvalide": "essq.referentiel.modele",
        "SEEDS": "essq.referentiel.schemas",
        "charger": "essq.referentiel.modele",
        "valider": "essq.referentiel.modele",
        "vider_cache": "essq.referentiel.modele",
    },
)
