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
    """Boundary segments of indexed polygons, grouped by polygon then by block."""

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    bloc_ptr: np.ndarray  # segments of block k: bloc_ptr[k] .. bloc_ptr[k + 1]
    poly_ptr: np.ndarray  # blocks of polygon p: poly_ptr[p] .. poly_ptr[p + 1]
    bx0: np.ndarray  # bounding box of each block
    by0: np.ndarray
    bx1: np.ndarray
    by1: np.ndarray

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
        bloc_ptr = np.append(debuts, len(a)).astype(np.int64)
        x0 = np.minimum(a[:, 0], b[:, 0])
        y0 = np.minimum(a[:, 1], b[:, 1])
        x1 = np.maximum(a[:, 0], b[:, 0])
        y1 = np.maximum(a[:, 1], b[:, 1])
        vide = len(debuts) == 0
        return cls(
            ax=np.ascontiguousarray(a[:, 0]),
            ay=np.ascontiguousarray(a[:, 1]),
            bx=np.ascontiguousarray(b[:, 0]),
            by=np.ascontiguousarray(b[:, 1]),
            bloc_ptr=bloc_ptr,
            poly_ptr=poly_ptr,
            bx0=np.zeros(0) if vide else np.minimum.reduceat(x0, debuts),
            by0=np.zeros(0) if vide else np.minimum.reduceat(y0, debuts),
            bx1=np.zeros(0) if vide else np.maximum.reduceat(x1, debuts),
            by1=np.zeros(0) if vide else np.maximum.reduceat(y1, debuts),
        )

    def plus_proches(
        self,
        x: np.ndarray,
        y: np.ndarray,
        cellules: np.ndarray,
        cand_ptr: np.ndarray,
        cand_idx: np.ndarray,
        bornes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest polygon (index) and distance to its boundary for each point.

        Point ``i`` is compared with the polygons ``cand_idx[cand_ptr[c]:cand_ptr[c + 1]]``
        of its cell ``c = cellules[i]``, which must hold at least one polygon and every
        polygon that can be the nearest one; ``bornes`` are the polygons' bounding boxes.
        """
        n = len(x)
        idx = np.full(n, -1, dtype=np.int32)
        dist = np.full(n, np.inf)
        if n == 0:
            return idx, dist
        max_cand = int(np.max(np.diff(cand_ptr))) if len(cand_ptr) > 1 else 0
        _plus_proches(
            np.ascontiguousarray(x, dtype=np.float64),
            np.ascontiguousarray(y, dtype=np.float64),
            np.ascontiguousarray(cellules, dtype=np.int64),
            cand_ptr,
            cand_idx,
            *bornes,
            self.poly_ptr,
            self.bloc_ptr,
            self.bx0,
            self.by0,
            self.bx1,
            self.by1,
            self.ax,
            self.ay,
            self.bx,
            self.by,
            idx,
            dist,
            max(max_cand, 1),
        )
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


@njit(cache=True, nogil=True)
def _distance_polygone(
    px: float,
    py: float,
    p: int,
    meilleure: float,
    poly_ptr: np.ndarray,
    bloc_ptr: np.ndarray,
    bx0: np.ndarray,
    by0: np.ndarray,
    bx1: np.ndarray,
    by1: np.ndarray,
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
) -> float:
    """Distance to polygon ``p``'s boundary when it can be <= ``meilleure``, else a value
    greater than ``meilleure`` (blocks farther than it are skipped)."""
    d = np.inf
    # the block nearest by its box first, so that the others are pruned by a close bound
    k0 = -1
    m0 = np.inf
    for k in range(poly_ptr[p], poly_ptr[p + 1]):
        m = _minorant2(px, py, bx0[k], by0[k], bx1[k], by1[k])
        if m < m0:
            m0 = m
            k0 = k
    if k0 < 0 or m0 > _seuil2(meilleure):
        return np.inf
    for s in range(bloc_ptr[k0], bloc_ptr[k0 + 1]):
        v = _point_segment(px, py, ax[s], ay[s], bx[s], by[s])
        if v < d:
            d = v
    seuil = _seuil2(min(d, meilleure))
    for k in range(poly_ptr[p], poly_ptr[p + 1]):
        if k == k0 or _minorant2(px, py, bx0[k], by0[k], bx1[k], by1[k]) > seuil:
            continue
        for s in range(bloc_ptr[k], bloc_ptr[k + 1]):
            v = _point_segment(px, py, ax[s], ay[s], bx[s], by[s])
            if v < d:
                d = v
        seuil = _seuil2(min(d, meilleure))
    return d


@njit(cache=True, nogil=True)
def _plus_proches(
    x: np.ndarray,
    y: np.ndarray,
    cellules: np.ndarray,
    cand_ptr: np.ndarray,
    cand_idx: np.ndarray,
    px0: np.ndarray,
    py0: np.ndarray,
    px1: np.ndarray,
    py1: np.ndarray,
    poly_ptr: np.ndarray,
    bloc_ptr: np.ndarray,
    bx0: np.ndarray,
    by0: np.ndarray,
    bx1: np.ndarray,
    by1: np.ndarray,
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    sortie_idx: np.ndarray,
    sortie_dist: np.ndarray,
    max_cand: int,
) -> None:
    minorants = np.empty(max_cand)
    for i in range(len(x)):
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
            m = _minorant2(px, py, px0[p], py0[p], px1[p], py1[p])
            minorants[j - debut] = m
            if m < m0:
                m0 = m
                j0 = j
        if j0 < 0:
            continue
        meilleur = cand_idx[j0]
        dmin = _distance_polygone(
            px, py, meilleur, np.inf, poly_ptr, bloc_ptr, bx0, by0, bx1, by1, ax, ay, bx, by
        )
        for j in range(debut, fin):
            if j == j0 or minorants[j - debut] > _seuil2(dmin):
                continue
            p = cand_idx[j]
            d = _distance_polygone(
                px, py, p, dmin, poly_ptr, bloc_ptr, bx0, by0, bx1, by1, ax, ay, bx, by
            )
            if d < dmin or (d == dmin and p < meilleur):
                dmin = d
                meilleur = p
        sortie_idx[i] = meilleur
        sortie_dist[i] = dmin
