"""Legal projections of French territories, and coordinate sanity checks.

SIRENE (like the BAN) gives coordinates in each territory's *legal* projection: Lambert-93
in métropole, a UTM zone overseas. Every QPV of a territory is indexed in that territory's
legal projection (metric, so distances are in metres); points given in another system are
reprojected to it first.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyproj

WGS84 = 4326


@dataclass(frozen=True)
class Territoire:
    """One geodetic territory: its legal projection and its WGS84 extent."""

    nom: str
    epsg: int
    departements: tuple[str, ...]  # COG département codes ("" = every other one)
    bornes: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


# Extents are the EPSG areas of use of each legal system, widened to cover every island of
# the territory (Guyane's western border, the whole of Polynésie française).
TERRITOIRES: tuple[Territoire, ...] = (
    Territoire("France métropolitaine", 2154, (), (-9.86, 41.15, 10.38, 51.56)),
    Territoire(
        "Antilles (Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy)",
        5490,
        ("971", "972", "977", "978"),
        (-63.66, 14.08, -57.52, 18.54),
    ),
    Territoire("Guyane", 2972, ("973",), (-54.61, 2.11, -49.45, 8.88)),
    Territoire("La Réunion", 2975, ("974",), (51.83, -24.72, 58.24, -18.28)),
    Territoire("Mayotte", 4471, ("976",), (43.68, -14.49, 46.7, -11.33)),
    Territoire("Saint-Pierre-et-Miquelon", 4467, ("975",), (-57.1, 43.41, -55.9, 47.37)),
    Territoire("Polynésie française", 3297, ("987",), (-155.0, -29.0, -134.0, -7.0)),
    Territoire("Nouvelle-Calédonie", 3163, ("988",), (163.54, -22.75, 168.2, -19.5)),
    Territoire("Wallis-et-Futuna", 2988, ("986",), (-178.3, -14.4, -176.0, -13.1)),
)
PAR_EPSG = {t.epsg: t for t in TERRITOIRES}
EPSG_LEGAUX = tuple(t.epsg for t in TERRITOIRES)
_DEP_VERS_EPSG = {d: t.epsg for t in TERRITOIRES for d in t.departements}
_DEPARTEMENTS_LEGAUX = list(_DEP_VERS_EPSG)
_EPSG_PAR_POSITION = np.array([*_DEP_VERS_EPSG.values(), 2154], dtype=np.int32)  # last: other


def departement_de_commune(code: str) -> str:
    """The département of a COG commune code: 3 characters overseas (97x, 98x), else 2."""
    code = str(code).strip()
    return code[:3] if code.startswith(("97", "98")) else code[:2]


def epsg_legal(code_commune_ou_departement: str) -> int:
    """Legal projection (EPSG) of a commune or département code.

    2154 in métropole (and for any other well-formed code, such as the fictional "00"
    département of the demo), 5490 for 971/972/977/978, 2972 for 973, 2975 for 974,
    4471 for 976, 4467 for 975; 3297, 3163 and 2988 for 987, 988 and 986.
    """
    code = str(code_commune_ou_departement).strip()
    return _DEP_VERS_EPSG.get(departement_de_commune(code), 2154)


def epsg_legaux(codes: Any) -> np.ndarray:
    """Vectorised :func:`epsg_legal` (missing or blank codes → 0).

    ``codes``: a sequence, numpy array or Arrow array of codes. Each distinct code is
    resolved once (a stock has a few tens of thousands of communes for millions of rows).
    """
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    if not isinstance(codes, pa.Array):
        objets = np.asarray(codes, dtype=object)
        try:
            codes = pa.array(objets, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # non-text codes: row by row
            sortie = np.zeros(len(objets), dtype=np.int32)
            for i, c in enumerate(objets):
                if c is not None and c == c and str(c).strip():
                    sortie[i] = epsg_legal(str(c))
            return sortie
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int32)
    if not pa.types.is_dictionary(codes.type):
        codes = pc.dictionary_encode(codes)
    # each distinct code once, vectorised (a batch has tens of thousands of distinct codes)
    uniques = pc.utf8_trim_whitespace(codes.dictionary.cast(pa.string()))
    outre_mer = pc.or_(pc.starts_with(uniques, "97"), pc.starts_with(uniques, "98"))
    deps = pc.if_else(
        outre_mer,
        pc.utf8_slice_codeunits(uniques, 0, 3),
        pc.utf8_slice_codeunits(uniques, 0, 2),
    )
    position = pc.index_in(deps, value_set=pa.array(_DEPARTEMENTS_LEGAUX, pa.string()))
    par_code = np.append(
        np.where(
            pc.equal(pc.utf8_length(uniques), 0).to_numpy(zero_copy_only=False),
            0,
            _EPSG_PAR_POSITION[pc.fill_null(position, len(_DEPARTEMENTS_LEGAUX)).to_numpy()],
        ),
        0,
    ).astype(np.int32)
    indices = pc.fill_null(codes.indices.cast(pa.int32()), len(uniques))
    return par_code[indices.to_numpy()]


@lru_cache(maxsize=64)
def transformateur(source: int, cible: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, cible, always_xy=True)


# Lambert-93 (EPSG:2154): Lambert conformal conic 2SP on GRS80 (EPSG guidance note 7-2).
# RGF93 and WGS84 coincide at the metre level (PROJ applies a null transformation).
_A = 6378137.0
_F = 1 / 298.257222101
_E2 = 2 * _F - _F * _F
_E = float(np.sqrt(_E2))


def _m(phi: float) -> float:
    return float(np.cos(phi) / np.sqrt(1 - _E2 * np.sin(phi) ** 2))


def _t(phi: float) -> float:
    s = np.sin(phi)
    return float(np.tan(np.pi / 4 - phi / 2) / ((1 - _E * s) / (1 + _E * s)) ** (_E / 2))


_P1, _P2, _P0, _L0 = (float(np.radians(v)) for v in (49.0, 44.0, 46.5, 3.0))
_N = (np.log(_m(_P1)) - np.log(_m(_P2))) / (np.log(_t(_P1)) - np.log(_t(_P2)))
_FF = _m(_P1) / (_N * _t(_P1) ** _N)
_R0 = _A * _FF * _t(_P0) ** _N
_FE, _FN = 700_000.0, 6_600_000.0
# latitude from the conformal latitude χ, series in e² (EPSG guidance note 7-2)
_C2 = _E2 / 2 + 5 * _E2**2 / 24 + _E2**3 / 12 + 13 * _E2**4 / 360
_C4 = 7 * _E2**2 / 48 + 29 * _E2**3 / 240 + 811 * _E2**4 / 11520
_C6 = 7 * _E2**3 / 120 + 81 * _E2**4 / 1120
_C8 = 4279 * _E2**4 / 161280


def lambert93_vers_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised inverse Lambert-93 (several times faster than PROJ on large arrays)."""
    dx = np.asarray(x, dtype=np.float64) - _FE
    dy = _R0 - (np.asarray(y, dtype=np.float64) - _FN)
    r = np.hypot(dx, dy)
    theta = np.arctan2(dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (r / (_A * _FF)) ** (1 / _N)
    chi = np.pi / 2 - 2 * np.arctan(t)
    s2, c2 = np.sin(2 * chi), np.cos(2 * chi)
    s4, c4 = 2 * s2 * c2, c2 * c2 - s2 * s2
    s6, s8 = s4 * c2 + c4 * s2, 2 * s4 * c4
    lat = chi + _C2 * s2 + _C4 * s4 + _C6 * s6 + _C8 * s8
    lon = theta / _N + _L0
    return np.degrees(lon), np.degrees(lat)


def _par_morceaux(fonction: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a vectorised (GIL-releasing) numpy function to chunks in threads."""
    n, fils = len(x), min(os.cpu_count() or 1, 8)
    if n < 262_144 or fils < 2:
        return fonction(x, y)  # type: ignore[no-any-return]
    bornes = np.linspace(0, n, fils + 1).astype(int)
    with ThreadPoolExecutor(max_workers=fils) as pool:
        parts = list(
            pool.map(
                lambda i: fonction(x[bornes[i] : bornes[i + 1]], y[bornes[i] : bornes[i + 1]]),
                range(fils),
            )
        )
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def transformer(
    x: np.ndarray, y: np.ndarray, source: int, cible: int
) -> tuple[np.ndarray, np.ndarray]:
    """Reproject arrays (x = longitude for EPSG:4326); invalid points become NaN."""
    if source == cible:
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if source == 2154 and cible == WGS84:
        lon, lat = _par_morceaux(lambert93_vers_wgs84, x, y)
        mauvais = ~np.isfinite(lon) | ~np.isfinite(lat)
        if mauvais.any():
            lon, lat = np.where(mauvais, np.nan, lon), np.where(mauvais, np.nan, lat)
        return lon, lat
    a, b = transformateur(source, cible).transform(x, y, errcheck=False)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    mauvais = ~np.isfinite(a) | ~np.isfinite(b)
    if mauvais.any():
        a = np.where(mauvais, np.nan, a)
        b = np.where(mauvais, np.nan, b)
    return a, b


def verifier_epsg(epsg: int) -> None:
    """Raise ValueError with a French message when ``epsg`` is not a known CRS."""
    try:
        pyproj.CRS.from_epsg(int(epsg))
    except Exception as exc:  # pyproj.exceptions.CRSError
        raise ValueError(f"code EPSG inconnu : {epsg}") from exc


def dans_bornes(lon: np.ndarray, lat: np.ndarray, marge: float = 0.0) -> np.ndarray:
    """EPSG of the territory whose WGS84 extent (widened by ``marge`` degrees) holds each point, else 0."""
    sortie = np.zeros(len(lon), dtype=np.int32)
    for t in TERRITOIRES:
        x0, y0, x1, y1 = t.bornes
        dedans = (
            (lon >= x0 - marge) & (lon <= x1 + marge) & (lat >= y0 - marge) & (lat <= y1 + marge)
        )
        sortie = np.where((sortie == 0) & dedans, t.epsg, sortie)
    return sortie


def territoire_le_plus_proche(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EPSG of the territory whose extent is nearest (in degrees) to each point."""
    meilleur = np.full(len(lon), np.inf)
    sortie = np.full(len(lon), 2154, dtype=np.int32)
    for t in TERRITOIRES:
        x0, y0, x1, y1 = t.bornes
        dx = np.maximum(np.maximum(x0 - lon, lon - x1), 0.0)
        dx = np.minimum(dx, 360.0 - dx)  # across the antimeridian
        dy = np.maximum(np.maximum(y0 - lat, lat - y1), 0.0)
        d = np.hypot(dx * np.cos(np.radians(np.clip(lat, -89, 89))), dy)
        mieux = d < meilleur
        meilleur = np.where(mieux, d, meilleur)
        sortie = np.where(mieux, t.epsg, sortie)
    return sortie


def ressemble_lambert93(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Values in the Lambert-93 range of métropole (x 0–1 300 km, y 6 000–7 200 km)."""
    return (x > 0) & (x < 1_300_000) & (y > 6_000_000) & (y < 7_200_000)


def ressemble_utm(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Values in the range of an overseas UTM projection (metres, not degrees)."""
    return (
        (np.abs(x) > 1_000)
        & (np.abs(x) < 1_000_000)
        & (np.abs(y) > 100_000)
        & (np.abs(y) < 10_000_000)
    )


def diagnostic_coordonnees(x: np.ndarray, y: np.ndarray, epsg: int | None) -> str | None:
    """A French explanation when a batch of coordinates is clearly in the wrong system.

    Looks at the rows with coordinates: Lambert (metres) given as WGS84 degrees, degrees given
    as a projection, or longitude and latitude swapped. Returns None when nothing is wrong.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    x, y = x[ok], y[ok]
    n = len(x)
    if epsg == WGS84:
        hors = (np.abs(x) > 180) | (np.abs(y) > 90)
        if hors.mean() > 0.5:
            if ressemble_lambert93(x, y).mean() > 0.5:
                return (
                    "les coordonnées sont en mètres et ressemblent à du Lambert-93 (EPSG:2154), "
                    "pas à des degrés WGS84 : indiquez la projection avec --epsg 2154 "
                    "(et --x/--y, ou des colonnes x,y)"
                )
            if ressemble_utm(x, y).mean() > 0.5:
                return (
                    "les coordonnées sont en mètres (projection UTM d'outre-mer), pas en degrés "
                    "WGS84 : indiquez la projection légale du territoire avec --epsg "
                    "(5490 Antilles, 2972 Guyane, 2975 La Réunion, 4471 Mayotte, 4467 Saint-Pierre-et-Miquelon)"
                )
            return "les coordonnées sortent des plages de longitude (±180) et de latitude (±90)"
        connus = dans_bornes(x, y, 1.0) > 0
        inverses = dans_bornes(y, x, 1.0) > 0
        if (inverses & ~connus).sum() > 0.5 * n:
            return (
                "longitude et latitude semblent inversées (la plupart des points tombent en "
                "France une fois inversés) : vérifiez l'ordre des colonnes lon,lat"
            )
        return None
    if epsg is not None and epsg != WGS84:
        en_degres = (np.abs(x) <= 180) & (np.abs(y) <= 90)
        if en_degres.mean() > 0.5:
            return (
                f"les coordonnées ressemblent à des degrés (longitude, latitude) et non à des mètres "
                f"en EPSG:{epsg} : utilisez les colonnes lon,lat ou indiquez --epsg 4326"
            )
    return None
