"""Access to the diagnostics engines (essq.diagnostics: ``lister``, ``schema``, ``executer``).

An unknown diagnostic name is a 404; invalid input is a 400 with the field at fault (the
engines raise ErreurUtilisateur with ``champ``).
"""

from __future__ import annotations

from typing import Any

from essq.api.service import Introuvable


def _moteur() -> Any:
    import essq.diagnostics as diagnostics

    if not all(hasattr(diagnostics, f) for f in ("lister", "schema", "executer")):
        raise Introuvable(
            "Aucun diagnostic n'est disponible dans cette version.",
            correctif="mettre à jour ESS Quartiers.",
        )
    return diagnostics


def disponibles() -> bool:
    try:
        _moteur()
    except Introuvable:
        return False
    return True


def lister() -> list[dict[str, Any]]:
    return list(_moteur().lister())


def _verifier(nom: str) -> Any:
    moteur = _moteur()
    noms = [d.get("nom") for d in moteur.lister()]
    if nom not in noms:
        raise Introuvable(
            f"Diagnostic inconnu : {nom}.",
            champ="nom",
            correctif=f"choisir parmi : {', '.join(str(n) for n in noms)}.",
        )
    return moteur


def schema(nom: str) -> dict[str, Any]:
    return dict(_verifier(nom).schema(nom))


def executer(nom: str, entree: dict[str, Any]) -> dict[str, Any]:
    return dict(_verifier(nom).executer(nom, entree))


def description(nom: str) -> dict[str, Any]:
    for d in _verifier(nom).lister():
        if d.get("nom") == nom:
            return dict(d)
    raise Introuvable(f"Diagnostic inconnu : {nom}.", champ="nom")
