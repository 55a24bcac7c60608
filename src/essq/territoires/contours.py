"""Import of commune contours, to give the commune (hence EPCI, département, région) of a point.

Any vector file with a commune code field and polygons (IGN Admin Express ``COMMUNE``,
``communes-*.geojson`` of france-geojson, a commune layer exported from a GIS…), in WGS84 or
a legal projection. Stored as ``contours_communes.parquet`` (code, nom, geometrie WKB
EPSG:4326); an import replaces the previous contours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

from essq.erreurs import ErreurUtilisateur
from essq.fichiers import sha256
from essq.territoires import geo, projections, stockage
from essq.territoires.cog import MOTIF_COMMUNE

CHAMPS_CODE = ("code", "insee_com", "code_insee", "codgeo", "inseecom", "insee")
CHAMPS_NOM = ("nom", "nom_com", "libelle", "nom_commune", "libgeo")
SCHEMA = pa.schema([("code", pa.string()), ("nom", pa.string()), ("geometrie", pa.binary())])


@dataclass
class RapportContours:
    fichiers: list[str]
    communes: int = 0
    reparees: int = 0
    par_territoire: dict[str, int] = field(default_factory=dict)

    def en_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def importer_contours(
    fichiers: Sequence[Path | str], *, home: Path | str | None = None
) -> RapportContours:
    """Import commune contours (several files accumulate in one call; replaces previous ones)."""
    rapport = RapportContours(fichiers=[str(f) for f in fichiers])
    lignes: dict[str, dict[str, Any]] = {}
    for couche, ccode in geo.couches_avec_code(
        fichiers,
        CHAMPS_CODE,
        introuvable="Champ du code commune introuvable.",
        champ="code",
        correctif="Champs attendus : code, insee_com ou codgeo ; champs présents : ",
    ):
        cnom = couche.champ(CHAMPS_NOM)
        for n, ligne, wkb in couche.objets():
            code = str(ligne.get(ccode) or "").strip()
            if not MOTIF_COMMUNE.match(code):
                raise ErreurUtilisateur(
                    f"Code commune mal formé « {code} ».",
                    fichier=couche.origine,
                    ligne=n,
                    champ=ccode,
                    correctif="Codes INSEE sur 5 caractères attendus (ex. 93066, 2A004).",
                )
            g = shapely.from_wkb(wkb) if wkb is not None else None
            if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
                raise ErreurUtilisateur(
                    f"La commune {code} n'a pas de contour polygonal.",
                    fichier=couche.origine,
                    ligne=n,
                    correctif="Corriger ou retirer cet objet.",
                )
            g = shapely.force_2d(g)
            xy = shapely.get_coordinates(g)
            source = couche.epsg
            if source is None:
                en_degres = (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
                source = projections.WGS84 if en_degres else projections.epsg_legal(code)
            if source != projections.WGS84:
                t = projections.transformateur(source, projections.WGS84)
                g = shapely.transform(
                    g, lambda c, t=t: np.column_stack(t.transform(c[:, 0], c[:, 1]))
                )
            if not g.is_valid:
                g = shapely.make_valid(g)
                rapport.reparees += 1
            lignes[code] = {
                "code": code,
                "nom": str(ligne.get(cnom) or "") if cnom else "",
                "geometrie": shapely.to_wkb(g),
            }
            nom_t = projections.PAR_EPSG[projections.epsg_legal(code)].nom
            rapport.par_territoire[nom_t] = rapport.par_territoire.get(nom_t, 0) + 1
    rapport.communes = len(lignes)
    table = pa.Table.from_pylist([lignes[c] for c in sorted(lignes)], schema=SCHEMA)
    with stockage.mise_a_jour(home) as chantier:
        chantier.ecrire_table(
            "contours_communes",
            table,
            [{"fichier": str(Path(f).resolve()), "sha256": sha256(f)} for f in fichiers],
        )
    return rapport


class CommunesParPoint:
    """Which commune contour contains a WGS84 point (smallest code on ties)."""

    def __init__(self, table: pa.Table) -> None:
        self.codes = table.column("code").to_pylist()
        self.geometries = shapely.from_wkb(
            np.array(table.column("geometrie").to_pylist(), dtype=object)
        )
        self.arbre = shapely.STRtree(self.geometries)

    def commune(self, lon: float, lat: float) -> str | None:
        trouves = self.arbre.query(shapely.Point(lon, lat), predicate="intersects")
        return min((self.codes[i] for i in trouves), default=None)
