"""The fictional demo territory: one agglomération, its QPV (2015 and 2024), COG, zonages and two
monthly SIRENE stocks. Every file is labelled "Données fictives de démonstration".

Codes are chosen so that they can never collide with real ones:

* département and région ``00`` do not exist in the COG, so communes ``00001``–``00005``,
  arrondissement ``001`` and QPV codes ``QN000..``/``QP000...`` cannot be real;
* the EPCI SIREN ``200000001`` (and the communes' SIREN ``2100000x1``) fail the Luhn check that
  every real SIREN passes;
* postal codes ``001xx`` do not exist (real ones start at ``01000``).

Layout of the output folder: see docs/donnees-demo.md (kept in step with :data:`FICHIERS`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from shapely.geometry import mapping

from essq import __version__
from essq.console import progression
from essq.fichiers import dossier_atomique, sha256
from essq.generateur.ecriture import table_vers_csv
from essq.generateur.modele import Options, cle_luhn, generer_lot
from essq.generateur.nomenclatures import charger
from essq.generateur.placement import (
    DE_300M_A_1KM,
    DEDANS,
    LOIN,
    MOINS_300M,
    PlaceurQPV,
    QpvPlace,
    reprojeter,
)
from essq.generateur.schemas import (
    FICHIER_ETABLISSEMENTS,
    FICHIER_ETABLISSEMENTS_HISTORIQUE,
    FICHIER_UNITES_LEGALES,
    FICHIER_UNITES_LEGALES_HISTORIQUE,
    SCHEMA_ETABLISSEMENT,
    SCHEMA_ETABLISSEMENT_HISTORIQUE,
    SCHEMA_UNITE_LEGALE,
    SCHEMA_UNITE_LEGALE_HISTORIQUE,
)
from essq.generateur.stock import bases_siren

LIBELLE = "Données fictives de démonstration"
DATES_STOCK = (dt.date(2026, 9, 30), dt.date(2026, 10, 31))
N_ETABLISSEMENTS = 3000
# Centre of the agglomération in Lambert-93: a rural area about 50 km from any real QPV.
CENTRE_L93 = (690_000.0, 6_460_000.0)

CODE_REGION = "00"
LIB_REGION = "Région fictive de démonstration"
CODE_DEPARTEMENT = "00"
LIB_DEPARTEMENT = "Département fictif de démonstration"
CODE_ARRONDISSEMENT = "001"
SIREN_EPCI = "200000001"
LIB_EPCI = "CA du Val-Fictif (données fictives de démonstration)"


@dataclass(frozen=True)
class CommuneDemo:
    code: str
    nom: str
    code_postal: str
    siren: str
    population: int
    graine: tuple[float, float]  # offset (m) of its Voronoi seed from the centre


COMMUNES = (
    CommuneDemo("00001", "Fictiville", "00100", "210000011", 58_412, (0.0, 0.0)),
    CommuneDemo("00002", "Sourcebourg", "00120", "210000021", 21_735, (6_500.0, 2_500.0)),
    CommuneDemo("00003", "Val-des-Données", "00130", "210000031", 11_948, (-4_500.0, -5_000.0)),
    CommuneDemo("00004", "Essaim-la-Campagne", "00140", "210000041", 1_486, (-4_000.0, 6_500.0)),
)
# A commune déléguée of Sourcebourg (merger), to exercise anciensCodes.
COMMUNE_DELEGUEE = ("00005", "Vieux-Sourcebourg", "00002")


@dataclass(frozen=True)
class QuartierDemo:
    code_2024: str | None
    code_2015: str | None
    nom: str
    commune: str
    centre: tuple[float, float]  # offset (m) from the centre
    surface_ha: float
    allongement: float
    angle: float
    evolution: str  # how the 2015 perimeter differs: "agrandi", "reduit", "identique", "decale", "nouveau", "sorti"


QUARTIERS = (
    QuartierDemo(
        "QN00001M",
        "QP000001",
        "Les Hauts-de-Fictiville",
        "00001",
        (-300.0, 1_400.0),
        190.0,
        1.5,
        20.0,
        "reduit",
    ),
    QuartierDemo(
        "QN00002M",
        "QP000002",
        "Les Tilleuls-Fictifs",
        "00001",
        (1_500.0, -1_900.0),
        62.0,
        1.8,
        -35.0,
        "agrandi",
    ),
    QuartierDemo(
        "QN00003I",
        "QP000003",
        "Sourcebourg-Centre Démo",
        "00002",
        (6_300.0, 2_200.0),
        24.0,
        1.3,
        60.0,
        "identique",
    ),
    QuartierDemo(
        "QN00004M",
        "QP000004",
        "Plateau des Données",
        "00003",
        (-4_600.0, -5_300.0),
        8.5,
        1.6,
        10.0,
        "decale",
    ),
    QuartierDemo(
        "QN00005N",
        None,
        "Cité de la Gare Fictive",
        "00001",
        (-1_900.0, -900.0),
        4.5,
        1.4,
        75.0,
        "nouveau",
    ),
    QuartierDemo(
        None, "QP000005", "Les Prés-Fictifs", "00002", (8_300.0, 4_200.0), 15.0, 1.5, -10.0, "sorti"
    ),
)

# Relative paths of the files, as documented in docs/donnees-demo.md.
FICHIERS = {
    "lisezmoi": "LISEZMOI.txt",
    "manifeste": "manifeste.json",
    "qpv_2024": "qpv/qpv2024_demo_wgs84.geojson",
    "qpv_2024_lambert93": "qpv/qpv2024_demo_lambert93.geojson",
    "qpv_2015": "qpv/qpv2015_demo_wgs84.geojson",
    "cog": "cog",
    "communes_contours": "cog/communes_contours_wgs84.geojson",
    "zrr": "zonages/zrr_communes_demo.csv",
    "acv": "zonages/acv_communes_demo.csv",
    "pvd": "zonages/pvd_communes_demo.csv",
    "mouvements": "sirene/mouvements_2026-09-30_2026-10-31.csv",
}


@dataclass
class ManifesteDemo:
    """What ``generer_demo`` wrote (also saved as ``manifeste.json``)."""

    sortie: Path
    graine: int
    libelle: str
    dates_stock: list[str]
    fichiers: dict[str, str]  # relative path -> sha256
    comptes: dict[str, Any] = field(default_factory=dict)

    def chemin(self, cle: str) -> Path:
        """Absolute path of a documented file (keys of :data:`FICHIERS`)."""
        return self.sortie / FICHIERS[cle]

    def stock(
        self, date_stock: str | dt.date, quoi: str = "etablissements", format_: str = "csv"
    ) -> Path:
        """Path of one stock file: quoi = 'etablissements' or 'unites_legales'."""
        nom = FICHIER_ETABLISSEMENTS if quoi == "etablissements" else FICHIER_UNITES_LEGALES
        return self.sortie / "sirene" / str(date_stock) / f"{nom}.{format_}"

    @property
    def qpv_2024(self) -> Path:
        return self.chemin("qpv_2024")

    @property
    def qpv_2015(self) -> Path:
        return self.chemin("qpv_2015")

    @property
    def cog(self) -> Path:
        return self.chemin("cog")


# -- geometry ---------------------------------------------------------------------------------
def _decaler(dx: float, dy: float) -> tuple[float, float]:
    return CENTRE_L93[0] + dx, CENTRE_L93[1] + dy


def contour_territoire(rng: np.random.Generator) -> shapely.Polygon:
    """A noisy disc of about 10 km radius: the agglomération."""
    theta = np.linspace(0, 2 * math.pi, 96, endpoint=False)
    r = 10_500 * (
        1
        + 0.08 * np.sin(3 * theta + rng.uniform(0, 6))
        + 0.05 * np.cos(5 * theta + rng.uniform(0, 6))
    )
    cx, cy = _decaler(1_000.0, 500.0)
    return shapely.Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def contours_communes(territoire: shapely.Polygon) -> list[shapely.Polygon]:
    graines = shapely.multipoints([_decaler(*c.graine) for c in COMMUNES])
    cellules = shapely.get_parts(
        shapely.voronoi_polygons(graines, extend_to=territoire.buffer(5_000))
    )
    resultat = []
    for c in COMMUNES:
        p = shapely.Point(_decaler(*c.graine))
        cellule = next(cel for cel in cellules if cel.contains(p))
        resultat.append(shapely.set_precision(cellule.intersection(territoire), 0.1))
    return resultat


def forme_quartier(rng: np.random.Generator, q: QuartierDemo) -> shapely.Polygon:
    """An irregular, star-shaped polygon of the requested area (ha), elongation and angle."""
    theta = np.linspace(0, 2 * math.pi, 64, endpoint=False)
    r = np.ones_like(theta)
    for k in (2, 3, 4, 5):
        r += rng.uniform(0.02, 0.12 / (k - 1)) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    x = r * np.cos(theta) * math.sqrt(q.allongement)
    y = r * np.sin(theta) / math.sqrt(q.allongement)
    a = math.radians(q.angle)
    xr, yr = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
    unitaire = shapely.Polygon(np.column_stack([xr, yr]))
    echelle = math.sqrt(q.surface_ha * 10_000 / unitaire.area)
    cx, cy = _decaler(*q.centre)
    return shapely.set_precision(
        shapely.Polygon(np.column_stack([cx + xr * echelle, cy + yr * echelle])), 0.1
    )


def perimetre_2015(
    rng: np.random.Generator, q: QuartierDemo, g2024: shapely.Polygon
) -> shapely.Polygon:
    """The 2015 perimeter of a quartier, derived from its 2024 one."""
    c = g2024.centroid
    if q.evolution == "identique":
        return g2024
    if q.evolution == "reduit":  # 2015 was larger: an extra lobe left the QPV in 2024
        lobe = shapely.Point(c.x + 900, c.y - 500).buffer(380, quad_segs=8)
        return shapely.set_precision(shapely.unary_union([g2024, lobe]).buffer(20).buffer(-20), 0.1)
    if q.evolution == "agrandi":  # 2015 was smaller
        return shapely.set_precision(shapely.affinity.scale(g2024, 0.8, 0.8, origin=c), 0.1)
    if q.evolution == "decale":
        return shapely.set_precision(shapely.affinity.translate(g2024, 90, 60), 0.1)
    return g2024


def _feature(proprietes: dict[str, Any], geom: shapely.Geometry, decimales: int) -> dict[str, Any]:
    g = shapely.set_precision(geom, 10.0**-decimales) if decimales < 3 else geom
    geo = mapping(shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g)
    geo = json.loads(json.dumps(geo), parse_float=lambda s: round(float(s), decimales))
    return {"type": "Feature", "properties": proprietes, "geometry": geo}


def _collection(nom: str, crs: str, entites: list[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "name": nom,
            "description": f"{LIBELLE} — générées par essq {__version__} ; ne décrivent aucun territoire réel.",
            "crs": {"type": "name", "properties": {"name": crs}},
            "features": entites,
        },
        ensure_ascii=False,
    )


def _wgs84(g: shapely.Geometry) -> shapely.Geometry:
    return reprojeter(g, 2154, 4326)


# -- placement in the demo territory ----------------------------------------------------------
class PlaceurDemo(PlaceurQPV):
    """Placement around the demo QPV 2024; far points stay inside the agglomération."""

    def __init__(
        self,
        quartiers: list[QpvPlace],
        communes: list[shapely.Polygon],
        territoire: shapely.Polygon,
    ) -> None:
        super().__init__(
            quartiers, parts={DEDANS: 0.30, MOINS_300M: 0.15, DE_300M_A_1KM: 0.15, LOIN: 0.40}
        )
        self._territoire = territoire
        shapely.prepare(territoire)
        self._communes_geoms = np.array(communes, dtype=object)
        self._arbre_communes = shapely.STRtree(self._communes_geoms)
        self._indices_communes = np.array(
            [
                self.indice_commune(c.code, c.nom.upper().replace("É", "E"), c.code_postal)
                for c in COMMUNES
            ],
            dtype=np.int32,
        )

    def _accepter_loin(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return shapely.contains_xy(self._territoire, x, y)

    def commune_de(self, q: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        plus_proche = self._arbre_communes.query_nearest(shapely.points(x, y), all_matches=False)
        resultat = np.empty(len(x), dtype=np.int32)
        resultat[plus_proche[0]] = self._indices_communes[plus_proche[1]]
        return resultat


# -- main entry point -------------------------------------------------------------------------
def generer_demo(sortie: Path, graine: int = 2026) -> ManifesteDemo:
    """Write the demo territory into ``sortie`` (replaced atomically) and return its manifest."""
    sortie = Path(sortie)
    rng = np.random.default_rng([graine, 0])
    territoire = contour_territoire(rng)
    communes = contours_communes(territoire)
    geoms_2024: dict[str, shapely.Polygon] = {}
    geoms_2015: dict[str, shapely.Polygon] = {}
    for q in QUARTIERS:
        g = forme_quartier(rng, q)
        if q.code_2024:
            geoms_2024[q.code_2024] = g
        if q.code_2015:
            geoms_2015[q.code_2015] = perimetre_2015(rng, q, g)
    _verifier_geometries(communes, geoms_2024, geoms_2015)

    with progression() as barre, dossier_atomique(sortie) as tmp:
        tache = barre.add_task("Territoire de démonstration", total=6)
        _ecrire_qpv(tmp, geoms_2024, geoms_2015)
        barre.advance(tache)
        _ecrire_cog(tmp, communes)
        _ecrire_zonages(tmp)
        barre.advance(tache)
        places = [
            QpvPlace(code, q.commune, _nom_commune(q.commune), 2154, g, _wgs84(g))
            for q in QUARTIERS
            if (code := q.code_2024) and (g := geoms_2024[code]) is not None
        ]
        placeur = PlaceurDemo(places, communes, territoire)
        comptes = _ecrire_stocks(tmp, graine, placeur, geoms_2024, geoms_2015, barre, tache)
        manifeste = _ecrire_manifeste(tmp, sortie, graine, comptes)
        barre.advance(tache)
    return manifeste


def _nom_commune(code: str) -> str:
    return next(c.nom for c in COMMUNES if c.code == code)


def _verifier_geometries(
    communes: list[shapely.Polygon],
    g24: dict[str, shapely.Polygon],
    g15: dict[str, shapely.Polygon],
) -> None:
    """Internal consistency (a failure here is a bug of the generator, not a user error)."""
    for millesime in (g24, g15):
        geoms = list(millesime.values())
        for i, a in enumerate(geoms):
            assert a.is_valid, "QPV invalide"
            for b in geoms[i + 1 :]:
                assert not a.intersects(b), "QPV qui se chevauchent"
    for q in QUARTIERS:
        commune = communes[[c.code for c in COMMUNES].index(q.commune)]
        for code, millesime in ((q.code_2024, g24), (q.code_2015, g15)):
            if code:
                assert commune.contains(millesime[code]), f"{code} déborde de sa commune"


def _proprietes_2024(q: QuartierDemo) -> dict[str, Any]:
    return {
        "code_qp": q.code_2024,
        "lib_qp": q.nom,
        "insee_reg": CODE_REGION,
        "lib_reg": LIB_REGION,
        "insee_dep": CODE_DEPARTEMENT,
        "lib_dep": LIB_DEPARTEMENT,
        "insee_com": q.commune,
        "lib_com": _nom_commune(q.commune),
        "siren_epci": SIREN_EPCI,
        "lib_epci": LIB_EPCI,
    }


def _ecrire_qpv(
    tmp: Path, g24: dict[str, shapely.Polygon], g15: dict[str, shapely.Polygon]
) -> None:
    (tmp / "qpv").mkdir()
    q24 = [q for q in QUARTIERS if q.code_2024]
    (tmp / FICHIERS["qpv_2024"]).write_text(
        _collection(
            "QP2024_demo_fictive_WGS84",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            [
                _feature(_proprietes_2024(q), _wgs84(g24[q.code_2024]), 7)
                for q in q24
                if q.code_2024
            ],
        ),
        encoding="utf-8",
    )
    (tmp / FICHIERS["qpv_2024_lambert93"]).write_text(
        _collection(
            "QP2024_demo_fictive_LB93",
            "urn:ogc:def:crs:EPSG::2154",
            [_feature(_proprietes_2024(q), g24[q.code_2024], 1) for q in q24 if q.code_2024],
        ),
        encoding="utf-8",
    )
    q15 = [q for q in QUARTIERS if q.code_2015]
    (tmp / FICHIERS["qpv_2015"]).write_text(
        _collection(
            "QP_2015_demo_fictive_WGS84",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            [
                _feature(
                    {
                        "CODE_QP": q.code_2015,
                        "NOM_QP": q.nom,
                        "COMMUNE_QP": _nom_commune(q.commune),
                    },
                    _wgs84(g15[q.code_2015]),
                    7,
                )
                for q in q15
                if q.code_2015
            ],
        ),
        encoding="utf-8",
    )


def _json(chemin: Path, donnees: Any) -> None:
    chemin.write_text(json.dumps(donnees, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _ecrire_cog(tmp: Path, contours: list[shapely.Polygon]) -> None:
    """COG files in the @etalab/decoupage-administratif 6.x JSON format (same keys)."""
    (tmp / "cog").mkdir()
    communes: list[dict[str, Any]] = []
    for c in COMMUNES:
        entree: dict[str, Any] = {
            "code": c.code,
            "nom": c.nom,
            "typeLiaison": 0,
            "zone": "metro",
            "arrondissement": CODE_ARRONDISSEMENT,
            "departement": CODE_DEPARTEMENT,
            "region": CODE_REGION,
            "type": "commune-actuelle",
            "rangChefLieu": 0,
            "siren": c.siren,
            "codesPostaux": [c.code_postal],
            "population": c.population,
        }
        if c.code == COMMUNE_DELEGUEE[2]:
            entree["anciensCodes"] = [COMMUNE_DELEGUEE[0]]
        communes.append(entree)
    parent = COMMUNE_DELEGUEE[2]
    communes.append(
        {
            "code": parent,
            "nom": _nom_commune(parent),
            "typeLiaison": 0,
            "zone": "metro",
            "type": "commune-deleguee",
            "chefLieu": parent,
            "arrondissement": CODE_ARRONDISSEMENT,
            "departement": CODE_DEPARTEMENT,
            "region": CODE_REGION,
        }
    )
    communes.append(
        {
            "code": COMMUNE_DELEGUEE[0],
            "nom": COMMUNE_DELEGUEE[1],
            "typeLiaison": 0,
            "zone": "metro",
            "type": "commune-deleguee",
            "chefLieu": parent,
            "arrondissement": CODE_ARRONDISSEMENT,
            "departement": CODE_DEPARTEMENT,
            "region": CODE_REGION,
        }
    )
    _json(tmp / "cog" / "communes.json", communes)
    population = sum(c.population for c in COMMUNES)
    _json(
        tmp / "cog" / "epci.json",
        [
            {
                "code": SIREN_EPCI,
                "nom": LIB_EPCI,
                "type": "CA",
                "modeFinancement": "FPU",
                "populationTotale": population + 812,
                "populationMunicipale": population,
                "membres": [
                    {
                        "code": c.code,
                        "siren": c.siren,
                        "nom": c.nom,
                        "populationTotale": c.population + c.population // 70,
                        "populationMunicipale": c.population,
                    }
                    for c in sorted(COMMUNES, key=lambda c: -c.population)
                ],
            }
        ],
    )
    _json(
        tmp / "cog" / "departements.json",
        [
            {
                "code": CODE_DEPARTEMENT,
                "region": CODE_REGION,
                "chefLieu": "00001",
                "nom": LIB_DEPARTEMENT,
                "typeLiaison": 0,
                "zone": "metro",
            }
        ],
    )
    _json(
        tmp / "cog" / "regions.json",
        [
            {
                "code": CODE_REGION,
                "chefLieu": "00001",
                "nom": LIB_REGION,
                "typeLiaison": 1,
                "zone": "metro",
            }
        ],
    )
    _json(
        tmp / "cog" / "arrondissements.json",
        [
            {
                "code": CODE_ARRONDISSEMENT,
                "departement": CODE_DEPARTEMENT,
                "region": CODE_REGION,
                "chefLieu": "00001",
                "nom": "Arrondissement fictif de Fictiville",
                "typeLiaison": 0,
            }
        ],
    )
    (tmp / FICHIERS["communes_contours"]).write_text(
        _collection(
            "communes_demo_fictives_WGS84",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            [
                _feature({"code": c.code, "nom": c.nom}, _wgs84(g), 6)
                for c, g in zip(COMMUNES, contours, strict=True)
            ],
        ),
        encoding="utf-8",
    )


def _csv_texte(lignes: list[list[str]], quoting: Any = csv.QUOTE_MINIMAL) -> str:
    tampon = io.StringIO()
    ecrivain = csv.writer(tampon, quoting=quoting, lineterminator="\n")
    ecrivain.writerows(lignes)
    return tampon.getvalue()


def _ecrire_zonages(tmp: Path) -> None:
    """ZRR in the ANCT-Observatoire des territoires layout; ACV and PVD as ANCT's CSV."""
    (tmp / "zonages").mkdir()
    nc = "NC - Commune non classée"
    zrr = {"00004": "C - Classée en ZRR"}
    lignes = [
        [f"Champ : territoire fictif ({LIBELLE})", "", "", ""],
        ["Géographie : Communes, au 1er janvier 2026", "", "", ""],
        [
            f"Source : {LIBELLE}, générées par essq au format ANCT-Observatoire des territoires",
            "",
            "",
            "",
        ],
        ["", "", "", ""],
        ["Code Insee", "Libellé de la commune", "Classement en ZRR", "Modalités du zonage en ZRR"],
        ["CODGEO", "LIBGEO", "ZRR_SIMP", "ZONAGE_ZRR"],
        *[[c.code, c.nom, zrr.get(c.code, nc), zrr.get(c.code, nc)] for c in COMMUNES],
    ]
    (tmp / FICHIERS["zrr"]).write_text(_csv_texte(lignes, csv.QUOTE_ALL), encoding="utf-8")
    acv = [
        ["insee_com", "lib_com", "id_acv", "lib_acv", "date_signature"],
        [
            "00001",
            "Fictiville",
            "ACV900",
            f"Action Cœur de Ville de Fictiville ({LIBELLE})",
            "27-03-2018",
        ],
    ]
    (tmp / FICHIERS["acv"]).write_text(_csv_texte(acv), encoding="utf-8")
    pvd = [
        ["insee_com", "lib_com", "id_pvd", "date_signature"],
        ["00004", "Essaim-la-Campagne", "pvd-00-00-1", "2021-06-15"],
    ]
    (tmp / FICHIERS["pvd"]).write_text(_csv_texte(pvd), encoding="utf-8")


