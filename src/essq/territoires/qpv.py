"""Import of QPV contours (generations 2015 and 2024) into ``qpv.parquet`` + grid indexes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

from essq.console import progression
from essq.erreurs import ErreurUtilisateur
from essq.territoires import geo, projections, stockage
from essq.territoires.index import IndexZone
from essq.territoires.texte import normaliser

MILLESIMES = ("2015", "2024")
# 2024: QN + 3-character département + 2-digit order + letter (M, I, N, C); 2015: QP + dep + 3 digits
MOTIF_CODE = {
    "2024": re.compile(r"^QN(\d{3}|02A|02B)\d{2}[A-Z]$"),
    "2015": re.compile(r"^QP(\d{3}|02A|02B)\d{3}$"),
}
MOTIF_COMMUNE = re.compile(r"^(\d[\dAB]\d{3})$")
CHAMPS_CODE = ("code_qp", "code_quartier", "codeqp", "code_qpv")
CHAMPS_LIBELLE = ("lib_qp", "nom_qp", "libelle_qp", "nom_quartier", "lib_qpv", "nom")
CHAMPS_COMMUNES = (
    "insee_com",
    "code_insee",
    "codes_insee",
    "commune_qp",
    "insee_commune",
    "code_commune",
)
CHAMPS_DEPARTEMENT = ("insee_dep", "code_dep", "departement", "dep")


@dataclass
class RapportQpv:
    """What an import did, in figures (printed by the CLI, stored in the manifest)."""

    millesime: str
    fichiers: list[str]
    nombre: int = 0
    par_territoire: dict[str, int] = field(default_factory=dict)
    reparees: list[str] = field(default_factory=list)
    aplaties_3d: int = 0
    doublons_ignores: list[str] = field(default_factory=list)
    remplaces: list[str] = field(default_factory=list)
    communes_non_resolues: list[str] = field(default_factory=list)
    projection_supposee: list[str] = field(default_factory=list)
    chevauchements: int = 0

    def en_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _departement(code_qp: str) -> str:
    """'QN09301M' → '93', 'QP02A001' → '2A', 'QN97101M' → '971', 'QN00001M' → '00'."""
    dep = code_qp[2:5]
    if dep in ("02A", "02B"):
        return dep[1:]
    if dep.startswith(("97", "98")):
        return dep
    return dep[1:]


def _codes_communes(valeur: Any) -> list[str]:
    if valeur is None:
        return []
    morceaux = re.split(r"[,;|/ ]+", str(valeur).replace('="', "").replace('"', ""))
    return [m.strip() for m in morceaux if m.strip()]


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygonal parts of a repaired geometry, as one (Multi)Polygon."""
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.MultiPolygon()
    u = shapely.union_all(parts)
    return u


