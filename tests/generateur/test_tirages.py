"""Stratified draws: each category gets its expected count, so a small territory shows the
shares it was calibrated for (the demo's headline figures depend on it)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from essq.generateur.modele import tirer_dans, tirer_oui, uniformes_stratifiees


@given(n=st.integers(1, 2000), graine=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_une_uniforme_par_strate(n: int, graine: int) -> None:
    u = uniformes_stratifiees(np.random.default_rng(graine), n)
    assert ((u >= 0) & (u < 1)).all()
    assert sorted(np.floor(u * n).astype(int).tolist()) == list(range(n))


@given(
    poids=st.lists(st.floats(0.0, 10.0), min_size=1, max_size=12).filter(lambda p: sum(p) > 0),
    n=st.integers(0, 3000),
    graine=st.integers(0, 2**32 - 1),
)
@settings(max_examples=80, deadline=None)
def test_effectifs_par_modalite_au_plus_pres(poids: list[float], n: int, graine: int) -> None:
    p = np.array(poids) / sum(poids)
    tirage = tirer_dans(np.random.default_rng(graine), [str(i) for i in range(len(p))], p, n)
    assert ((tirage >= 0) & (tirage < len(p))).all()
    comptes = np.bincount(tirage, minlength=len(p))
    assert (np.abs(comptes - n * p) < 2).all()
    assert comptes[p == 0].sum() == 0


def test_tirer_oui_respecte_masque_et_proportion() -> None:
    rng = np.random.default_rng(7)
    masque = np.zeros(1000, dtype=bool)
    masque[::3] = True  # 334 rows
    oui = tirer_oui(rng, 0.25, masque)
    assert not oui[~masque].any()
    assert abs(int(oui.sum()) - 0.25 * masque.sum()) < 2
    # With one probability per row the count is not exact, but stays close to expected.
    p = np.where(np.arange(1000) < 500, 0.1, 0.5)
    oui = tirer_oui(rng, p, np.ones(1000, dtype=bool))
    assert abs(int(oui.sum()) - p.sum()) < 25
