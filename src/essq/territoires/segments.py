"""Exact distance from many points to the nearest QPV boundary, compiled with numba.

GEOS measures the distance from a point to a polygon's boundary by visiting every segment
(``shapely.distance`` has no indexed variant for a point and a polygon): for the national
stock, 42 million points against polygons of up to a few hundred vertices, that was the
largest single cost of the qualification. This module computes the same minimum over the
same segments, with the same formula as GEOS (``algorithm::Distance::pointToSegment``), so
the distances are the ones GEOS gives (checked by the tests), but it skips segments that
cannot be the nearest:

- the boundary of each polygon is cut into blocks of ``TAILLE_BLOC`` consecutive segments,
  each with its bounding box;
- for a point, the candidate polygons are those of its cell in the distance grid of
  :class:`essq.territoires.index.IndexZone` (computed once for the territory); a polygon or a
  block is measured only when the distance to its bounding box does not exceed the best
  distance found so far (with the same relative margin as the rest of the index, so that a
  rounding error never drops the true nearest one).

Ties are broken as everywhere in the index: the smallest polygon index (smallest code) wins.

numba is imported only here, and this module only when a batch of distances is asked for:
the single-point path (the API's ``localiser``) and every command that needs no distance do
not pay its import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numba import njit

TAILLE_BLOC = 16  # segments per block: a box test per 16 segments, 16 segments per hit
_MARGE_RELATIVE = 1e-9
_MARGE_ABSOLUE = 1e-9


@dataclass(frozen=True)
class Segments:
    """Boundary segments of indexed polygons, grouped by polygon then by block.

    Coordinates are interleaved (one row per segment, one per box) so that a segment or a
    box is one memory access: a batch visits blocks of different polygons point after point.
    """

    segments: np.ndarray  # (n, 4) float64: ax, ay, bx, by
    bloc_ptr: np.ndarray  # segments of block k: bloc_ptr[k] .. bloc_ptr[k + 1]
    poly_ptr: np.ndarray  # blocks of polygon p: poly_ptr[p] .. poly_ptr[p + 1]
    boites: np.ndarray  # (blocks, 4) float64: bounding box x0, y0, x1, y1 of each block

    @classmethod
    def depuis(cls, geometries: np.ndarray) -> Segments:
        """Every segment of every ring of every polygon, in polygon order."""
        n = len(geometries)
        parties, de_poly = shapely.get_parts(shapely.boundary(geometries), return_index=True)
        coords, de_partie = shapely.get_coordinates(parties, return_index=True)
        suivi = de_partie[1:] == de_partie[:-1]  # consecutive vertices of the same line
        a, b = coords[:-1][suivi], coords[1:][suivi]
        poly = de_poly[de_partie[:-1][suivi]]
        par_poly = np.bincount(poly, minlength=n)
        blocs_par_poly = -(-par_poly // TAILLE_BLOC)
        poly_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(blocs_par_poly, out=poly_ptr[1:])
        seg_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(par_poly, out=seg_ptr[1:])
        # first segment of each block: blocks restart at each polygon's first segment
        debuts = np.concatenate(
            [np.arange(seg_ptr[p], seg_ptr[p + 1], TAILLE_BLOC, dtype=np.int64) for p in range(n)]
            or [np.zeros(0, dtype=np.int64)]
        )
        boites = np.zeros((len(debuts), 4))
        if len(debuts):
            boites[:, 0] = np.minimum.reduceat(np.minimum(a[:, 0], b[:, 0]), debuts)
            boites[:, 1] = np.minimum.reduceat(np.minimum(a[:, 1], b[:, 1]), debuts)
            boites[:, 2] = np.maximum.reduceat(np.maximum(a[:, 0], b[:, 0]), debuts)
            boites[:, 3] = np.maximum.reduceat(np.maximum(a[:, 1], b[:, 1]), debuts)
        return cls(
            segments=np.ascontiguousarray(np.hstack([a, b]), dtype=np.float64),
            bloc_ptr=np.append(debuts, len(a)).astype(np.int64),
            poly_ptr=poly_ptr,
            boites=boites,
        )

    def plus_proches(
        self,
        x: np.ndarray,
        y: np.ndarray,
        cellules: np.ndarray,
        cand_ptr: np.ndarray,
        cand_idx: np.ndarray,
        bornes: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest polygon (index) and distance to its boundary for each point.

        Point ``i`` is compared with the polygons ``cand_idx[cand_ptr[c]:cand_ptr[c + 1]]``
        of its cell ``c = cellules[i]``, which must hold at least one polygon and every
        polygon that can be the nearest one; ``bornes`` (polygons, 4) are the polygons'
        bounding boxes.
        """
        n = len(x)
        idx = np.full(n, -1, dtype=np.int32)
        dist = np.full(n, np.inf)
        if n == 0:
            return idx, dist
        # points taken cell by cell: neighbours read the same polygons' blocks, which then
        # stay in the processor's cache (twice as fast as in input order, sort included)
        ordre = np.argsort(cellules)  # (order inside a cell is irrelevant: no stable sort)
        idx_ordre = np.empty(n, dtype=np.int32)
        dist_ordre = np.empty(n)
        _plus_proches(
            np.asarray(x, dtype=np.float64)[ordre],
            np.asarray(y, dtype=np.float64)[ordre],
            np.asarray(cellules, dtype=np.int64)[ordre],
            cand_ptr,
            cand_idx,
            np.ascontiguousarray(bornes, dtype=np.float64),
            self.poly_ptr,
            self.bloc_ptr,
            self.boites,
            self.segments,
            idx_ordre,
            dist_ordre,
        )
        idx[ordre] = idx_ordre
        dist[ordre] = dist_ordre
        return idx, dist


