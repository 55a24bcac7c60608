"""Legal projections by territory, and the diagnosis of coordinates in the wrong system."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from essq.territoires import epsg_legal
from essq.territoires.projections import PAR_EPSG, diagnostic_coordonnees, transformer


@pytest.mark.parametrize(
    "code,epsg",
    [
        ("93066", 2154),
        ("2A004", 2154),
        ("75", 2154),
        ("00001", 2154),
        ("97105", 5490),
        ("97209", 5490),
        ("97701", 5490),
        ("97801", 5490),
        ("97302", 2972),
        ("97411", 2975),
        ("97611", 4471),
        ("97502", 4467),
        ("974", 2975),
        ("98735", 3297),
    ],
)
def test_epsg_legal(code: str, epsg: int) -> None:
    assert epsg_legal(code) == epsg


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([2154, 5490, 2972, 2975, 4471, 4467]), st.floats(0, 1), st.floats(0, 1))
def test_aller_retour_projection_legale(epsg: int, u: float, v: float) -> None:
    x0, y0, x1, y1 = PAR_EPSG[epsg].bornes
    lon, lat = np.array([x0 + u * (x1 - x0)]), np.array([y0 + v * (y1 - y0)])
    x, y = transformer(lon, lat, 4326, epsg)
    lon2, lat2 = transformer(x, y, epsg, 4326)
    assert np.allclose(lon2, lon, atol=1e-7) and np.allclose(lat2, lat, atol=1e-7)


def test_diagnostics() -> None:
    assert "Lambert-93" in diagnostic_coordonnees(
        np.array([652_000.0]), np.array([6_862_000.0]), 4326
    )
    assert "UTM" in diagnostic_coordonnees(np.array([338_000.0]), np.array([7_688_000.0]), 4326)
    assert "inversées" in diagnostic_coordonnees(
        np.array([48.85, 48.9]), np.array([2.35, 2.3]), 4326
    )
    assert "degrés" in diagnostic_coordonnees(np.array([2.35]), np.array([48.85]), 2154)
    assert diagnostic_coordonnees(np.array([2.35]), np.array([48.85]), 4326) is None
    assert diagnostic_coordonnees(np.array([np.nan]), np.array([np.nan]), 4326) is None


_CODES = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["", "  ", "93066", "2A004", "97105", " 97411", "97611", "98735", "975"]),
    st.text(alphabet="0123456789AB ", max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CODES, max_size=40))
def test_epsg_legaux_comme_epsg_legal_ligne_a_ligne(codes: list[object]) -> None:
    """Batch projections (numpy or Arrow input) equal the row-by-row rule; blank → 0."""
    import pyarrow as pa

    from essq.territoires.projections import epsg_legaux

    attendu = [epsg_legal(str(c)) if isinstance(c, str) and c.strip() else 0 for c in codes]
    assert epsg_legaux(np.array(codes, dtype=object)).tolist() == attendu
    texte = [c if isinstance(c, str) else None for c in codes]
    assert epsg_legaux(pa.array(texte, pa.string())).tolist() == attendu
    assert epsg_legaux(pa.chunked_array([pa.array(texte, pa.string())])).tolist() == attendu