# -- SIRENE stocks ----------------------------------------------------------------------------
def _ecrire_table(dossier: Path, nom: str, table: pa.Table) -> None:
    import pyarrow.parquet as pq

    with open(dossier / f"{nom}.csv", "wb") as f:
        f.write((",".join(table.schema.names) + "\n").encode("utf-8"))
        f.write(table_vers_csv(table))
    pq.write_table(table, dossier / f"{nom}.parquet", compression="zstd")


def _ecrire_stocks(tmp, graine, placeur, g24, g15, barre, tache) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    date_a, date_b = DATES_STOCK
    nomenclatures = charger()
    options = Options(
        date_stock=date_a, part_fermes=0.20, part_etrangers=0.002, part_multi_etablissements=0.15
    )
    rng = np.random.default_rng([graine, 1])
    n_ul_max = N_ETABLISSEMENTS
    bases = bases_siren(np.arange(n_ul_max, dtype=np.int64), 2 * n_ul_max, rng)
    lot = generer_lot(
        rng,
        n_ul_max,
        bases,
        nomenclatures,
        placeur,
        options,
        max_etablissements_lot=N_ETABLISSEMENTS,
    )
    barre.advance(tache)

    # Second stock: creations (new units), closures and transfers (new SIRET, old one closed).
    rng_b = np.random.default_rng([graine, 2])
    options_b = Options(
        date_stock=date_b, part_fermes=0.0, part_etrangers=0.0, part_multi_etablissements=0.0
    )
    n_creations = 45
    bases_b = bases_siren(
        np.arange(n_ul_max, n_ul_max + n_creations, dtype=np.int64), 2 * n_ul_max, rng_b
    )
    nouveau = generer_lot(rng_b, n_creations, bases_b, nomenclatures, placeur, options_b)
    et_a = lot.etablissements.to_pylist()
    ul_a = lot.unites_legales.to_pylist()
    et_b = [dict(r) for r in et_a]
    ul_b = {r["siren"]: dict(r) for r in ul_a}
    mouvements: list[list[str]] = []
    debut_mois = date_a + dt.timedelta(days=1)

    def jour(i: int) -> dt.date:
        return debut_mois + dt.timedelta(days=int(i) % 31)

    def horodatage(d: dt.date) -> dt.datetime:
        return dt.datetime(d.year, d.month, d.day, 3, 12, 45)

    for r in nouveau.etablissements.to_pylist():
        d = jour(int(rng_b.integers(0, 31)))
        r.update(
            dateCreationEtablissement=d,
            dateDebut=d,
            dateDernierTraitementEtablissement=horodatage(d),
            nombrePeriodesEtablissement=1,
            etatAdministratifEtablissement="A",
        )
        if r["trancheEffectifsEtablissement"] not in (None, "NN"):
            r["trancheEffectifsEtablissement"] = None
            r["anneeEffectifsEtablissement"] = None
        et_b.append(r)
        mouvements.append(["creation", r["siren"], "", r["siret"], d.isoformat()])
    for r in nouveau.unites_legales.to_pylist():
        d = next(e["dateCreationEtablissement"] for e in et_b if e["siren"] == r["siren"])
        r.update(
            dateCreationUniteLegale=d,
            dateDebut=d,
            dateDernierTraitementUniteLegale=horodatage(d),
            nombrePeriodesUniteLegale=1,
            etatAdministratifUniteLegale="A",
            trancheEffectifsUniteLegale=None,
            anneeEffectifsUniteLegale=None,
            unitePurgeeUniteLegale=None,
        )
        ul_b[r["siren"]] = r

    actifs = [
        i
        for i, r in enumerate(et_b[: len(et_a)])
        if r["etatAdministratifEtablissement"] == "A" and r["codeCommuneEtablissement"]
    ]
    nb_etablissements = Counter(r["siren"] for r in et_b)
    choisis = rng_b.permutation(actifs)
    transferts = choisis[:25]
    # A closed head office of a unit that keeps other establishments would leave it without
    # a head office: close secondary establishments or single-establishment units only.
    fermetures = [
        i
        for i in choisis[25:]
        if not et_b[i]["etablissementSiege"] or nb_etablissements[et_b[i]["siren"]] == 1
    ][:35]
    for i in fermetures:
        r = et_b[i]
        d = jour(int(rng_b.integers(0, 31)))
        r.update(
            etatAdministratifEtablissement="F",
            dateDebut=d,
            dateDernierTraitementEtablissement=horodatage(d),
            caractereEmployeurEtablissement="N",
            nombrePeriodesEtablissement=r["nombrePeriodesEtablissement"] + 1,
        )
        mouvements.append(["fermeture", r["siren"], r["siret"], "", d.isoformat()])
    nouveaux_lieux = placeur.placer(rng_b, len(transferts))
    communes = placeur.communes
    for k, i in enumerate(transferts):
        ancien = et_b[i]
        d = jour(int(rng_b.integers(0, 31)))
        nics = [int(e["nic"][:4]) for e in et_b if e["siren"] == ancien["siren"]]
        nic4 = max(nics) + 1
        base = np.array([int(ancien["siren"]) * 10_000 + nic4], dtype=np.int64)
        nic = f"{nic4:04d}{int(cle_luhn(base, 13)[0])}"
        nouveau_r = dict(ancien)
        c = communes[int(nouveaux_lieux.commune[k])]
        masque = ancien["statutDiffusionEtablissement"] == "P"
        x, y = float(nouveaux_lieux.x[k]), float(nouveaux_lieux.y[k])
        coord_x = "[ND]" if masque else (None if math.isnan(x) else _nombre(x))
        coord_y = "[ND]" if masque else (None if math.isnan(y) else _nombre(y))
        nouveau_r.update(
            nic=nic,
            siret=ancien["siren"] + nic,
            dateCreationEtablissement=d,
            dateDebut=d,
            dateDernierTraitementEtablissement=horodatage(d),
            nombrePeriodesEtablissement=1,
            codeCommuneEtablissement=c.code,
            codePostalEtablissement=c.code_postal,
            libelleCommuneEtablissement=c.libelle,
            coordonneeLambertAbscisseEtablissement=coord_x,
            coordonneeLambertOrdonneeEtablissement=coord_y,
            identifiantAdresseEtablissement="[ND]"
            if masque
            else f"{c.code}_{9000 + k:04d}_{(k * 7) % 150 + 1:05d}",
            complementAdresseEtablissement=None,
            indiceRepetitionEtablissement=None,
            dernierNumeroVoieEtablissement=None,
            indiceRepetitionDernierNumeroVoieEtablissement=None,
            distributionSpecialeEtablissement=None,
            codeCedexEtablissement=None,
            libelleCedexEtablissement=None,
            trancheEffectifsEtablissement=None,
            anneeEffectifsEtablissement=None,
            numeroVoieEtablissement="[ND]" if masque else str((k * 7) % 150 + 1),
            libelleVoieEtablissement="[ND]" if masque else "DES NOUVEAUX LOCAUX",
            typeVoieEtablissement="[ND]" if masque else "RUE",
        )
        ancien.update(
            etatAdministratifEtablissement="F",
            dateDebut=d,
            dateDernierTraitementEtablissement=horodatage(d),
            etablissementSiege=False,
            caractereEmployeurEtablissement="N",
            trancheEffectifsEtablissement=None,
            anneeEffectifsEtablissement=None,
            nombrePeriodesEtablissement=ancien["nombrePeriodesEtablissement"] + 1,
        )
        if nouveau_r["etablissementSiege"]:
            ul_b[ancien["siren"]].update(
                nicSiegeUniteLegale=nic, dateDernierTraitementUniteLegale=horodatage(d)
            )
        et_b.append(nouveau_r)
        mouvements.append(
            ["transfert", ancien["siren"], ancien["siret"], nouveau_r["siret"], d.isoformat()]
        )
    # Units left without an active establishment cease.
    actives = {r["siren"] for r in et_b if r["etatAdministratifEtablissement"] == "A"}
    for siren, u in ul_b.items():
        if u["etatAdministratifUniteLegale"] == "A" and siren not in actives:
            fin = max(r["dateDebut"] for r in et_b if r["siren"] == siren)
            u.update(
                etatAdministratifUniteLegale="C",
                dateDebut=fin,
                dateDernierTraitementUniteLegale=horodatage(fin),
                caractereEmployeurUniteLegale="N",
            )
    et_b.sort(key=lambda r: r["siret"])
    table_et_b = pa.Table.from_pylist(et_b, schema=SCHEMA_ETABLISSEMENT)
    table_ul_b = pa.Table.from_pylist([ul_b[s] for s in sorted(ul_b)], schema=SCHEMA_UNITE_LEGALE)

    (tmp / "sirene").mkdir()
    (tmp / "verite").mkdir()
    comptes: dict[str, Any] = {}
    familles = {**_familles(lot), **_familles(nouveau)}
    for date_stock, et, ul in (
        (date_a, lot.etablissements, lot.unites_legales),
        (date_b, table_et_b, table_ul_b),
    ):
        dossier = tmp / "sirene" / date_stock.isoformat()
        dossier.mkdir()
        _ecrire_table(dossier, FICHIER_ETABLISSEMENTS, et)
        _ecrire_table(dossier, FICHIER_UNITES_LEGALES, ul)
        verite = _verite(et, g24, g15, familles)
        (tmp / "verite" / f"placement_{date_stock.isoformat()}.csv").write_text(
            _csv_texte(verite), encoding="utf-8"
        )
        comptes[date_stock.isoformat()] = {
            "etablissements": et.num_rows,
            "etablissements_actifs": int(
                pc.sum(pc.equal(et["etatAdministratifEtablissement"], "A")).as_py()
            ),
            "unites_legales": ul.num_rows,
            "dans_un_qpv_2024": sum(1 for v in verite[1:] if v[2]),
        }
        barre.advance(tache)
    # INSEE publishes the historical stocks with each stock: write them for the latest date,
    # so that the stock of the first date can be rebuilt from the second one.
    dossier_b = tmp / "sirene" / date_b.isoformat()
    for nom, schema, cle, anciens, actuels in (
        (FICHIER_ETABLISSEMENTS_HISTORIQUE, SCHEMA_ETABLISSEMENT_HISTORIQUE, "siret", et_a, et_b),
        (
            FICHIER_UNITES_LEGALES_HISTORIQUE,
            SCHEMA_UNITE_LEGALE_HISTORIQUE,
            "siren",
            ul_a,
            [ul_b[k] for k in sorted(ul_b)],
        ),
    ):
        periodes = periodes_historiques(anciens, actuels, cle, schema.names)
        _ecrire_table(dossier_b, nom, pa.Table.from_pylist(periodes, schema=schema))
    mouvements.sort(key=lambda m: (m[4], m[0], m[2], m[3]))
    (tmp / FICHIERS["mouvements"]).write_text(
        _csv_texte([["mouvement", "siren", "siret_avant", "siret_apres", "date"], *mouvements]),
        encoding="utf-8",
    )
    comptes["mouvements"] = {
        t: sum(1 for m in mouvements if m[0] == t) for t in ("creation", "fermeture", "transfert")
    }
    return comptes


