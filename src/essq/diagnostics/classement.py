"""Ranking référentiel entries for a diagnostic (levers of a collectivité, schemes for a
project holder): linked examples, ranks, and the conclusion naming the best ones."""

from __future__ import annotations

from typing import Any

from essq.diagnostics.cadre import Rapport


def initiatives_liees(ref: Any, entree: Any) -> list[str]:
    """Ids of the initiatives an entry cites, then of those citing it (in this order, repeats kept)."""
    ids = list(getattr(entree, "initiatives", []))
    ids += [
        lien.source for lien in ref.retroliens(entree.id) if lien.collection_source == "initiatives"
    ]
    return ids


def classer(r: Rapport, notes: list[tuple[float, dict[str, Any]]], limite: int) -> None:
    """Keep the ``limite`` best results (score descending, then id), numbered from 1."""
    notes.sort(key=lambda t: (-t[0], t[1]["id"]))
    for rang, (_, res) in enumerate(notes[:limite], start=1):
        res["rang"] = rang
        r.resultats.append(res)


def conclure_classement(
    r: Rapport,
    code: str,
    proposes: str,
    suite: str,
    code_vide: str,
    texte_vide: str,
) -> None:
    """Conclude on the ranking: « N <proposes>, en tête : … » and the top three as next steps,
    or ``texte_vide`` when nothing matched."""
    if r.resultats:
        r.conclure(code, f"{len(r.resultats)} {proposes}, en tête : {r.resultats[0]['titre']}")
        for res in r.resultats[:3]:
            r.suite(res["id"], suite)
    else:
        r.conclure(code_vide, texte_vide)
