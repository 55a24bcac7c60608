"""Building blocks of the legal conditions checked by the diagnostics.

A condition concludes « oui », « non » or « inconnu » and always leaves one reason (rule code,
source, French explanation) in the report; an unanswered one also names the missing field and
the question to ask. Conditions combine with :func:`et`: one « non » settles it, otherwise
one « inconnu » leaves it open.
"""

from __future__ import annotations

from typing import Literal

from essq.diagnostics.cadre import Rapport
from essq.diagnostics.vocabulaire import tri

Conclusion = Literal["oui", "non", "inconnu"]

# Closing sentence of an explanation, when the condition is met / not met.
CONDITION = ("Condition remplie.", "Condition non remplie.")


def et(*valeurs: Conclusion) -> Conclusion:
    """All conditions together: « non » if one fails, else « inconnu » if one is open."""
    if "non" in valeurs:
        return "non"
    return "inconnu" if "inconnu" in valeurs else "oui"


def a_completer(r: Rapport, regle: str, source: str, champ: str, question: str) -> Conclusion:
    """An unanswered condition: the question is the reason, and the field is missing."""
    r.raison(regle, source, question, "inconnue")
    r.manque(champ, question)
    return "inconnu"


def condition(
    r: Rapport,
    regle: str,
    source: str,
    texte: str,
    ok: bool,
    *,
    fin: tuple[str, str] | None = CONDITION,
    note: str = "",
) -> Conclusion:
    """A condition the answers settle: ``texte``, then ``fin`` (met / not met), then ``note``."""
    if fin is not None:
        texte = f"{texte} {fin[0] if ok else fin[1]}"
    r.raison(regle, source, texte + note, "remplie" if ok else "non_remplie")
    return "oui" if ok else "non"


def booleen(
    r: Rapport,
    valeur: bool | None,
    regle: str,
    source: str,
    oui: str,
    non: str,
    champ: str,
    question: str,
) -> Conclusion:
    """A yes/no condition: explanation ``oui`` or ``non``, or ``question`` while unanswered."""
    if valeur is None:
        return a_completer(r, regle, source, champ, question)
    r.raison(regle, source, oui if valeur else non, tri(valeur))
    return "oui" if valeur else "non"