def periodes_historiques(
    anciens: list[dict[str, Any]],
    actuels: list[dict[str, Any]],
    cle: str,
    colonnes: Sequence[str],
) -> list[dict[str, Any]]:
    """INSEE's historical stock rows (one per period) of the units of ``actuels``, knowing
    their state ``anciens`` at the previous stock date.

    A unit whose historised values (or ``dateDebut``) changed between the two states gets two
    periods, the first ending the day before the second starts (INSEE's convention); a unit
    closed before the first stock date gets an earlier active period from its creation; a
    unit created since gets one period. ``changement…`` flags mark what differs from the
    previous period.
    """
    valeurs = [
        c
        for c in colonnes
        if c not in (cle, "dateDebut", "dateFin") and not c.startswith("changement")
    ]
    par_cle = {r[cle]: r for r in anciens}
    creation = "dateCreationEtablissement" if cle == "siret" else "dateCreationUniteLegale"
    etat = "etatAdministratifEtablissement" if cle == "siret" else "etatAdministratifUniteLegale"
    lignes: list[dict[str, Any]] = []
    for r in actuels:
        etats: list[dict[str, Any]] = []
        a = par_cle.get(r[cle])
        if a is not None:
            debut_a, cree = a.get("dateDebut"), a.get(creation)
            if a[etat] != "A" and debut_a and cree and debut_a > cree:
                etats.append({**a, etat: "A", "dateDebut": cree})
            if any(a.get(c) != r.get(c) for c in valeurs) or r.get("dateDebut") != debut_a:
                etats.append(a)
        etats.append(r)
        for k, e in enumerate(etats):
            suivant = etats[k + 1]["dateDebut"] if k + 1 < len(etats) else None
            ligne = {c: e.get(c) for c in valeurs}
            ligne.update(
                {
                    cle: r[cle],
                    "dateDebut": e.get("dateDebut"),
                    "dateFin": suivant - dt.timedelta(days=1) if suivant else None,
                }
            )
            for c in colonnes:
                if c.startswith("changement"):
                    suivi = c[len("changement") :]
                    champs = [
                        v for v in valeurs if re.sub(r"\d", "", v) == suivi[0].lower() + suivi[1:]
                    ]
                    ligne[c] = k > 0 and any(e.get(v) != etats[k - 1].get(v) for v in champs)
            lignes.append(ligne)
    return lignes