def lire_qpv(
    fichiers: Sequence[Path | str],
    millesime: str,
    *,
    epsg: int | None = None,
    noms_communes: dict[tuple[str, str], str] | None = None,
) -> tuple[list[dict[str, Any]], RapportQpv]:
    """Read, validate and reproject QPV contours; one record per QPV, sorted by code."""
    if millesime not in MILLESIMES:
        raise ErreurUtilisateur(
            f"Millésime de QPV inconnu : « {millesime} ».",
            champ="millesime",
            correctif="Indiquer --millesime 2024 (quartiers en vigueur depuis 2024/2025) ou 2015.",
        )
    rapport = RapportQpv(millesime=millesime, fichiers=[str(f) for f in fichiers])
    motif = MOTIF_CODE[millesime]
    autre = MOTIF_CODE["2015" if millesime == "2024" else "2024"]
    vus: dict[str, dict[str, Any]] = {}
    for couche, ccode in geo.couches_avec_code(
        fichiers,
        CHAMPS_CODE,
        introuvable="Champ du code de quartier introuvable (code_qp attendu).",
        champ="code_qp",
        correctif="Fournir le fichier de l'ANCT tel que publié ; champs présents : ",
    ):
        clib = couche.champ(CHAMPS_LIBELLE)
        ccom = couche.champ(CHAMPS_COMMUNES)
        source_epsg = couche.epsg or epsg
        for numero, ligne, wkb in couche.objets():
            code = str(ligne.get(ccode) or "").strip().upper()
            if not motif.match(code):
                if autre.match(code):
                    raise ErreurUtilisateur(
                        f"Le code « {code} » appartient à l'autre génération de QPV que le millésime {millesime} demandé.",
                        fichier=couche.origine,
                        ligne=numero,
                        champ=ccode,
                        correctif="Indiquer le bon --millesime : codes QN… = 2024, codes QP… = 2015.",
                    )
                raise ErreurUtilisateur(
                    f"Code de quartier mal formé : « {code} ».",
                    fichier=couche.origine,
                    ligne=numero,
                    champ=ccode,
                    correctif="Codes attendus : QN + département sur 3 caractères + 2 chiffres + lettre "
                    "(2024, ex. QN09301M) ou QP + département + 3 chiffres (2015, ex. QP093001).",
                )
            if wkb is None:
                raise ErreurUtilisateur(
                    f"Le quartier {code} n'a pas de géométrie.",
                    fichier=couche.origine,
                    ligne=numero,
                    correctif="Corriger ou retirer cet objet dans le fichier source.",
                )
            g = shapely.from_wkb(wkb)
            if g.is_empty:
                raise ErreurUtilisateur(
                    f"La géométrie du quartier {code} est vide.",
                    fichier=couche.origine,
                    ligne=numero,
                    correctif="Corriger ou retirer cet objet dans le fichier source.",
                )
            if g.geom_type not in ("Polygon", "MultiPolygon"):
                raise ErreurUtilisateur(
                    f"La géométrie du quartier {code} est de type {g.geom_type}, un polygone est attendu.",
                    fichier=couche.origine,
                    ligne=numero,
                    correctif="Fournir les contours des quartiers (polygones).",
                )
            if shapely.has_z(g):
                g = shapely.force_2d(g)
                rapport.aplaties_3d += 1
            if code in vus:
                rapport.doublons_ignores.append(code)
                continue
            libelle = str(ligne.get(clib) or "").strip() if clib else ""
            communes = _codes_communes(ligne.get(ccom)) if ccom else []
            dep = _departement(code)
            if communes and not all(MOTIF_COMMUNE.match(c) for c in communes):
                # 2015 files carry commune *names* in COMMUNE_QP: resolve them with the COG
                noms = [
                    n.strip() for n in re.split(r"[,;|]", str(ligne.get(ccom or ""))) if n.strip()
                ]
                trouves = [(noms_communes or {}).get((dep, normaliser(n))) for n in noms]
                if all(trouves):
                    communes = [c for c in trouves if c]
                else:
                    rapport.communes_non_resolues.append(code)
                    communes = []
            vus[code] = {
                "code_qp": code,
                "lib_qp": libelle,
                "communes": communes,
                "departement": dep,
                "geometrie_source": g,
                "epsg_source": source_epsg,
                "origine": couche.origine,
                "ligne": numero,
            }
    if not vus:
        raise ErreurUtilisateur(
            "Aucun quartier trouvé dans les fichiers fournis.",
            correctif="Vérifier que les fichiers sont bien les contours des QPV publiés par l'ANCT.",
        )
    enregistrements = sorted(vus.values(), key=lambda r: r["code_qp"])
    _reprojeter(enregistrements, rapport)
    rapport.nombre = len(enregistrements)
    for r in enregistrements:
        nom = projections.PAR_EPSG[r["epsg_legal"]].nom
        rapport.par_territoire[nom] = rapport.par_territoire.get(nom, 0) + 1
    return enregistrements, rapport


