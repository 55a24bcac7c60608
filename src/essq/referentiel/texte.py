"""French text analysis for search: accent folding, tokenising, stop words, Snowball stemming.

A word is indexed under up to two terms: the Snowball stem of the accented word with its
accents then removed, and the stem of the accent-free word. Users type « mobilite » as often
as « mobilité », and the French stemmer does not give the same stem to both (« mobilit » /
« mobil »); indexing both variants makes the match exact either way.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

MOTS_VIDES = frozenset(
    """
    a à au aux avec c ce ces cet cette d dans de des du elle elles en entre est et être
    il ils j je l la le les leur leurs lui m ma mais me mes moi mon n ne ni nos notre nous
    on ou où par pas pour qu que qui s sa se ses si son sont sur t ta te tes toi ton tu un
    une vos votre vous y ont été sans sous leurs dont ceux celle celles chez afin ainsi
    """.split()  # noqa: SIM905
)

MOT = re.compile(r"[0-9a-zà-öø-ÿœæ]+", re.IGNORECASE)
_verrou = threading.Lock()
_stemmer = Stemmer.Stemmer("french")


def _table_sans_accents() -> dict[int, str]:
    table: dict[int, str] = {ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss"}
    for code in range(0xC0, 0x250):
        caractere = chr(code)
        if code in table:
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", caractere) if not unicodedata.combining(c)
        )
        if base != caractere:
            table[code] = base
    return table


_SANS_ACCENTS = _table_sans_accents()


def sans_accents(texte: str) -> str:
    """Lowercase ``texte`` and remove diacritics (« Économie » -> « economie »)."""
    plat = texte.lower().translate(_SANS_ACCENTS)
    if plat.isascii():
        return plat
    decompose = unicodedata.normalize("NFKD", plat)
    return "".join(c for c in decompose if not unicodedata.combining(c))


def mots(texte: str) -> list[str]:
    """Lowercase words of ``texte`` (accents kept), without stop words."""
    return [m for m in MOT.findall(texte.lower()) if m not in MOTS_VIDES and len(m) > 0]


@lru_cache(maxsize=200_000)
def termes_du_mot(mot: str) -> tuple[str, ...]:
    """The index terms of one lowercase word (one or two stem variants, accent-free)."""
    with _verrou:  # PyStemmer objects are not thread-safe
        accentue = _stemmer.stemWord(mot)
        plat = sans_accents(mot)
        du_plat = _stemmer.stemWord(plat)
    premier = sans_accents(accentue)
    return (premier,) if premier == du_plat else (premier, du_plat)


def analyser(texte: str) -> list[tuple[str, ...]]:
    """Each significant word of ``texte`` as its tuple of index terms, in order."""
    return [termes_du_mot(m) for m in mots(texte)]
