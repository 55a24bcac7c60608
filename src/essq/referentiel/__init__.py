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

__all__ = [
    "COLLECTIONS",
    "DOSSIER_DONNEES",
    "LIENS",
    "SEEDS",
    "Entree",
    "IdentifiantInconnu",
    "Lien",
    "Origine",
    "Probleme",
    "Referentiel",
    "ReferentielInvalide",
    "charger",
    "valider",
    "vider_cache",
]