def _reprojeter(enregistrements: list[dict[str, Any]], rapport: RapportQpv) -> None:
    """Fill WGS84 and legal-projection geometries; check the CRS against the département."""
    for r in enregistrements:
        g = r["geometrie_source"]
        legal = projections.epsg_legal(r["departement"])
        src = r["epsg_source"]
        xy = shapely.get_coordinates(g)
        if src is None:
            if (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all():
                src = projections.WGS84
            else:
                src = legal
                rapport.projection_supposee.append(r["code_qp"])
        if src == projections.WGS84 and (
            (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any()
        ):
            raise ErreurUtilisateur(
                f"Le fichier déclare des degrés WGS84 (EPSG:4326) mais les coordonnées du quartier "
                f"{r['code_qp']} sont en mètres : mauvaise projection déclarée.",
                fichier=r["origine"],
                ligne=r["ligne"],
                correctif="Corriger la projection du fichier (fichier .prj ou membre « crs ») ou la "
                "forcer avec --epsg (2154 pour le Lambert-93).",
            )
        wgs = _transformer(g, src, projections.WGS84)
        bx0, by0, bx1, by1 = wgs.bounds  # (the centroid of an invalid ring can be anywhere)
        centre = shapely.Point((bx0 + bx1) / 2, (by0 + by1) / 2)
        territoire = projections.PAR_EPSG[legal]
        x0, y0, x1, y1 = territoire.bornes
        if not (x0 - 2 <= centre.x <= x1 + 2 and y0 - 2 <= centre.y <= y1 + 2):
            raise ErreurUtilisateur(
                f"Le quartier {r['code_qp']} (département {r['departement']}) tombe hors de "
                f"{territoire.nom} une fois reprojeté depuis EPSG:{src} "
                f"(lon {centre.x:.3f}, lat {centre.y:.3f}) : projection incohérente.",
                fichier=r["origine"],
                ligne=r["ligne"],
                correctif="Vérifier la projection du fichier ; forcer la bonne avec --epsg "
                "(4326, 2154, 5490, 2972, 2975, 4471, 4467).",
            )
        loc = g if src == legal else _transformer(g, src, legal)
        if not shapely.is_valid(loc):
            loc = _polygonal(shapely.make_valid(loc))
            rapport.reparees.append(r["code_qp"])
            if loc.is_empty:
                raise ErreurUtilisateur(
                    f"La géométrie du quartier {r['code_qp']} est vide après réparation.",
                    fichier=r["origine"],
                    ligne=r["ligne"],
                    correctif="Corriger le contour de ce quartier dans le fichier source.",
                )
            wgs = _transformer(loc, legal, projections.WGS84)
        if not shapely.is_valid(wgs):
            wgs = _polygonal(shapely.make_valid(wgs))
        r["epsg_legal"] = legal
        r["geometrie_legale"] = loc
        r["geometrie"] = wgs
        r["surface_m2"] = float(shapely.area(loc))


def _transformer(g: shapely.Geometry, source: int, cible: int) -> shapely.Geometry:
    if source == cible:
        return g
    t = projections.transformateur(source, cible)

    def f(c: np.ndarray) -> np.ndarray:
        a, b = t.transform(c[:, 0], c[:, 1])
        return np.column_stack([a, b])

    return shapely.transform(g, f)


def table_qpv(enregistrements: list[dict[str, Any]], millesime: str) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "millesime": millesime,
                "code_qp": r["code_qp"],
                "lib_qp": r["lib_qp"],
                "communes": r["communes"],
                "departement": r["departement"],
                "epsg_legal": r["epsg_legal"],
                "geometrie": shapely.to_wkb(r["geometrie"]),
                "geometrie_legale": shapely.to_wkb(r["geometrie_legale"]),
                "surface_m2": r["surface_m2"],
                "source": Path(r["origine"].split("!")[0].split(":")[0]).name,
            }
            for r in enregistrements
        ],
        schema=stockage.SCHEMAS["qpv"],
    )


def empreinte(codes: Sequence[str], wkbs: Sequence[bytes]) -> str:
    h = hashlib.sha256()
    for c, w in zip(codes, wkbs, strict=True):
        h.update(c.encode())
        h.update(w)
    return h.hexdigest()


def nom_index(millesime: str, epsg: int) -> str:
    return f"qpv_{millesime}_{epsg}.npz"


def groupes(table: pa.Table) -> dict[tuple[str, int], dict[str, list[Any]]]:
    """Split qpv.parquet by (millésime, legal EPSG), each sorted by code_qp, as column lists.

    Plain lists on purpose: pyarrow's Table.filter/take/sort_by import pandas (seconds).
    """
    colonnes = {
        n: table.column(n).to_pylist()
        for n in ("millesime", "epsg_legal", "code_qp", "lib_qp", "communes", "geometrie_legale")
    }
    cles = list(zip(colonnes["millesime"], colonnes["epsg_legal"], strict=True))
    sortie: dict[tuple[str, int], dict[str, list[Any]]] = {}
    for cle in sorted(set(cles)):
        lignes = sorted(
            (i for i, k in enumerate(cles) if k == cle), key=lambda i: colonnes["code_qp"][i]
        )
        sortie[(str(cle[0]), int(cle[1]))] = {
            n: [v[i] for i in lignes] for n, v in colonnes.items()
        }
    return sortie