def _nombre(v: float) -> str:
    texte = f"{round(v, 1):.1f}"
    return texte[:-2] if texte.endswith(".0") else texte


def _familles(lot) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    v = lot.verite
    return {
        s[:9]: (f, sec)
        for s, f, sec in zip(
            v["siret"].to_pylist(), v["famille"].to_pylist(), v["secteur"].to_pylist(), strict=True
        )
    }


def _verite(
    et: pa.Table,
    g24: dict[str, shapely.Polygon],
    g15: dict[str, shapely.Polygon],
    familles: dict[str, tuple[str, str]],
) -> list[list[str]]:
    """Exact QPV membership and distances of every establishment (from its true position)."""
    entete = [
        "siret",
        "statut_diffusion",
        "qpv_2024",
        "distance_qpv_2024_m",
        "qpv_2015",
        "distance_qpv_2015_m",
        "famille",
        "secteur",
    ]
    lignes: list[list[str]] = [entete]
    x = et["coordonneeLambertAbscisseEtablissement"].to_pylist()
    y = et["coordonneeLambertOrdonneeEtablissement"].to_pylist()
    for siret, statut, xi, yi in zip(
        et["siret"].to_pylist(), et["statutDiffusionEtablissement"].to_pylist(), x, y, strict=True
    ):
        famille, secteur = familles.get(siret[:9], ("", ""))
        ligne = [siret, statut]
        if xi in (None, "[ND]"):
            ligne += ["", "", "", ""]
        else:
            p = shapely.Point(float(xi), float(yi))
            for geoms in (g24, g15):
                dedans = [c for c, g in geoms.items() if g.covers(p)]
                d = min(g.distance(p) for g in geoms.values())
                ligne += [dedans[0] if dedans else "", f"{d:.1f}"]
        lignes.append([*ligne, famille, secteur])
    return lignes


