"""Values written inline in DuckDB SQL (essq.sql): every value comes back unchanged, and no
text can escape its literal."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from essq.erreurs import ErreurUtilisateur
from essq.sql import lier, litteral

con = duckdb.connect()


@given(st.text().filter(lambda t: "\x00" not in t))
def test_un_texte_revient_tel_quel(texte: str) -> None:
    assert con.execute(lier("SELECT ?, 'a?b', ?", [texte, 1])).fetchone() == (texte, "a?b", 1)


@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**62), max_value=2**62),
        st.floats(allow_nan=False, allow_infinity=False),
        st.dates(min_value=dt.date(1, 1, 1)),
    )
)
def test_une_valeur_revient_telle_quelle(valeur: object) -> None:
    assert con.execute(f"SELECT {litteral(valeur)}").fetchone() == (valeur,)


def test_injection_impossible() -> None:
    piege = "x' OR 1=1; DROP TABLE t; --"
    con.execute("CREATE OR REPLACE TABLE t (a VARCHAR)")
    con.execute("INSERT INTO t VALUES ('y')")
    assert con.execute(lier("SELECT count(*) FROM t WHERE a = ?", [piege])).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)


@pytest.mark.parametrize(
    ("requete", "valeurs"),
    [("SELECT ?", []), ("SELECT ?", [1, 2]), ("SELECT '?'", [1])],
)
def test_nombre_de_valeurs_verifie(requete: str, valeurs: list) -> None:
    with pytest.raises(ValueError):
        lier(requete, valeurs)


@pytest.mark.parametrize("valeur", [float("nan"), float("inf"), object()])
def test_valeurs_refusees(valeur: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        litteral(valeur)


def test_caractere_nul_erreur_utilisateur() -> None:
    """A NUL character (an API parameter with %00) is the user's error, answered with a 4xx."""
    with pytest.raises(ErreurUtilisateur):
        litteral("a\x00b")


def test_types_numpy_et_dates_avec_fuseau() -> None:
    import numpy as np

    assert con.execute(
        f"SELECT {litteral(np.float64(1.5))}, {litteral(np.int64(7))}, {litteral(np.bool_(True))}"
    ).fetchone() == (1.5, 7, True)
    paris = dt.datetime(2026, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert con.execute(f"SELECT {litteral(paris)}").fetchone() == (dt.datetime(2026, 1, 1, 8),)