def construire_index(table: pa.Table, dossier_index: Path) -> int:
    """(Re)build and save the grid index of every (millésime, territory); returns how many."""
    for ancien in dossier_index.glob("qpv_*.npz"):
        ancien.unlink()
    gr = groupes(table)
    with progression(transitoire=True) as p:
        tache = p.add_task("Construction de l'index des QPV", total=len(gr))
        for (millesime, epsg), sous in gr.items():
            wkbs = sous["geometrie_legale"]
            geoms = shapely.from_wkb(np.array(wkbs, dtype=object))
            idx = IndexZone.construire(geoms, epsg)
            idx.enregistrer(
                dossier_index / nom_index(millesime, epsg),
                empreinte(sous["code_qp"], wkbs),
            )
            p.advance(tache)
    return len(gr)


def compter_chevauchements(enregistrements: list[dict[str, Any]]) -> int:
    geoms = np.array([r["geometrie_legale"] for r in enregistrements], dtype=object)
    arbre = shapely.STRtree(geoms)
    a, b = arbre.query(geoms, predicate="overlaps")
    return int((a < b).sum())


def importer_qpv(
    fichiers: Sequence[Path | str],
    millesime: str,
    *,
    home: Path | str | None = None,
    ajouter: bool = False,
    epsg: int | None = None,
) -> RapportQpv:
    """Import QPV contours of one millésime (several files accumulate in one call).

    By default the millésime is *replaced* by the files given; with ``ajouter=True`` they
    are added to the QPV already imported for that millésime (a code present in both is
    replaced by the new file's version and listed in the report).
    """
    racine = stockage.dossier(home)
    communes = stockage.lire_table(racine, "communes")
    noms: dict[tuple[str, str], str] = {}
    if communes is not None:
        for c, n, t, d in zip(
            communes.column("code").to_pylist(),
            communes.column("nom").to_pylist(),
            communes.column("type").to_pylist(),
            communes.column("departement").to_pylist(),
            strict=True,
        ):
            if t == "commune-actuelle":
                noms[(d, normaliser(n))] = c
    with progression(transitoire=True) as p:
        tache = p.add_task(f"Lecture des contours QPV {millesime}", total=None)
        enregistrements, rapport = lire_qpv(fichiers, millesime, epsg=epsg, noms_communes=noms)
        p.update(tache, total=1, completed=1)
    rapport.chevauchements = compter_chevauchements(enregistrements)
    nouvelle = table_qpv(enregistrements, millesime)
    existante = stockage.lire_table(racine, "qpv")
    morceaux = []
    if existante is not None:
        autres = existante.filter(pa.compute.not_equal(existante.column("millesime"), millesime))
        morceaux.append(autres)
        if ajouter:
            meme = existante.filter(pa.compute.equal(existante.column("millesime"), millesime))
            nouveaux = set(nouvelle.column("code_qp").to_pylist())
            garde = [c not in nouveaux for c in meme.column("code_qp").to_pylist()]
            rapport.remplaces = sorted(
                c for c in meme.column("code_qp").to_pylist() if c in nouveaux
            )
            morceaux.append(meme.filter(pa.array(garde, type=pa.bool_())))
    morceaux.append(nouvelle)
    table = pa.concat_tables(morceaux).sort_by(
        [("millesime", "ascending"), ("code_qp", "ascending")]
    )
    if ajouter:
        rapport.nombre = sum(1 for m in table.column("millesime").to_pylist() if m == millesime)
    with stockage.mise_a_jour(home) as chantier:
        sources = [
            {"fichier": str(Path(f).resolve()), "sha256": _sha(Path(f)), "millesime": millesime}
            for f in fichiers
        ]
        anciennes = chantier.manifeste.get("tables", {}).get("qpv", {}).get("sources", [])
        anciennes = [s for s in anciennes if s.get("millesime") != millesime or ajouter]
        chantier.ecrire_table(
            "qpv",
            table,
            anciennes + sources,
            millesimes=sorted(set(table.column("millesime").to_pylist())),
            **{f"rapport_{millesime}": rapport.en_dict()},
        )
        construire_index(table, chantier.dossier_index())
    return rapport


def _sha(chemin: Path) -> str:
    from essq.fichiers import sha256

    return sha256(chemin)
