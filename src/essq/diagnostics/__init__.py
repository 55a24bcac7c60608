"""Rule engines that explain their verdicts with sources.

Belongs here: the diagnostics (qualification ESS, pré-diagnostic ESUS, choix de statut,
modèle socio-économique, pérennité, leviers pour une collectivité, orientation d'un porteur
de projet), their rules and thresholds as data, and their JSON input and output schemas.
Depends on referentiel (and territoires for places).

Layout:

- ``cadre.py``: the registry (:class:`~essq.diagnostics.cadre.Diagnostic`), input validation
  with French errors naming the field, and the one output shape every engine returns
  (``verdict``, ``resultats``, ``raisons``, ``manquant``, ``suites``, ``avertissement``,
  ``indicateurs``, ``graphique``).
- ``seuils.py`` + ``donnees/seuils.yaml``, ``donnees/smic.yaml``: every threshold with its
  legal reference, date in force and date checked; ``donnees/*.yaml``: ranking rules of the
  engines (choix de statut, leviers, publics) and the INSEE région table.
- one module per diagnostic, each rule a small function with its source.

Usage::

    from essq.diagnostics import lister, schema, executer
    lister()                                  # [{"nom", "titre", "description"}, …]
    schema("agrement-esus")                   # JSON schema of the input (French titles)
    executer("agrement-esus", {...})          # the JSON answer; ErreurUtilisateur if bad input
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from essq.diagnostics import (  # noqa: F401  (importing registers the seven diagnostics)
    choix_statut,
    esus,
    leviers,
    modele_economique,
    orientation,
    perennite,
    qualification_ess,
)
from essq.diagnostics.cadre import REGISTRE, Diagnostic, Rapport
from essq.diagnostics.cadre import executer as _executer
from essq.diagnostics.cadre import lister as _lister
from essq.diagnostics.cadre import schema as _schema

ORDRE = (
    "qualification-ess",
    "agrement-esus",
    "choix-statut",
    "modele-socio-economique",
    "perennite",
    "leviers-collectivite",
    "orientation",
)


def lister() -> list[dict[str, Any]]:
    """Every diagnostic: ``{"nom", "titre", "description"}``, in the order of the issue."""
    fiches = {f["nom"]: f for f in _lister()}
    return [dict(fiches[n]) for n in ORDRE if n in fiches]


def schema(nom: str) -> dict[str, Any]:
    """JSON schema of a diagnostic's input (every field has a French title and description).

    Raises :class:`~essq.erreurs.ErreurUtilisateur` for an unknown name.
    """
    return _schema(nom)


def executer(nom: str, entree: dict[str, Any], *, home: Path | str | None = None) -> dict[str, Any]:
    """Run a diagnostic on a JSON-like input and return its JSON answer.

    ``home`` is the data folder where imported territories are looked up to place a commune
    or a QPV (default: ``ESSQ_HOME``); the diagnostics work without any imported data.

    Raises :class:`~essq.erreurs.ErreurUtilisateur` for an unknown name or an invalid input
    (``champ`` names the field at fault, e.g. ``exercices.0.charges_totales``).
    """
    return _executer(nom, entree, home=home)


__all__ = ["ORDRE", "REGISTRE", "Diagnostic", "Rapport", "executer", "lister", "schema"]
