"""What a territory's map shows: the contours of its QPV and its located ESS establishments.

Drawn from the warehouse itself (no tile server): the API serves it as GeoJSON, the web
pages draw it as inline SVG. Only diffusible positions are in the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely

from essq.erreurs import ErreurUtilisateur
from essq.observatoire import Entrepot
from essq.observatoire.lecture import attribution_texte

POINTS_MAX = 5000
QPV_MAX = 300


@dataclass
class DonneesCarte:
    territoire: dict[str, Any]
    millesime: str
    date_stock: str
    qpv: list[tuple[str, str, shapely.Geometry]]  # code, libellé, geometry (WGS84)
    points: list[dict[str, Any]]  # siret, nom, famille, lon, lat, qpv
    points_total: int
    attribution: str


def donnees_carte(e: Entrepot, territoire: str, millesime: str = "2024") -> DonneesCarte:
    if millesime not in e.millesimes():
        raise ErreurUtilisateur(
            f"Millésime QPV absent de l'entrepôt : {millesime[:10]}.",
            champ="millesime",
            correctif=f"choisir parmi : {', '.join(e.millesimes())}.",
        )
    terr = e.territoire(territoire, millesime)
    if terr["type"] == "qpv":
        millesime = terr["millesime"]
    date = e._date(None)
    if terr["type"] == "qpv":
        codes = [terr["code"]]
    elif terr["type"] == "france":
        codes = [t["code"] for t in e.territoires("qpv", millesime) if t["millesime"] == millesime]
    elif terr["type"] == "commune":
        codes = [
            r[0]
            for r in e.con.execute(
                f"SELECT DISTINCT qpv_{millesime} FROM etablissements_ess WHERE date_stock = ? "
                f"AND commune = ? AND qpv_{millesime} IS NOT NULL",
                [date, terr["code"]],
            ).fetchall()
        ]
    else:
        codes = [
            t["code"]
            for t in e.territoires("qpv", millesime)
            if t["millesime"] == millesime and t.get(terr["type"]) == terr["code"]
        ]
    codes = sorted(codes)[:QPV_MAX]
    contours = e.contours_qpv(millesime)
    libelles = {t["code"]: t["libelle"] for t in e.territoires("qpv", millesime)}
    qpv = [(c, libelles.get(c, c), shapely.from_wkb(contours[c])) for c in codes if c in contours]
    if terr["type"] == "qpv":
        filtre, params = f"qpv_{millesime} = ?", [terr["code"]]
    elif terr["type"] == "france":
        filtre, params = "TRUE", []
    else:
        filtre, params = f"{terr['type']} = ?", [terr["code"]]
    base = (
        f"FROM etablissements_ess WHERE date_stock = ? AND etat = 'A' AND {filtre} "
        "AND lon IS NOT NULL AND lat IS NOT NULL"
    )
    total = e.con.execute(f"SELECT count(*) {base}", [date, *params]).fetchone()
    cur = e.con.execute(
        f"SELECT siret, coalesce(denomination, enseigne) AS nom, famille_ess, lon, lat, "
        f"qpv_{millesime} {base} ORDER BY siret LIMIT {POINTS_MAX}",
        [date, *params],
    )
    points = [
        {"siret": s, "nom": n, "famille": f, "lon": x, "lat": y, "qpv": q}
        for s, n, f, x, y, q in cur.fetchall()
    ]
    return DonneesCarte(
        territoire={k: terr[k] for k in ("type", "code", "libelle")},
        millesime=millesime,
        date_stock=date,
        qpv=qpv,
        points=points,
        points_total=int(total[0]) if total else 0,
        attribution=attribution_texte(date, millesime, e.provenance(date)),
    )


def geojson_territoire(e: Entrepot, territoire: str, millesime: str = "2024") -> dict[str, Any]:
    d = donnees_carte(e, territoire, millesime)
    features: list[dict[str, Any]] = []
    for code, lib, geom in d.qpv:
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-6)),
                "properties": {
                    "type": "qpv",
                    "code_qp": code,
                    "lib_qp": lib,
                    "millesime": d.millesime,
                },
            }
        )
    for p in d.points:
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(p["lon"], 6), round(p["lat"], 6)],
                },
                "properties": {
                    "type": "etablissement",
                    "siret": p["siret"],
                    "nom": p["nom"],
                    "famille_ess": p["famille"],
                    "qpv": p["qpv"],
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "territoire": d.territoire,
        "millesime_qpv": d.millesime,
        "date_stock": d.date_stock,
        "etablissements_localises": d.points_total,
        "etablissements_affiches": len(d.points),
        "attribution": d.attribution,
        "features": features,
    }