def _ecrire_manifeste(
    tmp: Path, sortie: Path, graine: int, comptes: dict[str, Any]
) -> ManifesteDemo:
    lisezmoi = f"""{LIBELLE}
{"=" * len(LIBELLE)}

Ce dossier a été généré par « essq generer demo » (essq {__version__}, graine {graine}).
Toutes les données qu'il contient sont FICTIVES : territoire, communes, QPV, zonages,
entreprises et établissements n'existent pas. Elles servent à essayer ESS Quartiers.

Territoire : {LIB_EPCI}, EPCI {SIREN_EPCI}, {len(COMMUNES)} communes
({", ".join(f"{c.code} {c.nom}" for c in COMMUNES)}),
{LIB_DEPARTEMENT} ({CODE_DEPARTEMENT}), {LIB_REGION} ({CODE_REGION}).
Ces codes ne peuvent pas exister dans le Code officiel géographique (département 00).

Fichiers :
  qpv/        contours des QPV 2024 (format ANCT) et 2015 (format SIG Ville)
  cog/        communes, EPCI, départements, régions (format @etalab/decoupage-administratif)
  zonages/    ZRR, Action Cœur de Ville, Petites Villes de Demain (formats ANCT)
  sirene/     deux stocks mensuels SIRENE ({DATES_STOCK[0]} et {DATES_STOCK[1]}) au format INSEE
  verite/     position réelle de chaque établissement par rapport aux QPV (pour les tests)
  manifeste.json  liste des fichiers et sommes de contrôle SHA-256
"""
    (tmp / FICHIERS["lisezmoi"]).write_text(lisezmoi, encoding="utf-8")
    fichiers = {
        str(p.relative_to(tmp)): sha256(p)
        for p in sorted(tmp.rglob("*"))
        if p.is_file() and p.name != "manifeste.json"
    }
    manifeste = ManifesteDemo(
        sortie=sortie,
        graine=graine,
        libelle=LIBELLE,
        dates_stock=[d.isoformat() for d in DATES_STOCK],
        fichiers=fichiers,
        comptes=comptes,
    )
    _json(
        tmp / FICHIERS["manifeste"],
        {
            "libelle": LIBELLE,
            "generateur": f"essq {__version__}",
            "graine": graine,
            "dates_stock": manifeste.dates_stock,
            "territoire": {
                "epci": {"code": SIREN_EPCI, "nom": LIB_EPCI},
                "communes": [{"code": c.code, "nom": c.nom} for c in COMMUNES],
                "departement": {"code": CODE_DEPARTEMENT, "nom": LIB_DEPARTEMENT},
                "region": {"code": CODE_REGION, "nom": LIB_REGION},
                "qpv_2024": [q.code_2024 for q in QUARTIERS if q.code_2024],
                "qpv_2015": [q.code_2015 for q in QUARTIERS if q.code_2015],
            },
            "comptes": comptes,
            "fichiers": [{"chemin": k, "sha256": v} for k, v in fichiers.items()],
        },
    )
    return manifeste
