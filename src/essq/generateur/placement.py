"""Where synthetic establishments are placed: communes, legal-projection coordinates, QPV.

Three placers share one interface (:meth:`Placeur.placer`):

* :class:`PlaceurCommunes` — no QPV file: points scattered around a few real communes;
* :class:`PlaceurQPV` — real QPV contours (ANCT GeoJSON, WGS84 or Lambert-93): a share of the
  points strictly inside a QPV, a share within 300 m, within 1 km, and the rest 1–5 km away,
  never inside any QPV;
* the demo territory's placer (:mod:`essq.generateur.demo`), a subclass of :class:`PlaceurQPV`.

Coordinates are in each territory's legal projection, rounded to 0.1 m as in SIRENE; points
said to be inside are checked inside after rounding, both in the legal projection and back in
WGS84 against the original contour.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape

from essq.erreurs import ErreurUtilisateur
from essq.generateur.nomenclatures import communes_reference

# Placement zones (index stored in int8 arrays), as written in the ground-truth file.
ZONES: tuple[str, ...] = (
    "dedans",
    "moins_300m",
    "300m_1km",
    "loin",
    "sans_coordonnees",
    "etranger",
    "autour_commune",
)
DEDANS, MOINS_300M, DE_300M_A_1KM, LOIN, SANS_COORDONNEES, ETRANGER, AUTOUR_COMMUNE = range(7)
BANDES = {MOINS_300M: (0.0, 300.0), DE_300M_A_1KM: (300.0, 1000.0), LOIN: (1000.0, 5000.0)}
PARTS_DEFAUT = {DEDANS: 0.12, MOINS_300M: 0.10, DE_300M_A_1KM: 0.13, LOIN: 0.65}

VILLES_ARRONDISSEMENTS = {"75056", "69123", "13055"}


def epsg_legal(code_commune: str) -> int | None:
    """Legal projection of a commune (None for territories absent from SIRENE)."""
    prefixe = code_commune[:3]
    if prefixe in ("971", "972", "977", "978"):
        return 5490
    if prefixe == "973":
        return 2972
    if prefixe == "974":
        return 2975
    if prefixe == "976":
        return 4471
    if prefixe == "975":
        return 4467
    if prefixe in ("986", "987", "988"):
        return None
    return 2154


@functools.cache
def transformateur(source: int, cible: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, cible, always_xy=True)


def reprojeter(geom: shapely.Geometry, source: int, cible: int) -> shapely.Geometry:
    tr = transformateur(source, cible)

    def _f(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _f)


def majuscules_sans_accents(texte: str) -> str:
    nfkd = unicodedata.normalize("NFKD", texte)
    sans = "".join(c for c in nfkd if not unicodedata.combining(c))
    return sans.upper().replace("'", " ").replace("’", " ")


@dataclass
class Lieux:
    """Placement of n establishments (indices into the placer's tables)."""

    commune: np.ndarray  # int32 index into Placeur.communes, -1 = abroad
    x: np.ndarray  # float64, legal projection, NaN = none
    y: np.ndarray
    zone: np.ndarray  # int8 index into ZONES
    qpv: np.ndarray  # int32 index into Placeur.qpv_codes, -1 = none
    distance: np.ndarray  # float64 metres to that QPV (0 inside), NaN = unknown


@dataclass
class Commune:
    code: str
    code_postal: str
    libelle: str


@dataclass
class Placeur:
    communes: list[Commune] = field(default_factory=list)
    qpv_codes: list[str] = field(default_factory=list)
    _index_communes: dict[str, int] = field(default_factory=dict)

    def indice_commune(
        self, code: str, libelle: str | None = None, code_postal: str | None = None
    ) -> int:
        if code not in self._index_communes:
            ref = {c.code: c for c in communes_reference()}.get(code)
            if libelle is None:
                libelle = ref.nom if ref else f"COMMUNE {code}"
            if code_postal is None:
                code_postal = ref.code_postal if ref else code_postal_approche(code)
            self._index_communes[code] = len(self.communes)
            self.communes.append(Commune(code, code_postal, libelle))
        return self._index_communes[code]

    def epsg_commune(self, indice: np.ndarray) -> np.ndarray:
        epsg = np.array([epsg_legal(c.code) or 0 for c in self.communes], dtype=np.int32)
        return np.where(indice >= 0, epsg[np.maximum(indice, 0)], 0)

    def placer(self, rng: np.random.Generator, n: int) -> Lieux:  # pragma: no cover - abstract
        raise NotImplementedError


def code_postal_approche(code_commune: str) -> str:
    """A plausible postal code when the real one is unknown (département + zeros)."""
    if code_commune.startswith("97"):
        return code_commune[:3] + "00"
    if code_commune.startswith("2A") or code_commune.startswith("2B"):
        return "20000"
    return code_commune[:2] + "000"


class PlaceurCommunes(Placeur):
    """No QPV file: points around the approximate centroids of a few real communes."""

    def __init__(self, ecart_type_m: float = 2500.0) -> None:
        super().__init__()
        refs = communes_reference()
        self.ecart_type_m = ecart_type_m
        self._indices = np.array(
            [self.indice_commune(r.code, r.nom, r.code_postal) for r in refs], dtype=np.int32
        )
        p = np.array([r.poids for r in refs], dtype=float)
        self._p = p / p.sum()
        cx = np.empty(len(refs))
        cy = np.empty(len(refs))
        for i, r in enumerate(refs):
            epsg = epsg_legal(r.code) or 2154
            cx[i], cy[i] = transformateur(4326, epsg).transform(r.lon, r.lat)
        self._cx, self._cy = cx, cy

    def placer(self, rng: np.random.Generator, n: int) -> Lieux:
        k = rng.choice(len(self._p), size=n, p=self._p)
        x = np.round(self._cx[k] + rng.normal(0, self.ecart_type_m, n), 1)
        y = np.round(self._cy[k] + rng.normal(0, self.ecart_type_m, n), 1)
        return Lieux(
            commune=self._indices[k],
            x=x,
            y=y,
            zone=np.full(n, AUTOUR_COMMUNE, dtype=np.int8),
            qpv=np.full(n, -1, dtype=np.int32),
            distance=np.full(n, np.nan),
        )


@dataclass
class QpvPlace:
    code: str
    commune: str
    lib_com: str | None
    epsg: int
    geom: shapely.Geometry  # legal projection
    geom_wgs84: shapely.Geometry


def lire_qpv(chemin: Path) -> list[QpvPlace]:
    """Read an ANCT QPV GeoJSON (2024 ``code_qp``/``insee_com`` or 2015 ``CODE_QP``)."""
    try:
        donnees = json.loads(Path(chemin).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ErreurUtilisateur(
            "Fichier QPV introuvable",
            fichier=str(chemin),
            correctif="Indiquer le chemin d'un fichier GeoJSON des QPV (par exemple celui de l'ANCT).",
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ErreurUtilisateur(
            f"Le fichier QPV n'est pas un GeoJSON lisible : {exc}",
            fichier=str(chemin),
            correctif="Fournir un fichier GeoJSON (FeatureCollection) encodé en UTF-8.",
        ) from exc
    entites = donnees.get("features") if isinstance(donnees, dict) else None
    if not entites:
        raise ErreurUtilisateur(
            "Le fichier QPV ne contient aucune entité (features)",
            fichier=str(chemin),
            correctif="Fournir une FeatureCollection GeoJSON des QPV.",
        )
    nom_crs = json.dumps(donnees.get("crs") or {})
    lambert = "2154" in nom_crs
    resultat: list[QpvPlace] = []
    for i, f in enumerate(entites, start=1):
        props = f.get("properties") or {}
        code = props.get("code_qp") or props.get("CODE_QP")
        communes = props.get("insee_com") or props.get("code_insee") or props.get("INSEE_COM")
        if not code or not communes or not f.get("geometry"):
            raise ErreurUtilisateur(
                "Entité QPV sans code_qp, insee_com ou géométrie",
                fichier=str(chemin),
                ligne=i,
                champ="code_qp / insee_com",
                correctif="Utiliser le fichier des QPV de l'ANCT (champs code_qp et insee_com).",
            )
        if isinstance(communes, list):
            commune = str(communes[0])
        else:
            commune = str(communes).replace(";", ",").replace("|", ",").split(",")[0].strip()
        epsg = epsg_legal(commune)
        if epsg is None:
            continue  # Polynésie, Nouvelle-Calédonie: not in SIRENE
        geom = shape(f["geometry"])
        if not lambert and i == 1:
            x0 = shapely.get_coordinates(geom)[0, 0]
            lambert = abs(x0) > 1000
        if lambert:
            if epsg != 2154:
                continue
            geom_l = shapely.make_valid(geom)
            geom_w = reprojeter(geom_l, 2154, 4326)
        else:
            geom_w = shapely.make_valid(geom)
            geom_l = reprojeter(geom_w, 4326, epsg)
        resultat.append(QpvPlace(str(code), commune, props.get("lib_com"), epsg, geom_l, geom_w))
    if not resultat:
        raise ErreurUtilisateur(
            "Aucun QPV utilisable dans le fichier (territoires absents de SIRENE uniquement ?)",
            fichier=str(chemin),
            correctif="Fournir des QPV de métropole ou des DROM.",
        )
    return resultat


def _triangles(geom: shapely.Geometry, marge: float) -> np.ndarray:
    """Triangles (k, 3, 2) covering ``geom`` shrunk by ``marge`` metres."""
    interieur = geom.buffer(-marge)
    if interieur.is_empty:
        interieur = geom
    tri = shapely.constrained_delaunay_triangles(shapely.get_parts(interieur))
    parts = shapely.get_parts(shapely.get_parts(tri))
    parts = parts[shapely.get_type_id(parts) == 3]
    coords = shapely.get_coordinates(parts).reshape(len(parts), 4, 2)[:, :3, :]
    return coords


class PlaceurQPV(Placeur):
    """Points inside, near and away from real QPV contours (see module docstring)."""

    def __init__(self, qpv: list[QpvPlace], parts: dict[int, float] | None = None) -> None:
        super().__init__()
        self.qpv = qpv
        self.qpv_codes = [q.code for q in qpv]
        parts = parts or PARTS_DEFAUT
        self._zones = np.array(sorted(parts), dtype=np.int8)
        p = np.array([parts[z] for z in self._zones], dtype=float)
        self._p_zones = p / p.sum()
        self._geoms = np.array([q.geom for q in qpv], dtype=object)
        self._geoms_wgs = np.array([q.geom_wgs84 for q in qpv], dtype=object)
        shapely.prepare(self._geoms)
        shapely.prepare(self._geoms_wgs)
        self._epsg = np.array([q.epsg for q in qpv], dtype=np.int32)
        aires = shapely.area(self._geoms)
        poids = np.sqrt(aires)
        self._p_qpv = poids / poids.sum()
        self._bornes = shapely.bounds(self._geoms)
        self._repli = shapely.point_on_surface(self._geoms)
        self._arbres = {
            e: (shapely.STRtree(self._geoms[self._epsg == e]), np.flatnonzero(self._epsg == e))
            for e in np.unique(self._epsg)
        }
        # Triangles of each QPV (computed on first use), with cumulative areas.
        self._tri_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._commune_qpv = np.array(
            [self.indice_commune(q.commune, self._libelle(q)) for q in qpv], dtype=np.int32
        )
        self._arrondissements = self._preparer_arrondissements()

    @staticmethod
    def _libelle(q: QpvPlace) -> str | None:
        return majuscules_sans_accents(q.lib_com) if q.lib_com else None

    def _preparer_arrondissements(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """For Paris, Lyon, Marseille: SIRENE uses arrondissement codes, nearest centroid wins."""
        resultat: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for ville in VILLES_ARRONDISSEMENTS:
            if ville not in self._index_communes:
                continue
            arr = [r for r in communes_reference() if r.parent == ville and r.code != ville]
            idx = np.array(
                [self.indice_commune(r.code, r.nom, r.code_postal) for r in arr], dtype=np.int32
            )
            x, y = transformateur(4326, 2154).transform([r.lon for r in arr], [r.lat for r in arr])
            resultat[self._index_communes[ville]] = (idx, np.asarray(x), np.asarray(y))
        return resultat

    # -- sampling -----------------------------------------------------------------------------
    def _dedans(self, rng: np.random.Generator, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.empty(len(q))
        y = np.empty(len(q))
        a_faire = np.arange(len(q))
        for _ in range(20):
            if not len(a_faire):
                break
            qq = q[a_faire]
            u = rng.random(len(qq))
            t = np.empty((len(qq), 3, 2))
            ordre = np.argsort(qq, kind="stable")
            uniques, debuts = np.unique(qq[ordre], return_index=True)
            for j, m in zip(uniques, np.split(ordre, debuts[1:]), strict=True):
                # per QPV: pick a triangle proportionally to its area
                tris, cum = self._triangles_de(int(j))
                k = np.searchsorted(cum, u[m] * cum[-1], side="right").clip(0, len(cum) - 1)
                t[m] = tris[k]
            r1 = rng.uniform(0.02, 0.98, len(qq))
            r2 = rng.uniform(0.02, 0.98, len(qq))
            s = np.sqrt(r1)
            w0, w1, w2 = 1 - s, s * (1 - r2), s * r2
            px = np.round(w0 * t[:, 0, 0] + w1 * t[:, 1, 0] + w2 * t[:, 2, 0], 1)
            py = np.round(w0 * t[:, 0, 1] + w1 * t[:, 1, 1] + w2 * t[:, 2, 1], 1)
            ok = self._verifier_dedans(qq, px, py)
            x[a_faire[ok]] = px[ok]
            y[a_faire[ok]] = py[ok]
            a_faire = a_faire[~ok]
        if len(a_faire):  # tiny slivers: the representative point, rounded, if still inside
            qq = q[a_faire]
            px = np.round(shapely.get_x(self._repli[qq]), 1)
            py = np.round(shapely.get_y(self._repli[qq]), 1)
            ok = self._verifier_dedans(qq, px, py)
            x[a_faire] = np.where(ok, px, np.nan)  # NaN: placed without coordinates instead
            y[a_faire] = np.where(ok, py, np.nan)
        return x, y

    def _triangles_de(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        if j not in self._tri_cache:
            t = _triangles(self.qpv[j].geom, marge=0.5)
            a = 0.5 * np.abs(
                (t[:, 1, 0] - t[:, 0, 0]) * (t[:, 2, 1] - t[:, 0, 1])
                - (t[:, 2, 0] - t[:, 0, 0]) * (t[:, 1, 1] - t[:, 0, 1])
            )
            self._tri_cache[j] = (t, np.cumsum(a))
        return self._tri_cache[j]

    def _verifier_dedans(self, q: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ok = shapely.contains_xy(self._geoms[q], x, y)
        lon = np.empty(len(q))
        lat = np.empty(len(q))
        for e in np.unique(self._epsg[q]):
            m = self._epsg[q] == e
            lon[m], lat[m] = transformateur(int(e), 4326).transform(x[m], y[m])
        return ok & shapely.contains_xy(self._geoms_wgs[q], lon, lat)

    def _dans_un_qpv(self, epsg: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dedans = np.zeros(len(x), dtype=bool)
        for e in np.unique(epsg):
            m = np.flatnonzero(epsg == e)
            arbre, _ = self._arbres[int(e)]
            hits = arbre.query(shapely.points(x[m], y[m]), predicate="intersects")
            dedans[m[np.unique(hits[0])]] = True
        return dedans

    def _bande(
        self, rng: np.random.Generator, q: np.ndarray, dmin: float, dmax: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.full(len(q), np.nan)
        y = np.full(len(q), np.nan)
        d = np.full(len(q), np.nan)
        a_faire = np.arange(len(q))
        for _ in range(200):
            if not len(a_faire):
                break
            qq = q[a_faire]
            b = self._bornes[qq]
            px = np.round(rng.uniform(b[:, 0] - dmax, b[:, 2] + dmax), 1)
            py = np.round(rng.uniform(b[:, 1] - dmax, b[:, 3] + dmax), 1)
            dist = shapely.distance(self._geoms[qq], shapely.points(px, py))
            ok = (dist > dmin) & (dist <= dmax) & (dist > 0)
            ok &= self._accepter_loin(px, py) if dmin >= 1000 else True
            if ok.any():
                ok[ok] = ~self._dans_un_qpv(self._epsg[qq[ok]], px[ok], py[ok])
            x[a_faire[ok]], y[a_faire[ok]], d[a_faire[ok]] = px[ok], py[ok], dist[ok]
            a_faire = a_faire[~ok]
        return x, y, d

    def _accepter_loin(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.ones(len(x), dtype=bool)

    def commune_de(self, q: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Commune of each point: that of its QPV, or the nearest arrondissement in PLM."""
        c = self._commune_qpv[q].copy()
        for ville, (idx, ax, ay) in self._arrondissements.items():
            m = np.flatnonzero(c == ville)
            if len(m):
                d2 = (x[m, None] - ax[None, :]) ** 2 + (y[m, None] - ay[None, :]) ** 2
                c[m] = idx[np.argmin(d2, axis=1)]
        return c

    def placer(self, rng: np.random.Generator, n: int) -> Lieux:
        zone = rng.choice(self._zones, size=n, p=self._p_zones).astype(np.int8)
        q = rng.choice(len(self.qpv), size=n, p=self._p_qpv).astype(np.int32)
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        d = np.full(n, np.nan)
        m = np.flatnonzero(zone == DEDANS)
        x[m], y[m] = self._dedans(rng, q[m])
        d[m] = 0.0
        for z, (dmin, dmax) in BANDES.items():
            m = np.flatnonzero(zone == z)
            if len(m):
                x[m], y[m], d[m] = self._bande(rng, q[m], dmin, dmax)
        perdus = np.isnan(x)  # could not be placed in their band (very rare): no coordinates
        zone[perdus] = SANS_COORDONNEES
        commune = self.commune_de(q, np.nan_to_num(x), np.nan_to_num(y))
        return Lieux(commune=commune, x=x, y=y, zone=zone, qpv=q, distance=d)
