"""Accent- and case-insensitive text keys for names of places."""

from __future__ import annotations

import re
import unicodedata

_ABREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normaliser(texte: str) -> str:
    """'Saint-Denis' / 'ST DENIS' / 'saint denis' → 'saint denis'; œ → oe; accents dropped."""
    t = unicodedata.normalize("NFKD", str(texte).replace("œ", "oe").replace("Œ", "Oe"))
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    mots = [_ABREVIATIONS.get(m, m) for m in _NON_ALNUM.sub(" ", t).split()]
    return " ".join(mots)
