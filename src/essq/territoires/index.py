"""Grid index answering "which QPV contains this point, how far is the nearest one?".

One index per (millésime, territory), in the territory's legal projection (metres).

Containment: a sparse grid of ``pas_fin``-metre cells covering every cell a QPV touches.
A cell that no QPV boundary crosses and that lies inside exactly one QPV answers by lookup;
other touched cells ("boundary cells") keep the list of QPV they touch, and points falling
there are tested exactly with ``shapely.intersects_xy`` on those candidates only. A point
not in any touched cell is outside every QPV. The answer is exact.

Tie-break (documented in docs/territoires.md): polygons are closed, so a point on a QPV's
boundary belongs to it; when several QPV contain a point (shared boundary, overlap sliver)
the QPV with the smallest ``code_qp`` wins. Polygons are stored sorted by code, so the
smallest index is the smallest code.

Distance: a dense grid of ``pas_distance``-metre cells over the territory (plus a margin)
keeps, for each cell, every QPV that can be the nearest one for some point of the cell
(those whose distance to the cell is at most the smallest upper bound of the distance from
any point of the cell to a QPV). Distances to those candidates are then computed exactly,
with GEOS's formula, by the compiled kernel of :mod:`essq.territoires.segments` (one point:
``shapely.distance``); points outside the grid use the STRtree.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    from essq.territoires.segments import Segments

VERSION_INDEX = 1
BLOC_REPERTOIRE = 16  # containment cells per side of a block of the batch directory
SANS = np.iinfo(np.int32).max
_PAIRES_PAR_FIL = 32_768  # point-in-polygon pairs below which threads do not pay off


@dataclass
class IndexZone:
    """Index of the QPV of one millésime in one territory (coordinates in ``epsg``)."""

    epsg: int
    geometries: np.ndarray  # shapely polygons, sorted by code_qp
    # containment grid
    pas_fin: float
    origine_fin: tuple[float, float]
    nx_fin: int
    cles: np.ndarray  # int64 sorted cell keys
    valeurs: np.ndarray  # int32: >= 0 polygon index; < 0 → candidate list -1 - v
    cand_ptr: np.ndarray
    cand_idx: np.ndarray
    # distance grid
    pas_distance: float
    origine_distance: tuple[float, float]
    nx_distance: int
    ny_distance: int
    dist_ptr: np.ndarray
    dist_idx: np.ndarray
    arbre: shapely.STRtree | None = None

    def __post_init__(self) -> None:
        shapely.prepare(self.geometries)
        # GEOS builds a prepared polygon's point locator lazily, on its first point query, and
        # queries then run in several threads (moteur._en_parallele): two threads building the
        # same locator corrupt memory ("double free"). Build every locator now, in this thread.
        dedans = shapely.point_on_surface(self.geometries)
        shapely.intersects_xy(self.geometries, shapely.get_x(dedans), shapely.get_y(dedans))
        self.arbre = shapely.STRtree(self.geometries)
        self._bornes = shapely.bounds(self.geometries)
        self._bords = shapely.boundary(self.geometries)
        # Python copies for the single-point path (a few thousand polygons at most)
        self._bornes_liste: list[tuple[float, float, float, float]] = [
            tuple(b) for b in self._bornes.tolist()
        ]
        self._cle_max = int(self.cles[-1]) if len(self.cles) else -1
        self._repertoire: tuple[np.ndarray, np.ndarray, int, int] | None = None
        self._segments: Segments | None = None
        self._verrou = threading.Lock()  # batches run in threads: lazy structures built once

    @property
    def segments(self) -> Segments:
        """Boundary segments for the batch distances, built on first use (numba is imported
        then: the single-point path never needs it)."""
        with self._verrou:
            if self._segments is None:
                from essq.territoires.segments import Segments

                self._segments = Segments.depuis(self.geometries)
            return self._segments

    @property
    def repertoire(self) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Two-level directory of the containment grid, for batches (built on first use: the
        single-point path does not need it): a dense table of blocks of ``BLOC_REPERTOIRE``
        x ``BLOC_REPERTOIRE`` cells gives, for the blocks a QPV touches, the row of a dense
        array holding the value of each of their cells (SANS where none). A point's cell is
        then found by two array reads instead of a binary search over every touched cell
        (the qualification's largest single cost once the distances were compiled).
        Returns (table of blocks, cell values, blocks per row, rows of cells)."""
        with self._verrou:
            if self._repertoire is None:
                b = BLOC_REPERTOIRE
                nx = self.nx_fin
                ny = self._cle_max // nx + 1 if self._cle_max >= 0 else 0
                bnx = -(-nx // b)
                gx, gy = self.cles % nx, self.cles // nx
                blocs, rang = np.unique((gy // b) * bnx + gx // b, return_inverse=True)
                table = np.full(bnx * -(-ny // b), -1, dtype=np.int32)
                table[blocs] = np.arange(len(blocs), dtype=np.int32)
                valeurs = np.full(len(blocs) * b * b, SANS, dtype=np.int32)
                valeurs[rang * (b * b) + (gy % b) * b + gx % b] = self.valeurs
                self._repertoire = (table, valeurs, bnx, ny)
            return self._repertoire

    # ------------------------------------------------------------------ build
    @classmethod
    def construire(
        cls,
        geometries: np.ndarray,
        epsg: int,
        *,
        pas_fin: float = 100.0,
        pas_distance: float = 2000.0,
        marge: float = 30_000.0,
    ) -> IndexZone:
        geometries = np.asarray(geometries, dtype=object)
        n = len(geometries)
        if n == 0:
            raise ValueError("aucune géométrie à indexer")
        x0, y0, x1, y1 = shapely.total_bounds(geometries)
        ox, oy = np.floor(x0 / pas_fin) * pas_fin, np.floor(y0 / pas_fin) * pas_fin
        nx = int(np.ceil((x1 - ox) / pas_fin)) + 1
        toutes_cles: list[np.ndarray] = []
        tous_poly: list[np.ndarray] = []
        tous_bord: list[np.ndarray] = []
        bords = shapely.boundary(geometries)
        shapely.prepare(bords)
        shapely.prepare(geometries)
        bornes = shapely.bounds(geometries)
        for i in range(n):
            bx0, by0, bx1, by1 = bornes[i]
            ix0, ix1 = int((bx0 - ox) // pas_fin), int((bx1 - ox) // pas_fin)
            iy0, iy1 = int((by0 - oy) // pas_fin), int((by1 - oy) // pas_fin)
            mx, my = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1))
            gx, gy = mx.ravel(), my.ravel()
            cx0, cy0 = ox + gx * pas_fin, oy + gy * pas_fin
            boites = shapely.box(cx0, cy0, cx0 + pas_fin, cy0 + pas_fin)
            bord = shapely.intersects(bords[i], boites)
            dedans = shapely.contains_xy(geometries[i], cx0 + pas_fin / 2, cy0 + pas_fin / 2)
            touche = bord | dedans
            toutes_cles.append(gy[touche].astype(np.int64) * nx + gx[touche])
            tous_poly.append(np.full(int(touche.sum()), i, dtype=np.int32))
            tous_bord.append(bord[touche])
        cles_brutes = np.concatenate(toutes_cles)
        poly = np.concatenate(tous_poly)
        bord_brut = np.concatenate(tous_bord)
        ordre = np.lexsort((poly, cles_brutes))
        cles_brutes, poly, bord_brut = cles_brutes[ordre], poly[ordre], bord_brut[ordre]
        cles, debut, nombre = np.unique(cles_brutes, return_index=True, return_counts=True)
        bord_cellule = np.logical_or.reduceat(bord_brut, debut) if len(debut) else bord_brut
        simple = (nombre == 1) & ~bord_cellule
        valeurs = np.empty(len(cles), dtype=np.int32)
        valeurs[simple] = poly[debut[simple]]
        multiples = np.flatnonzero(~simple)
        valeurs[multiples] = -1 - np.arange(len(multiples), dtype=np.int32)
        tailles = nombre[multiples]
        cand_ptr = np.zeros(len(multiples) + 1, dtype=np.int64)
        np.cumsum(tailles, out=cand_ptr[1:])
        if len(multiples):
            positions = np.repeat(debut[multiples], tailles) + (
                np.arange(int(tailles.sum())) - np.repeat(cand_ptr[:-1], tailles)
            )
            cand_idx = poly[positions].astype(np.int32)
        else:
            cand_idx = np.zeros(0, dtype=np.int32)

        # distance grid
        dox, doy = x0 - marge, y0 - marge
        dnx = int(np.ceil((x1 + marge - dox) / pas_distance))
        dny = int(np.ceil((y1 + marge - doy) / pas_distance))
        mx, my = np.meshgrid(np.arange(dnx), np.arange(dny))
        gx, gy = mx.ravel(), my.ravel()
        cx0, cy0 = dox + gx * pas_distance, doy + gy * pas_distance
        centres = shapely.points(cx0 + pas_distance / 2, cy0 + pas_distance / 2)
        # upper bound of the distance to the nearest QPV from any point of the cell:
        # distance from the centre to the nearest boundary vertex + half diagonal.
        sommets = shapely.get_coordinates(shapely.simplify(bords, pas_distance / 20))
        arbre_sommets = shapely.STRtree(shapely.points(sommets))
        (ic, _), dc = arbre_sommets.query_nearest(centres, return_distance=True, all_matches=False)
        borne = np.full(len(centres), np.inf)
        np.minimum.at(borne, ic, dc)
        borne = borne + pas_distance * np.sqrt(0.5) + 1e-6
        # candidates: polygons whose bounding box lies within ``borne`` of the cell (a superset
        # of those whose exact distance does; queries prune further with exact distances)
        arbre = shapely.STRtree(geometries)
        elargies = shapely.box(
            cx0 - borne, cy0 - borne, cx0 + pas_distance + borne, cy0 + pas_distance + borne
        )
        qc, qp = arbre.query(elargies)
        bb = bornes[qp]
        dx = np.maximum(np.maximum(bb[:, 0] - (cx0[qc] + pas_distance), cx0[qc] - bb[:, 2]), 0.0)
        dy = np.maximum(np.maximum(bb[:, 1] - (cy0[qc] + pas_distance), cy0[qc] - bb[:, 3]), 0.0)
        garde = np.hypot(dx, dy) <= borne[qc]
        qc, qp = qc[garde], qp[garde]
        ordre = np.lexsort((qp, qc))
        qc, qp = qc[ordre], qp[ordre]
        dist_ptr = np.zeros(dnx * dny + 1, dtype=np.int64)
        np.cumsum(np.bincount(qc, minlength=dnx * dny), out=dist_ptr[1:])
        return cls(
            epsg=epsg,
            geometries=geometries,
            pas_fin=pas_fin,
            origine_fin=(float(ox), float(oy)),
            nx_fin=nx,
            cles=cles.astype(np.int64),
            valeurs=valeurs,
            cand_ptr=cand_ptr,
            cand_idx=cand_idx,
            pas_distance=pas_distance,
            origine_distance=(float(dox), float(doy)),
            nx_distance=dnx,
            ny_distance=dny,
            dist_ptr=dist_ptr,
            dist_idx=qp.astype(np.int32),
        )

    # ------------------------------------------------------------------ persistence
    def enregistrer(self, chemin: Path, empreinte: str) -> None:
        np.savez(
            chemin,
            version=np.array(VERSION_INDEX),
            empreinte=np.array(empreinte),
            epsg=np.array(self.epsg),
            pas_fin=np.array(self.pas_fin),
            origine_fin=np.array(self.origine_fin),
            nx_fin=np.array(self.nx_fin),
            cles=self.cles,
            valeurs=self.valeurs,
            cand_ptr=self.cand_ptr,
            cand_idx=self.cand_idx,
            pas_distance=np.array(self.pas_distance),
            origine_distance=np.array(self.origine_distance),
            nx_distance=np.array(self.nx_distance),
            ny_distance=np.array(self.ny_distance),
            dist_ptr=self.dist_ptr,
            dist_idx=self.dist_idx,
        )

    @classmethod
    def charger(cls, chemin: Path, geometries: np.ndarray, empreinte: str) -> IndexZone | None:
        """Load a saved index; None when absent or built from other geometries."""
        try:
            d = np.load(chemin, allow_pickle=False)
        except (OSError, ValueError):
            return None
        with d:
            if int(d["version"]) != VERSION_INDEX or str(d["empreinte"]) != empreinte:
                return None
            return cls(
                epsg=int(d["epsg"]),
                geometries=geometries,
                pas_fin=float(d["pas_fin"]),
                origine_fin=(float(d["origine_fin"][0]), float(d["origine_fin"][1])),
                nx_fin=int(d["nx_fin"]),
                cles=d["cles"],
                valeurs=d["valeurs"],
                cand_ptr=d["cand_ptr"],
                cand_idx=d["cand_idx"],
                pas_distance=float(d["pas_distance"]),
                origine_distance=(float(d["origine_distance"][0]), float(d["origine_distance"][1])),
                nx_distance=int(d["nx_distance"]),
                ny_distance=int(d["ny_distance"]),
                dist_ptr=d["dist_ptr"],
                dist_idx=d["dist_idx"],
            )

    # ------------------------------------------------------------------ queries
    def contenant(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the containing polygon (smallest code on ties), -1 when outside all."""
        n = len(x)
        sortie = np.full(n, -1, dtype=np.int32)
        if n == 0 or len(self.cles) == 0:
            return sortie
        ox, oy = self.origine_fin
        b = BLOC_REPERTOIRE
        table, valeurs, bnx, ny = self.repertoire
        fx = np.floor((x - ox) / self.pas_fin)
        fy = np.floor((y - oy) / self.pas_fin)
        # (comparisons with NaN are false: missing coordinates are not valid)
        valide = (fx >= 0) & (fx < self.nx_fin) & (fy >= 0) & (fy < ny)
        ix = np.where(valide, fx, 0).astype(np.int64)
        iy = np.where(valide, fy, 0).astype(np.int64)
        bloc = np.where(valide, table[(iy // b) * bnx + ix // b], -1)
        dans_bloc = bloc >= 0
        val = np.full(n, SANS, dtype=np.int32)
        val[dans_bloc] = valeurs[
            bloc[dans_bloc] * (b * b) + (iy[dans_bloc] % b) * b + ix[dans_bloc] % b
        ]
        direct = (val >= 0) & (val != SANS)
        sortie[direct] = val[direct]
        a_tester = np.flatnonzero(val < 0)
        if len(a_tester):
            liste = -1 - val[a_tester]
            debut = self.cand_ptr[liste]
            tailles = (self.cand_ptr[liste + 1] - debut).astype(np.int64)
            pts = np.repeat(a_tester, tailles)
            offs = np.arange(int(tailles.sum())) - np.repeat(np.cumsum(tailles) - tailles, tailles)
            cands = self.cand_idx[np.repeat(debut, tailles) + offs]
            touche = self._tester(cands, x[pts], y[pts])
            meilleur = np.full(n, SANS, dtype=np.int64)
            np.minimum.at(meilleur, pts[touche], cands[touche])
            fixe = meilleur[a_tester] != SANS
            sortie[a_tester[fixe]] = meilleur[a_tester[fixe]]
        return sortie

    def _tester(self, cands: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boundary-inclusive point-in-polygon for (candidate, point) pairs, grouped by polygon.

        Large batches run in threads (GEOS releases the GIL), split by polygon so that each
        prepared polygon is queried by one thread only: querying the same prepared geometry
        from several threads at once corrupted memory (crashes seen in the benchmarks).
        """
        resultat = np.zeros(len(cands), dtype=bool)
        if len(cands) == 0:
            return resultat
        ordre = np.argsort(cands)  # grouped by polygon; the order inside a group is irrelevant
        c_ord = cands[ordre]

        def traiter(a: int, b: int) -> None:
            # one vectorised GEOS call over the pairs a..b (sorted by polygon)
            sel = ordre[a:b]
            resultat[sel] = shapely.intersects_xy(self.geometries[c_ord[a:b]], x[sel], y[sel])

        fils = min(os.cpu_count() or 1, 8)
        if len(cands) < _PAIRES_PAR_FIL * 2 or fils < 2:
            traiter(0, len(cands))
            return resultat
        # contiguous ranges of about the same number of pairs, cut between two polygons
        debuts_poly = np.flatnonzero(np.diff(c_ord)) + 1
        if len(debuts_poly) == 0:  # a single polygon: a single thread may query it
            traiter(0, len(cands))
            return resultat
        visees = np.arange(1, fils) * (len(cands) / fils)
        coupes = debuts_poly[np.minimum(np.searchsorted(debuts_poly, visees), len(debuts_poly) - 1)]
        bornes = np.unique(np.concatenate([[0], coupes, [len(cands)]]))
        with ThreadPoolExecutor(max_workers=fils, thread_name_prefix="essq-appartenance") as pool:
            list(
                pool.map(
                    lambda k: traiter(int(bornes[k]), int(bornes[k + 1])), range(len(bornes) - 1)
                )
            )
        return resultat

    def plus_proche(
        self, x: np.ndarray, y: np.ndarray, exterieurs: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest polygon index (smallest code on ties) and exact distance in metres.

        ``exterieurs=True`` promises that no point lies inside a polygon, which skips the
        point-in-polygon test. Distances to the boundaries are computed by the
        compiled kernel of :mod:`essq.territoires.segments` (the same values as GEOS).
        """
        n = len(x)
        idx = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.nan)
        if n == 0:
            return idx.astype(np.int32), dist
        ox, oy = self.origine_distance
        gx = np.floor((x - ox) / self.pas_distance)
        gy = np.floor((y - oy) / self.pas_distance)
        dans = (
            np.isfinite(gx)
            & np.isfinite(gy)
            & (gx >= 0)
            & (gx < self.nx_distance)
            & (gy >= 0)
            & (gy < self.ny_distance)
        )
        lignes = np.flatnonzero(dans)
        if len(lignes):
            cellule = (gy[lignes] * self.nx_distance + gx[lignes]).astype(np.int64)
            sans_candidat = self.dist_ptr[cellule + 1] == self.dist_ptr[cellule]
            if sans_candidat.any():  # not expected (see construire): answered by the STRtree
                dans[lignes[sans_candidat]] = False
                lignes, cellule = lignes[~sans_candidat], cellule[~sans_candidat]
        if len(lignes):
            xl, yl = x[lignes], y[lignes]
            if exterieurs:
                ip, d = self.segments.plus_proches(
                    xl, yl, cellule, self.dist_ptr, self.dist_idx, self._bornes
                )
                idx[lignes] = ip
                dist[lignes] = d
            else:  # a point inside a polygon is at distance 0 from it
                dedans = self.contenant(xl, yl)
                dehors = np.flatnonzero(dedans < 0)
                ip, d = self.segments.plus_proches(
                    xl[dehors],
                    yl[dehors],
                    cellule[dehors],
                    self.dist_ptr,
                    self.dist_idx,
                    self._bornes,
                )
                idx[lignes] = dedans
                dist[lignes] = 0.0
                idx[lignes[dehors]] = ip
                dist[lignes[dehors]] = d
        hors = np.flatnonzero(~dans & np.isfinite(x) & np.isfinite(y))
        if len(hors) and self.arbre is not None:
            points = shapely.points(x[hors], y[hors])
            (ip, ig), d = self.arbre.query_nearest(points, return_distance=True, all_matches=True)
            dmin = np.full(len(hors), np.inf)
            np.minimum.at(dmin, ip, d)
            egal = d <= dmin[ip]
            imin = np.full(len(hors), SANS, dtype=np.int64)
            np.minimum.at(imin, ip[egal], ig[egal])
            idx[hors] = imin
            dist[hors] = dmin
        return idx.astype(np.int32), dist

    def preparer_distances(self) -> None:
        """Build the segments and load the compiled kernel now (one point at the centre of
        the distance grid goes through it), rather than during a first batch."""
        ox, oy = self.origine_distance
        x = np.array([ox + self.pas_distance * self.nx_distance / 2])
        y = np.array([oy + self.pas_distance * self.ny_distance / 2])
        self.plus_proche_exterieurs(x, y)

    def plus_proche_exterieurs(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`plus_proche` for points known to be outside every polygon."""
        return self.plus_proche(x, y, exterieurs=True)

    def localiser_point(self, x: float, y: float) -> tuple[int, int, float]:
        """One point: (containing polygon or -1, nearest polygon or -1, distance in metres).

        The same answers and tie-breaks as :meth:`contenant` then :meth:`plus_proche` on a
        batch of one (the same floating-point operations, on Python floats), without the
        batch machinery: a few microseconds of arithmetic and GEOS calls on the cell's
        candidates only. A point inside a polygon is at distance 0 from it, and the polygons
        at distance 0 are exactly those containing it: the nearest is then the container.
        A non-finite point gives (-1, -1, nan).
        """
        if not (math.isfinite(x) and math.isfinite(y)):
            return -1, -1, math.nan
        c = self._contenant_point(x, y)
        if c >= 0:
            return c, c, 0.0
        ip, d = self._plus_proche_point(x, y, self._bords)
        return -1, ip, d

    def _contenant_point(self, x: float, y: float) -> int:
        n = len(self.cles)
        if n == 0:
            return -1
        ox, oy = self.origine_fin
        fx = math.floor((x - ox) / self.pas_fin)
        fy = math.floor((y - oy) / self.pas_fin)
        if fx < 0 or fx >= self.nx_fin or fy < 0:
            return -1
        cle = fy * self.nx_fin + fx
        if cle > self._cle_max:
            return -1
        pos = int(np.searchsorted(self.cles, cle))
        if pos >= n or int(self.cles[pos]) != cle:
            return -1
        val = int(self.valeurs[pos])
        if val >= 0:
            return val
        liste = -1 - val
        a, b = self.cand_ptr[liste : liste + 2].tolist()
        touches = [
            i
            for i in self.cand_idx[a:b].tolist()
            if shapely.intersects_xy(self.geometries[i], x, y)
        ]
        return min(touches, default=-1)  # smallest code on ties

    def _plus_proche_point(self, x: float, y: float, cibles: np.ndarray) -> tuple[int, float]:
        ox, oy = self.origine_distance
        gx = math.floor((x - ox) / self.pas_distance)
        gy = math.floor((y - oy) / self.pas_distance)
        cands: list[int] = []
        if 0 <= gx < self.nx_distance and 0 <= gy < self.ny_distance:
            cellule = gy * self.nx_distance + gx
            a, b = self.dist_ptr[cellule : cellule + 2].tolist()
            cands = self.dist_idx[a:b].tolist()
        if not cands:  # outside the distance grid: the STRtree, as the batch path
            assert self.arbre is not None
            point = shapely.Point(x, y)
            # (a scalar geometry gives the tree indices alone, not (input, tree) pairs)
            ig, dist = self.arbre.query_nearest(point, return_distance=True, all_matches=True)
            dmin = float(dist.min())
            return int(ig[dist <= dmin].min()), dmin
        # squared lower bounds (bounding boxes), computed as the batch path does
        minorants = []
        for i in cands:
            x0, y0, x1, y1 = self._bornes_liste[i]
            dx = max(max(x0 - x, x - x1), 0.0)
            dy = max(max(y0 - y, y - y1), 0.0)
            minorants.append(dx * dx + dy * dy)
        # exact distance first to the candidate with the smallest bound (the first one on
        # ties), then to those whose bound does not exceed it (same margin as the batch)
        premier = minorants.index(min(minorants))
        point = shapely.Point(x, y)
        dist = [math.inf] * len(cands)
        dist[premier] = dmin = float(shapely.distance(cibles[cands[premier]], point))
        seuil = dmin * dmin * (1 + 1e-9) + 1e-9
        for k, m in enumerate(minorants):
            if k != premier and m <= seuil:
                dist[k] = float(shapely.distance(cibles[cands[k]], point))
        dmin = min(dist)
        return min(i for i, d in zip(cands, dist, strict=True) if d <= dmin), dmin

    def dans_rayon(self, x: float, y: float, rayon: float) -> list[tuple[int, float]]:
        """Every polygon within ``rayon`` metres of one point, nearest first."""
        point = shapely.Point(x, y)
        assert self.arbre is not None
        trouves = self.arbre.query(point, predicate="dwithin", distance=rayon)
        d = shapely.distance(self.geometries[trouves], point)
        return sorted(
            ((int(i), float(v)) for i, v in zip(trouves, d, strict=True)),
            key=lambda t: (t[1], t[0]),
        )
