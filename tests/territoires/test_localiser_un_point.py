"""The single-point path of ``Territoires.localiser`` (used by GET /api/v1/qpv/localiser)
against the batch path, on the real QPV 2024 contours of ../shared/data."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from essq.territoires import Territoires

pytestmark = pytest.mark.shared_data


def test_un_point_donne_la_meme_ligne_que_le_lot(t: Territoires, qpv) -> None:
    """The single-point path (API's GET /qpv/localiser) answers exactly as the batch path:
    points inside, near and away from QPV, overseas, swapped, out of range and missing."""
    rng = np.random.default_rng(7)
    geoms = shapely.from_wkb(np.array(qpv.column("geometrie").to_pylist()[::7], dtype=object))
    centres = shapely.point_on_surface(geoms)
    lon = np.concatenate(
        [
            shapely.get_x(centres) + rng.normal(0, 0.01, len(centres)),
            rng.uniform(-5, 9, 300),
            [55.45, 45.1, -61.0, 2.35, 48.85, 200.0, np.nan, -179.9],
        ]
    )
    lat = np.concatenate(
        [
            shapely.get_y(centres) + rng.normal(0, 0.01, len(centres)),
            rng.uniform(41, 51.5, 300),
            [-20.9, -12.8, 14.6, 48.85, 2.35, 10.0, 45.0, -45.0],
        ]
    )
    lot = t.localiser_lot(lon, lat, epsg=4326).to_pylist()
    rapides = 0
    for i, attendu in enumerate(lot):
        ligne = t._ligne_point_wgs84(float(lon[i]), float(lat[i]), ["2024"])
        if ligne is None:  # left to the batch path
            continue
        rapides += 1
        assert ligne == attendu, i
    assert rapides > 400
