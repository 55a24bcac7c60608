"""``Territoires``: the imported geography, loaded once, answering point and batch lookups."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from essq.erreurs import DonneesAbsentes, ErreurUtilisateur
from essq.territoires import projections, stockage
from essq.territoires.index import IndexZone
from essq.territoires.qpv import empreinte, groupes, nom_index
from essq.territoires.texte import normaliser

STATUTS = ("ok", "absentes", "hors_plage", "incoherentes")
_OK, _ABSENTES, _HORS_PLAGE, _INCOHERENTES = range(4)
# A projected point whose WGS84 position falls this far (degrees) outside its CRS's
# territory is out of range (wrong system, or garbage).
_MARGE_PLAGE = 10.0
_MARGE_TERRITOIRE = 1.0


def _noms(table: pa.Table | None) -> dict[str, str]:
    """code -> nom of a COG table (empty when the table is not imported)."""
    if table is None:
        return {}
    return dict(zip(table.column("code").to_pylist(), table.column("nom").to_pylist(), strict=True))


class _Millesime:
    """The QPV of one millésime: codes, names, and one grid index per territory."""

    def __init__(
        self, millesime: str, zones: dict[int, tuple[dict[str, list[Any]], IndexZone]]
    ) -> None:
        self.millesime = millesime
        self.zones = {epsg: idx for epsg, (_, idx) in zones.items()}
        codes: list[str] = []
        libelles: list[str] = []
        communes: list[list[str]] = []
        self.decalage: dict[int, int] = {}
        self.geometries_wgs84: list[Any] = []
        for epsg, (table, _) in sorted(zones.items()):
            self.decalage[epsg] = len(codes)
            codes += table["code_qp"]
            libelles += table["lib_qp"]
            communes += table["communes"]
        self.codes = np.array(codes, dtype=object)
        self.libelles = libelles
        self.communes = communes
        self.position = {c: i for i, c in enumerate(codes)}

    @functools.cached_property
    def dictionnaire(self) -> pa.Array:
        """The codes as an Arrow array (dictionary of the batch results), built on first use:
        pyarrow imports pandas when it converts Python objects, which a single-point lookup
        does not need."""
        return pa.array(self.codes.tolist(), type=pa.string())


class Territoires:
    """Official geography imported under ``$ESSQ_HOME/territoires`` (see docs/territoires.md)."""

    def __init__(self, racine: Path) -> None:
        self.racine = racine
        self.manifeste = stockage.lire_manifeste(racine)
        self._millesimes: dict[str, _Millesime] = {}
        qpv = stockage.lire_table(racine, "qpv")
        if qpv is not None and qpv.num_rows:
            par_millesime: dict[str, dict[int, tuple[dict[str, list[Any]], IndexZone]]] = {}
            dossier_index = racine / stockage.DOSSIER_INDEX
            for (m, epsg), sous in groupes(qpv).items():
                wkbs = sous["geometrie_legale"]
                geoms = shapely.from_wkb(np.array(wkbs, dtype=object))
                emp = empreinte(sous["code_qp"], wkbs)
                idx = IndexZone.charger(dossier_index / nom_index(m, epsg), geoms, emp)
                if idx is None:  # index missing or stale: rebuild in memory (read-only load)
                    idx = IndexZone.construire(geoms, epsg)
                par_millesime.setdefault(m, {})[epsg] = (sous, idx)
            self._millesimes = {m: _Millesime(m, z) for m, z in sorted(par_millesime.items())}
        self._communes = stockage.lire_table(racine, "communes")
        self._epci = stockage.lire_table(racine, "epci")
        self._departements = stockage.lire_table(racine, "departements")
        self._regions = stockage.lire_table(racine, "regions")
        self._zonages = stockage.lire_table(racine, "zonages")
        self._cog_pret = False
        self._parents_prets = False
        self._parents_arrow: tuple[pa.Array, pa.Array] | None = None
        self._recherche: Any = None

    def __getattr__(self, nom: str) -> Any:
        # COG dictionaries are built on first use: batch lookups only need the parents
        if nom == "_parent" and not self.__dict__.get("_parents_prets", True):
            self._parents_prets = True
            self._parent = self._preparer_parents()
            return self._parent
        if nom in _ATTRIBUTS_COG and not self.__dict__.get("_cog_pret", True):
            self._cog_pret = True
            self._preparer_cog()
            return getattr(self, nom)
        raise AttributeError(nom)

    # ------------------------------------------------------------------ loading
    @classmethod
    def charger(cls, home: Path | str | None = None) -> Territoires:
        """Load what has been imported; raises DonneesAbsentes when nothing is."""
        racine = stockage.dossier(home)
        if not (racine / stockage.MANIFESTE).exists():
            raise DonneesAbsentes(
                f"Aucun territoire importé dans {racine}.",
                correctif="Importer les contours des QPV (essq territoires importer-qpv FICHIER "
                "--millesime 2024) et le COG (essq territoires importer-cog DOSSIER) ; "
                "essq donnees telecharger récupère les fichiers officiels.",
            )
        return cls(racine)

    def _preparer_parents(self) -> dict[str, str]:
        """Old, delegated and associated commune codes and arrondissements → current commune
        (read column by column: batch qualification needs this map, not the communes' files)."""
        parent: dict[str, str] = {}
        if self._communes is None:
            return parent
        t = self._communes
        codes = t.column("code").to_pylist()
        types = t.column("type").to_pylist()
        actuelles = {c for c, ty in zip(codes, types, strict=True) if ty == "commune-actuelle"}
        for code, ty, parente, anciens in zip(
            codes,
            types,
            t.column("commune_parente").to_pylist(),
            t.column("anciens_codes").to_pylist(),
            strict=True,
        ):
            cible = parente or code
            if ty != "commune-actuelle" and code not in actuelles:
                parent.setdefault(code, cible)
            for ancien in anciens or []:
                if ancien not in actuelles:
                    parent.setdefault(ancien, cible)
        return parent

    def _preparer_cog(self) -> None:
        self._fiche: dict[str, dict[str, Any]] = {}
        self._nom_dep = _noms(self._departements)
        self._nom_reg = _noms(self._regions)
        self._nom_epci = _noms(self._epci)
        self._zonages_par_commune: dict[str, list[dict[str, Any]]] = {}
        if self._communes is None:
            return
        for ligne in self._communes.to_pylist():
            if ligne["type"] == "commune-actuelle":
                self._fiche[ligne["code"]] = ligne
        if self._zonages is not None:
            for z in self._zonages.to_pylist():
                self._zonages_par_commune.setdefault(z["commune"], []).append(
                    {
                        "zonage": z["zonage"],
                        "valeur": z["valeur"],
                        "date": z["date"].isoformat() if z["date"] else None,
                        "source": z["source"],
                    }
                )

    # ------------------------------------------------------------------ properties
    @property
    def millesimes_qpv(self) -> tuple[str, ...]:
        return tuple(self._millesimes)

    def _choisir(self, millesimes: Sequence[str] | None) -> list[str]:
        if not self._millesimes:
            raise DonneesAbsentes(
                "Aucun contour de QPV importé.",
                correctif="Lancer essq territoires importer-qpv FICHIER --millesime 2024.",
            )
        if millesimes is None:
            return list(self._millesimes)
        choisis = []
        for m in millesimes:
            m = str(m).strip()
            if m not in self._millesimes:
                raise ErreurUtilisateur(
                    f"Le millésime de QPV {m} n'est pas importé (importés : {', '.join(self._millesimes)}).",
                    champ="millesime",
                    correctif=f"Importer ses contours : essq territoires importer-qpv FICHIER --millesime {m}.",
                )
            choisis.append(m)
        return choisis

    def preparer_distances(self) -> None:
        """Make the batch distance kernel ready (segments of every index, compiled code
        loaded) now, e.g. in a background thread while a pipeline starts, rather than
        during its first batch."""
        for mil in self._millesimes.values():
            for idx in mil.zones.values():
                idx.preparer_distances()

    # ------------------------------------------------------------------ batch lookup
    def localiser_lot(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        epsg: int | np.ndarray | None = None,
        codes_commune: np.ndarray | pa.Array | None = None,
        millesimes: Sequence[str] | None = None,
        avec_distance: bool | np.ndarray = True,
        dictionnaires: bool = False,
    ) -> pa.Table:
        """Containing QPV, nearest QPV and distance for each point, in input order.

        ``dictionnaires=True`` gives the text columns (statut, QPV codes) as Arrow
        dictionary arrays instead of strings (no copy of each code; a Parquet writer stores
        them as they are).

        ``avec_distance``: False leaves out the distance columns; a boolean array computes
        the nearest QPV and its distance only for the points where it is True (the others
        outside every QPV get nulls; inside one, the distance is 0 anyway).

        ``codes_commune`` (numpy or Arrow, nulls/blanks allowed) gives each point's legal
        projection when ``epsg`` is None, and checks the coordinates against it otherwise.

        See the module documentation of :mod:`essq.territoires` for the columns.
        """
        choisis = self._choisir(millesimes)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        n = len(x)
        if len(y) != n:
            raise ValueError("x et y doivent avoir la même longueur")
        masque_distance: np.ndarray | None = None
        if isinstance(avec_distance, np.ndarray):
            masque_distance = np.asarray(avec_distance, dtype=bool)
            if len(masque_distance) != n:
                raise ValueError("avec_distance doit avoir la longueur de x")
            avec_distance = True
        if epsg is None:
            if codes_commune is None:
                raise ErreurUtilisateur(
                    "Projection des coordonnées inconnue.",
                    correctif="Indiquer l'EPSG des coordonnées, ou les codes commune pour "
                    "prendre la projection légale de chaque territoire.",
                )
            attendu = projections.epsg_legaux(codes_commune)
            epsg_ligne = np.where(attendu == 0, 2154, attendu).astype(np.int32)
        elif np.ndim(epsg) == 0:
            epsg_ligne = np.full(n, int(epsg), dtype=np.int32)  # type: ignore[arg-type]
        else:
            epsg_ligne = np.asarray(epsg, dtype=np.int32)
        statut = np.full(n, _OK, dtype=np.int8)
        presentes = np.isfinite(x) & np.isfinite(y)
        statut[~presentes] = _ABSENTES
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        for e in np.unique(epsg_ligne[presentes]):
            lignes = np.flatnonzero(presentes & (epsg_ligne == e))
            if e == projections.WGS84:
                a, b = x[lignes], y[lignes]
                hors = (np.abs(a) > 180) | (np.abs(b) > 90)
            else:
                try:
                    projections.verifier_epsg(int(e))
                except ValueError as exc:
                    raise ErreurUtilisateur(
                        f"Projection inconnue : EPSG:{e}.",
                        champ="epsg",
                        correctif="Indiquer un code EPSG valide (2154 Lambert-93, 4326 WGS84…).",
                    ) from exc
                a, b = projections.transformer(x[lignes], y[lignes], int(e), projections.WGS84)
                hors = ~np.isfinite(a) | ~np.isfinite(b)
                if int(e) in projections.PAR_EPSG:
                    x0, y0, x1, y1 = projections.PAR_EPSG[int(e)].bornes
                    mg = _MARGE_PLAGE
                    hors |= (a < x0 - mg) | (a > x1 + mg) | (b < y0 - mg) | (b > y1 + mg)
            lon[lignes], lat[lignes] = a, b
            statut[lignes[hors]] = _HORS_PLAGE
        ok = statut == _OK
        zone = np.zeros(n, dtype=np.int32)
        natif = ok & np.isin(epsg_ligne, projections.EPSG_LEGAUX)
        zone[natif] = epsg_ligne[natif]
        # a point given in a territory's legal projection must fall in that territory
        # (one pass per projection present in the batch)
        for e in np.unique(epsg_ligne[natif]).tolist():
            lignes_natives = (
                np.flatnonzero(natif & (epsg_ligne == e))
                if epsg is None or np.ndim(epsg)
                else np.flatnonzero(natif)
            )  # type: ignore[arg-type]
            if len(lignes_natives):
                x0, y0, x1, y1 = projections.PAR_EPSG[e].bornes
                a, b, mg = lon[lignes_natives], lat[lignes_natives], _MARGE_TERRITOIRE
                dehors = (a < x0 - mg) | (a > x1 + mg) | (b < y0 - mg) | (b > y1 + mg)
                statut[lignes_natives[dehors]] = _INCOHERENTES
        autres = np.flatnonzero(ok & ~natif)
        if len(autres):
            trouvees = projections.dans_bornes(lon[autres], lat[autres], _MARGE_TERRITOIRE)
            inverses = projections.dans_bornes(lat[autres], lon[autres], _MARGE_TERRITOIRE)
            echange = (trouvees == 0) & (inverses > 0) & (epsg_ligne[autres] == projections.WGS84)
            statut[autres[echange]] = _INCOHERENTES
            manquant = trouvees == 0
            if manquant.any():
                trouvees[manquant] = projections.territoire_le_plus_proche(
                    lon[autres][manquant], lat[autres][manquant]
                )
            zone[autres] = trouvees
        if codes_commune is not None:
            if epsg is not None:
                attendu = projections.epsg_legaux(codes_commune)
            a_verifier = np.flatnonzero((statut == _OK) & (attendu > 0) & (attendu != zone))
            if len(a_verifier):
                dans = projections.dans_bornes(lon[a_verifier], lat[a_verifier], _MARGE_TERRITOIRE)
                statut[a_verifier[dans != attendu[a_verifier]]] = _INCOHERENTES
        ok = statut == _OK
        lon[~ok] = np.nan
        lat[~ok] = np.nan

        colonnes: dict[str, pa.Array] = {
            "lon": pa.array(lon, from_pandas=True),
            "lat": pa.array(lat, from_pandas=True),
            "statut_coordonnees": _texte(
                pa.DictionaryArray.from_arrays(
                    pa.array(statut.astype(np.int32)), pa.array(list(STATUTS))
                ),
                dictionnaires,
            ),
        }
        zones_presentes = [int(z) for z in np.unique(zone[ok])]
        coords: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for z in zones_presentes:
            lignes = np.flatnonzero(ok & (zone == z))
            directes = epsg_ligne[lignes] == z
            zx, zy = x[lignes].copy(), y[lignes].copy()
            if not directes.all():
                a, b = projections.transformer(
                    lon[lignes[~directes]], lat[lignes[~directes]], projections.WGS84, z
                )
                zx[~directes], zy[~directes] = a, b
            coords[z] = (lignes, zx, zy)
        for m in choisis:
            mil = self._millesimes[m]
            dedans = np.full(n, -1, dtype=np.int32)
            proche = np.full(n, -1, dtype=np.int32)
            distance = np.full(n, np.nan)
            for z, (lignes, zx, zy) in coords.items():
                idx = mil.zones.get(z)
                if idx is None:
                    continue
                off = mil.decalage[z]
                c = idx.contenant(zx, zy)  # threads inside, one per group of QPV
                trouve = c >= 0
                dedans[lignes[trouve]] = c[trouve] + off
                if avec_distance:
                    proche[lignes[trouve]] = c[trouve] + off
                    distance[lignes[trouve]] = 0.0
                    reste = np.flatnonzero(~trouve)
                    if masque_distance is not None:  # nearest QPV only where asked
                        reste = reste[masque_distance[lignes[reste]]]
                    if len(reste):
                        ip, d = _en_parallele(idx.plus_proche_exterieurs, zx[reste], zy[reste])
                        valide = ip >= 0
                        proche[lignes[reste[valide]]] = ip[valide] + off
                        distance[lignes[reste[valide]]] = d[valide]
            colonnes[f"qpv_{m}"] = _codes(dedans, mil.dictionnaire, dictionnaires)
            if avec_distance:
                colonnes[f"distance_qpv_{m}_m"] = pa.array(distance, from_pandas=True)
                colonnes[f"qpv_proche_{m}"] = _codes(proche, mil.dictionnaire, dictionnaires)
        return pa.table(colonnes)

    # ------------------------------------------------------------------ one point
    def _ligne_point_wgs84(
        self, lon: float, lat: float, choisis: Sequence[str]
    ) -> dict[str, Any] | None:
        """The row :meth:`localiser_lot` gives for one WGS84 point plainly inside a French
        territory's extent, computed without the batch machinery (arrays of statuses, Arrow
        table): the API's single-point path. None for any other point (missing, out of range,
        swapped or far away), which the batch path handles with its diagnostics."""
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
            return None
        mg = _MARGE_TERRITOIRE  # projections.dans_bornes, on Python floats
        z = next(
            (
                t.epsg
                for t in projections.TERRITOIRES
                if t.bornes[0] - mg <= lon <= t.bornes[2] + mg
                and t.bornes[1] - mg <= lat <= t.bornes[3] + mg
            ),
            0,
        )
        if z == 0:
            return None
        # pyproj on two floats: the same PROJ computation as on arrays, without the buffers
        zx, zy = projections.transformateur(projections.WGS84, z).transform(
            lon, lat, errcheck=False
        )
        if not (math.isfinite(zx) and math.isfinite(zy)):
            return None
        ligne: dict[str, Any] = {"lon": float(lon), "lat": float(lat), "statut_coordonnees": "ok"}
        for m in choisis:
            mil = self._millesimes[m]
            code = proche = None
            distance: float | None = None
            idx = mil.zones.get(z)
            if idx is not None:
                off = mil.decalage[z]
                c, ip, d = idx.localiser_point(zx, zy)
                if c >= 0:
                    code = str(mil.codes[c + off])
                if ip >= 0:
                    proche = str(mil.codes[ip + off])
                    distance = None if math.isnan(d) else d
            ligne[f"qpv_{m}"] = code
            ligne[f"distance_qpv_{m}_m"] = distance
            ligne[f"qpv_proche_{m}"] = proche
        return ligne

    def localiser(
        self,
        lon: float,
        lat: float,
        millesimes: Sequence[str] | None = None,
        *,
        epsg: int = projections.WGS84,
        rayon_m: float | None = None,
    ) -> dict[str, Any]:
        """Everything known about one point (the JSON of ``essq qpv localiser``)."""
        choisis = self._choisir(millesimes)
        ligne = self._ligne_point_wgs84(lon, lat, choisis) if epsg == projections.WGS84 else None
        if ligne is None:
            t = self.localiser_lot(
                np.array([lon], dtype=np.float64),
                np.array([lat], dtype=np.float64),
                epsg=epsg,
                millesimes=choisis,
            )
            ligne = t.to_pylist()[0]
        if ligne["statut_coordonnees"] != "ok":
            diag = projections.diagnostic_coordonnees(np.array([lon]), np.array([lat]), epsg)
            raise ErreurUtilisateur(
                f"Coordonnées inutilisables ({ligne['statut_coordonnees']}) : "
                + (diag or "le point ne tombe dans aucun territoire français connu"),
                champ="lon/lat",
                correctif="Donner la longitude puis la latitude en degrés WGS84 (ex. --lon 2.36 --lat 48.93), "
                "ou des coordonnées projetées avec --epsg.",
            )
        resultat: dict[str, Any] = {"lon": round(ligne["lon"], 7), "lat": round(ligne["lat"], 7)}
        par_millesime: dict[str, Any] = {}
        communes_qpv: list[str] = []
        for m in choisis:
            mil = self._millesimes[m]
            code, code_p = ligne[f"qpv_{m}"], ligne[f"qpv_proche_{m}"]
            d = ligne[f"distance_qpv_{m}_m"]
            entree: dict[str, Any] = {
                "code_qp": code,
                "lib_qp": mil.libelles[mil.position[code]] if code else None,
                "distance_m": None if d is None else round(d, 1),
                "code_qp_proche": code_p,
                "lib_qp_proche": mil.libelles[mil.position[code_p]] if code_p else None,
            }
            if rayon_m is not None:
                entree["qpv_dans_rayon"] = self.qpv_dans_rayon(
                    ligne["lon"], ligne["lat"], rayon_m, m
                )
            par_millesime[m] = entree
            if code and not communes_qpv:
                communes_qpv = mil.communes[mil.position[code]]
        recent = choisis[-1] if choisis else None
        if recent:
            resultat["millesime"] = recent
            resultat.update(par_millesime[recent])
        resultat["millesimes"] = par_millesime
        commune, methode = None, ""
        par_point = self._communes_par_point()
        if par_point is not None:
            code_contour = par_point.commune(ligne["lon"], ligne["lat"])
            commune = self.commune(code_contour) if code_contour else None
            methode = "contours des communes importés" if commune else ""
        if commune is None and len(communes_qpv) == 1:
            commune = self.commune(communes_qpv[0])
            methode = "commune du QPV contenant le point" if commune else ""
        resultat["commune"] = commune
        resultat["methode_commune"] = methode or (
            "inconnue : le point n'est ni dans un contour de commune importé "
            "(essq territoires importer-contours) ni dans un QPV d'une seule commune"
        )
        resultat["epci"] = commune["epci"] if commune else None
        resultat["departement"] = commune["departement"] if commune else None
        resultat["region"] = commune["region"] if commune else None
        resultat["zonages"] = commune["zonages"] if commune else []
        resultat["source"] = self.provenance()
        return resultat

    def _communes_par_point(self) -> Any:
        """Commune contours (loaded on first use), or None when none are imported."""
        if "_par_point" not in self.__dict__:
            from essq.territoires.contours import CommunesParPoint

            table = stockage.lire_table(self.racine, "contours_communes")
            self._par_point = (
                CommunesParPoint(table) if table is not None and table.num_rows else None
            )
        return self._par_point

    def qpv_dans_rayon(
        self, lon: float, lat: float, rayon_m: float, millesime: str
    ) -> list[dict[str, Any]]:
        """QPV within ``rayon_m`` metres of a WGS84 point (the *quartier vécu*), nearest first."""
        mil = self._millesimes[self._choisir([millesime])[0]]
        z = int(
            projections.dans_bornes(np.array([lon]), np.array([lat]), _MARGE_TERRITOIRE)[0]
        ) or int(projections.territoire_le_plus_proche(np.array([lon]), np.array([lat]))[0])
        idx = mil.zones.get(z)
        if idx is None:
            return []
        zx, zy = projections.transformer(np.array([lon]), np.array([lat]), projections.WGS84, z)
        return [
            {
                "code_qp": mil.codes[i + mil.decalage[z]],
                "lib_qp": mil.libelles[i + mil.decalage[z]],
                "distance_m": round(d, 1),
            }
            for i, d in idx.dans_rayon(float(zx[0]), float(zy[0]), float(rayon_m))
        ]

    def provenance(self) -> dict[str, Any]:
        tables = self.manifeste.get("tables", {})
        return {
            nom: {
                "sources": [s.get("fichier") or s.get("url") for s in t.get("sources", [])],
                "importe_le": t.get("importe_le"),
                **({"millesimes": t["millesimes"]} if "millesimes" in t else {}),
            }
            for nom, t in tables.items()
        }

    # ------------------------------------------------------------------ COG
    def normaliser_communes(self, codes: Sequence[str] | np.ndarray) -> np.ndarray:
        """Arrondissements, communes déléguées/associées and old codes → current commune."""
        tableau = np.asarray(codes, dtype=object)
        parent = self._parent
        return np.array(
            [
                c if not isinstance(c, str) else parent.get(c.strip(), c.strip())
                for c in tableau.tolist()
            ],
            dtype=object,
        )

    def normaliser_communes_arrow(self, codes: pa.Array) -> pa.Array:
        """:meth:`normaliser_communes` on an Arrow text array, vectorised (nulls stay null):
        the mapping is looked up with one hash join instead of a Python loop."""
        if self._parents_arrow is None:
            parent = self._parent
            self._parents_arrow = (
                pa.array(list(parent), pa.string()),
                pa.array(list(parent.values()), pa.string()),
            )
        sources, cibles = self._parents_arrow
        nets = pc.utf8_trim_whitespace(codes.cast(pa.string()))
        position = pc.index_in(nets, value_set=sources)
        return pc.if_else(pc.is_valid(position), pc.take(cibles, position), nets)

    def commune(self, code: str) -> dict[str, Any] | None:
        """A current commune (after normalisation) with its EPCI, département, région, zonages."""
        if code is None:
            return None
        code = str(code).strip()
        code = self._parent.get(code, code)
        fiche = self._fiche.get(code)
        if fiche is None:
            return None
        return {
            "code": code,
            "nom": fiche["nom"],
            "epci": fiche["epci"],
            "nom_epci": self._nom_epci.get(fiche["epci"] or ""),
            "departement": fiche["departement"],
            "nom_departement": self._nom_dep.get(fiche["departement"] or ""),
            "region": fiche["region"],
            "nom_region": self._nom_reg.get(fiche["region"] or ""),
            "population": fiche["population"],
            "zonages": self._zonages_par_commune.get(code, []) if self._zonages is not None else [],
        }

    def communes_avec_qpv(self, millesime: str) -> set[str]:
        """Communes hosting a QPV: codes as listed in the QPV file plus their current COG code
        (a QPV file of 2024 lists Pierrefitte 93059, merged into Saint-Denis 93066 in 2025)."""
        mil = self._millesimes[self._choisir([millesime])[0]]
        codes = {c for liste in mil.communes for c in (liste or [])}
        return codes | {self._parent.get(c, c) for c in codes}

    def qpv(self, code_qp: str) -> dict[str, Any] | None:
        """One QPV's attributes (code, name, millésime, communes) — no geometry."""
        for m, mil in self._millesimes.items():
            i = mil.position.get(code_qp.strip().upper())
            if i is not None:
                return {
                    "code_qp": mil.codes[i],
                    "lib_qp": mil.libelles[i],
                    "millesime": m,
                    "communes": mil.communes[i],
                }
        return None

    # ------------------------------------------------------------------ search
    def chercher(
        self, texte: str, types: Sequence[str] | None = None, limite: int = 20
    ) -> list[dict[str, Any]]:
        """Territories by name or code (accent- and case-insensitive), exact codes first."""
        from essq.territoires.recherche import Recherche

        if self._recherche is None:
            self._recherche = Recherche(self._entrees_recherche())
        return list(self._recherche.chercher(texte, types=types, limite=limite))

    def _entrees_recherche(self) -> list[tuple[str, str, str, str, int]]:
        entrees: list[tuple[str, str, str, str, int]] = []
        for code, fiche in self._fiche.items():
            libelle = f"{fiche['nom']} ({fiche['departement']})"
            entrees.append(("commune", code, fiche["nom"], libelle, fiche["population"] or 0))
        for code, nom in self._nom_epci.items():
            entrees.append(("epci", code, nom, nom, 0))
        for code, nom in self._nom_dep.items():
            entrees.append(("departement", code, nom, nom, 0))
        for code, nom in self._nom_reg.items():
            entrees.append(("region", code, nom, nom, 0))
        for m, mil in self._millesimes.items():
            for code, lib in zip(mil.codes, mil.libelles, strict=True):
                entrees.append(("qpv", code, lib, f"{lib} (QPV {m})", 0))
        return entrees


_TAILLE_MORCEAU = 131_072
_TAILLE_MIN_MORCEAU = 16_384  # below two such chunks, threads cost more than they save


def _en_parallele(fonction: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Run an index query on chunks in threads (shapely and numpy release the GIL)."""
    n = len(x)
    fils = min(os.cpu_count() or 1, 8)
    if n < 2 * _TAILLE_MIN_MORCEAU or fils < 2:
        r = fonction(x, y)
        return r if isinstance(r, tuple) else (r,)
    # at least one chunk per thread, at most _TAILLE_MORCEAU points each (bounded temporaries)
    taille = min(_TAILLE_MORCEAU, -(-n // fils))
    bornes = list(range(0, n, taille)) + [n]
    with ThreadPoolExecutor(max_workers=fils, thread_name_prefix="essq-lots") as pool:
        morceaux = list(
            pool.map(
                lambda i: fonction(x[bornes[i] : bornes[i + 1]], y[bornes[i] : bornes[i + 1]]),
                range(len(bornes) - 1),
            )
        )
    if isinstance(morceaux[0], tuple):
        return tuple(np.concatenate([m[k] for m in morceaux]) for k in range(len(morceaux[0])))
    return (np.concatenate(morceaux),)


_ATTRIBUTS_COG = frozenset(
    {
        "_fiche",
        "_nom_dep",
        "_nom_reg",
        "_nom_epci",
        "_zonages_par_commune",
        "_population",
    }
)


def _texte(arr: pa.DictionaryArray, dictionnaire: bool) -> pa.Array:
    return arr if dictionnaire else arr.cast(pa.string())


def _codes(indices: np.ndarray, dictionnaire: pa.Array, garder: bool = False) -> pa.Array:
    """QPV codes of polygon indices (-1: null), as strings or (``garder``) a dictionary
    array over every code of the millésime."""
    masque = indices < 0
    arr = pa.DictionaryArray.from_arrays(
        pa.array(np.where(masque, 0, indices).astype(np.int32), mask=masque), dictionnaire
    )
    return _texte(arr, garder)


__all__ = ["Territoires", "normaliser"]
