"""SQL text for DuckDB with values written inline as literals.

Why not bound parameters: binding any parameter makes DuckDB's Python client (1.4) import
pandas, about 0.2 s, which was most of the time of a short command such as
``essq indicateurs``. Values are therefore written as SQL literals, quoted here and only
here: text between single quotes with quotes doubled (DuckDB has no backslash escapes in
standard string literals), integers as digits, floats as exact doubles, dates as ``DATE '…'``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from essq.erreurs import ErreurUtilisateur


def litteral(valeur: Any) -> str:
    """``valeur`` as a DuckDB SQL literal (text, number, boolean, date, None)."""
    if valeur is None:
        return "NULL"
    if isinstance(valeur, bool) or getattr(getattr(valeur, "dtype", None), "kind", "") == "b":
        return "TRUE" if valeur else "FALSE"
    if isinstance(valeur, numbers.Integral):
        return str(int(valeur))
    if isinstance(valeur, numbers.Real):
        reel = float(valeur)
        if not math.isfinite(reel):
            raise ValueError(f"nombre non fini : {reel!r}")
        return f"CAST('{reel!r}' AS DOUBLE)"  # a bare 1.5 would be a DECIMAL
    if isinstance(valeur, dt.datetime):
        if valeur.tzinfo is not None:  # a TIMESTAMP literal would drop the offset: UTC
            valeur = valeur.astimezone(dt.UTC).replace(tzinfo=None)
        return f"TIMESTAMP '{valeur.isoformat(sep=' ')}'"
    if isinstance(valeur, dt.date):
        return f"DATE '{valeur.isoformat()}'"
    if isinstance(valeur, Path):
        valeur = str(valeur)
    if isinstance(valeur, str):
        if "\x00" in valeur:
            raise ErreurUtilisateur(
                "Caractère nul dans une valeur",
                correctif="Retirer le caractère nul (%00) de la valeur envoyée.",
            )
        return "'" + valeur.replace("'", "''") + "'"
    raise TypeError(f"type non pris en charge dans une requête : {type(valeur).__name__}")


def lier(requete: str, parametres: Sequence[Any] = ()) -> str:
    """``requete`` with each ``?`` placeholder (outside quoted text) replaced by the literal of
    the next value of ``parametres``; the counts must match."""
    valeurs = list(parametres)
    # split on quotes: even pieces are outside quoted text (a doubled quote inside a literal
    # gives an empty piece in between, which keeps the parity right)
    morceaux = requete.split("'")
    utilises = 0
    for i in range(0, len(morceaux), 2):
        if "?" not in morceaux[i]:
            continue
        sous = morceaux[i].split("?")
        n = len(sous) - 1
        if utilises + n > len(valeurs):
            raise ValueError("plus de « ? » que de valeurs dans la requête")
        morceaux[i] = sous[0] + "".join(
            litteral(valeurs[utilises + j]) + sous[j + 1] for j in range(n)
        )
        utilises += n
    if utilises != len(valeurs):
        raise ValueError(f"{len(valeurs)} valeurs pour {utilises} « ? » dans la requête")
    return "'".join(morceaux)