@njit(cache=True, nogil=True, inline="always")
def _point_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """GEOS's ``Distance::pointToSegment``, operation for operation."""
    if ax == bx and ay == by:
        dx = px - ax
        dy = py - ay
        return np.sqrt(dx * dx + dy * dy)
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        dx = px - ax
        dy = py - ay
        return np.sqrt(dx * dx + dy * dy)
    if r >= 1.0:
        dx = px - bx
        dy = py - by
        return np.sqrt(dx * dx + dy * dy)
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * np.sqrt(len2)


@njit(cache=True, nogil=True, inline="always")
def _minorant2(px: float, py: float, x0: float, y0: float, x1: float, y1: float) -> float:
    """Squared distance from a point to a box (0 inside): a lower bound for its contents."""
    dx = max(max(x0 - px, px - x1), 0.0)
    dy = max(max(y0 - py, py - y1), 0.0)
    return dx * dx + dy * dy


@njit(cache=True, nogil=True, inline="always")
def _seuil2(d: float) -> float:
    return d * d * (1.0 + _MARGE_RELATIVE) + _MARGE_ABSOLUE


@njit(cache=True, nogil=True, inline="always")
def _bloc(
    px: float,
    py: float,
    k: int,
    d: float,
    seuil: float,
    meilleure: float,
    bloc_ptr: np.ndarray,
    segments: np.ndarray,
) -> tuple[float, float]:
    """Block ``k``'s segments: exact distance (GEOS's formula) to those whose own bounding
    box is not farther than the threshold, which follows the best distance found."""
    for s in range(bloc_ptr[k], bloc_ptr[k + 1]):
        xa = segments[s, 0]
        ya = segments[s, 1]
        xb = segments[s, 2]
        yb = segments[s, 3]
        if _minorant2(px, py, min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)) > seuil:
            continue
        v = _point_segment(px, py, xa, ya, xb, yb)
        if v < d:
            d = v
            seuil = _seuil2(min(d, meilleure))
    return d, seuil


@njit(cache=True, nogil=True)
def _distance_polygone(
    px: float,
    py: float,
    p: int,
    meilleure: float,
    poly_ptr: np.ndarray,
    bloc_ptr: np.ndarray,
    boites: np.ndarray,
    segments: np.ndarray,
) -> float:
    """Distance to polygon ``p``'s boundary when it can be <= ``meilleure``, else a value
    greater than ``meilleure`` (blocks farther than it are skipped)."""
    # the block nearest by its box first, so that the others are pruned by a close bound
    k0 = -1
    m0 = np.inf
    for k in range(poly_ptr[p], poly_ptr[p + 1]):
        m = _minorant2(px, py, boites[k, 0], boites[k, 1], boites[k, 2], boites[k, 3])
        if m < m0:
            m0 = m
            k0 = k
    seuil = _seuil2(meilleure)
    if k0 < 0 or m0 > seuil:
        return np.inf
    d, seuil = _bloc(px, py, k0, np.inf, seuil, meilleure, bloc_ptr, segments)
    for k in range(poly_ptr[p], poly_ptr[p + 1]):
        if k != k0 and (
            _minorant2(px, py, boites[k, 0], boites[k, 1], boites[k, 2], boites[k, 3]) <= seuil
        ):
            d, seuil = _bloc(px, py, k, d, seuil, meilleure, bloc_ptr, segments)
    return d


@njit(cache=True, nogil=True)
def _plus_proches(
    x: np.ndarray,
    y: np.ndarray,
    cellules: np.ndarray,
    cand_ptr: np.ndarray,
    cand_idx: np.ndarray,
    bornes: np.ndarray,
    poly_ptr: np.ndarray,
    bloc_ptr: np.ndarray,
    boites: np.ndarray,
    segments: np.ndarray,
    sortie_idx: np.ndarray,
    sortie_dist: np.ndarray,
) -> None:
    for i in range(len(x)):
        sortie_idx[i] = -1
        sortie_dist[i] = np.inf
        px = x[i]
        py = y[i]
        c = cellules[i]
        debut = cand_ptr[c]
        fin = cand_ptr[c + 1]
        # polygon nearest by its box first, then every polygon whose box is not farther
        # than the best distance found (candidates are in index order: ties go to the first)
        j0 = -1
        m0 = np.inf
        for j in range(debut, fin):
            p = cand_idx[j]
            m = _minorant2(px, py, bornes[p, 0], bornes[p, 1], bornes[p, 2], bornes[p, 3])
            if m < m0:
                m0 = m
                j0 = j
        if j0 < 0:
            continue
        meilleur = cand_idx[j0]
        dmin = _distance_polygone(px, py, meilleur, np.inf, poly_ptr, bloc_ptr, boites, segments)
        for j in range(debut, fin):
            p = cand_idx[j]
            if j == j0 or (
                _minorant2(px, py, bornes[p, 0], bornes[p, 1], bornes[p, 2], bornes[p, 3])
                > _seuil2(dmin)
            ):
                continue
            d = _distance_polygone(px, py, p, dmin, poly_ptr, bloc_ptr, boites, segments)
            if d < dmin or (d == dmin and p < meilleur):
                dmin = d
                meilleur = p
        sortie_idx[i] = meilleur
        sortie_dist[i] = dmin
