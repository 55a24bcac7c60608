"""Reading vector files (GeoJSON, Shapefile, GeoPackage, zipped or not) with DuckDB spatial."""

from __future__ import annotations

import importlib.util
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from essq.erreurs import ErreurUtilisateur
from essq.sql import litteral

EXTENSIONS_VECTEUR = (".geojson", ".json", ".gpkg", ".shp")
_PREFERENCE = {".geojson": 0, ".json": 0, ".gpkg": 1, ".shp": 2}


@lru_cache(maxsize=1)
def chemin_extension_spatiale() -> Path:
    """Path of the DuckDB spatial extension shipped by the ``duckdb-ext-spatial`` wheel."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise ErreurUtilisateur(
            "L'extension spatiale de DuckDB est introuvable.",
            correctif="Réinstaller l'environnement avec `make install` (paquet duckdb-ext-spatial).",
        )
    for base in spec.submodule_search_locations:
        trouves = sorted(Path(base).rglob("spatial.duckdb_extension"))
        if trouves:
            return trouves[0]
    raise ErreurUtilisateur(
        "L'extension spatiale de DuckDB est introuvable.",
        correctif="Réinstaller l'environnement avec `make install` (paquet duckdb-ext-spatial).",
    )


@lru_cache(maxsize=1)
def _base_spatiale() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"LOAD '{chemin_extension_spatiale()}'")  # about 0.7 s: done once per process
    return con


def connexion_spatiale() -> duckdb.DuckDBPyConnection:
    """A DuckDB cursor with the spatial extension loaded (close it after use)."""
    return _base_spatiale().cursor()


@dataclass
class Couche:
    """One layer of a vector file: its attribute rows, WKB geometries and declared CRS."""

    origine: str  # human-readable name (file, or zip!member)
    champs: list[str]
    lignes: list[dict[str, Any]]
    wkb: list[bytes | None]
    epsg: int | None

    def champ(self, candidats: Sequence[str]) -> str | None:
        """The first field named like one of ``candidats`` (case-insensitive), or None."""
        bas = {c.lower(): c for c in self.champs}
        return next((bas[c] for c in candidats if c in bas), None)

    def objets(self) -> Iterator[tuple[int, dict[str, Any], bytes | None]]:
        """(row number from 1, attributes, WKB geometry) of each object of the layer."""
        for n, (ligne, wkb) in enumerate(zip(self.lignes, self.wkb, strict=True), start=1):
            yield n, ligne, wkb


def couches_avec_code(
    fichiers: Sequence[Path | str],
    candidats: Sequence[str],
    *,
    introuvable: str,
    champ: str,
    correctif: str,
) -> Iterator[tuple[Couche, str]]:
    """Each layer of the contour files with its code field; a user error if files or field lack.

    ``introuvable`` and ``correctif`` word the error when a layer has none of ``candidats``
    (the fields it has are appended to ``correctif``).
    """
    if not fichiers:
        raise ErreurUtilisateur(
            "Aucun fichier de contours fourni.", correctif="Indiquer au moins un fichier."
        )
    for fichier in fichiers:
        for couche in lire_vecteur(Path(fichier)):
            code = couche.champ(candidats)
            if code is None:
                raise ErreurUtilisateur(
                    introuvable,
                    fichier=couche.origine,
                    champ=champ,
                    correctif=correctif + ", ".join(couche.champs),
                )
            yield couche, code


def membres_vecteur(chemin: Path) -> list[str]:
    """Vector members of a zip: the GeoJSON ones if any, else GeoPackage, else Shapefiles."""
    try:
        with zipfile.ZipFile(chemin) as z:
            noms = [n for n in z.namelist() if Path(n).suffix.lower() in EXTENSIONS_VECTEUR]
            corrompu = z.testzip()
    except zipfile.BadZipFile as exc:
        raise ErreurUtilisateur(
            "L'archive zip est illisible ou corrompue.",
            fichier=str(chemin),
            correctif="Télécharger à nouveau le fichier (essq donnees telecharger) ou l'ouvrir pour vérifier son contenu.",
        ) from exc
    if corrompu is not None:
        raise ErreurUtilisateur(
            f"L'archive zip est corrompue (membre « {corrompu} » illisible).",
            fichier=str(chemin),
            correctif="Télécharger à nouveau le fichier (essq donnees telecharger).",
        )
    noms = [n for n in noms if not Path(n).name.startswith(".") and "__MACOSX" not in n]
    if not noms:
        raise ErreurUtilisateur(
            "L'archive zip ne contient aucun fichier GeoJSON, GeoPackage ou Shapefile.",
            fichier=str(chemin),
            correctif="Fournir l'archive publiée par l'ANCT ou le fichier de contours lui-même.",
        )
    meilleur = min(_PREFERENCE[Path(n).suffix.lower()] for n in noms)
    return sorted(n for n in noms if _PREFERENCE[Path(n).suffix.lower()] == meilleur)


def _verifier_utf8(chemin: Path) -> None:
    """GeoJSON must be UTF-8 (RFC 7946): a Latin-1 file would give garbled names."""
    with open(chemin, "rb") as f:
        debut = 0
        while bloc := f.read(1 << 20):
            try:
                bloc.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.start >= len(bloc) - 4:  # a character cut at the block boundary
                    f.seek(debut + exc.start)
                    debut += exc.start
                    continue
                raise ErreurUtilisateur(
                    f"Le fichier n'est pas encodé en UTF-8 (octet invalide à la position {debut + exc.start}).",
                    fichier=str(chemin),
                    correctif="Réenregistrer le fichier en UTF-8 (par exemple : iconv -f latin1 -t utf-8), "
                    "comme l'exige le format GeoJSON.",
                ) from exc
            debut += len(bloc)


def lire_vecteur(chemin: Path | str) -> list[Couche]:
    """Every layer of a vector file (zip archives are opened through GDAL's /vsizip/)."""
    chemin = Path(chemin)
    if not chemin.exists():
        raise ErreurUtilisateur(
            "Fichier introuvable.", fichier=str(chemin), correctif="Vérifier le chemin du fichier."
        )
    cibles: list[tuple[str, str]] = []
    temporaire: tempfile.TemporaryDirectory[str] | None = None
    if chemin.suffix.lower() == ".zip" or zipfile.is_zipfile(chemin):
        # GDAL's /vsizip/ reads the features but not the layer metadata (CRS): extract the
        # chosen members (with the sidecar files of a Shapefile) to a temporary folder.
        membres = membres_vecteur(chemin)  # raises a French error on a corrupt archive
        temporaire = tempfile.TemporaryDirectory(prefix="essq-zip-")
        with zipfile.ZipFile(chemin) as z:
            tous = z.namelist()
            for membre in membres:
                racine = membre.rsplit(".", 1)[0]
                for nom in tous:
                    if nom == membre or nom.rsplit(".", 1)[0] == racine:
                        z.extract(nom, temporaire.name)
                extrait = Path(temporaire.name) / membre
                if extrait.suffix.lower() in (".geojson", ".json"):
                    _verifier_utf8(extrait)
                cibles.append((str(extrait), f"{chemin.name}!{membre}"))
    else:
        if chemin.suffix.lower() not in EXTENSIONS_VECTEUR:
            raise ErreurUtilisateur(
                f"Format de fichier non reconnu : « {chemin.suffix} ».",
                fichier=str(chemin),
                correctif="Fournir un fichier .geojson, .gpkg, .shp (avec .dbf, .shx, .prj) ou une archive .zip.",
            )
        if chemin.suffix.lower() in (".geojson", ".json"):
            _verifier_utf8(chemin)
        cibles.append((str(chemin.resolve()), chemin.name))
    con = connexion_spatiale()
    couches: list[Couche] = []
    try:
        for source, origine in cibles:
            try:
                meta = con.execute(
                    f"SELECT layers FROM ST_Read_Meta({litteral(source)})"
                ).fetchall()
            except duckdb.Error as exc:
                raise ErreurUtilisateur(
                    f"Fichier géographique illisible : {str(exc).splitlines()[0]}",
                    fichier=origine,
                    correctif="Vérifier que le fichier est complet (GeoJSON valide, ou .shp accompagné de .dbf/.shx/.prj).",
                ) from exc
            for couches_meta in meta:
                for couche in couches_meta[0] or []:
                    couches.append(_lire_couche(con, source, origine, couche))
    finally:
        con.close()
        if temporaire is not None:
            temporaire.cleanup()
    return couches


def _epsg_declare(couche: dict[str, Any]) -> int | None:
    for champ in couche.get("geometry_fields") or []:
        crs = champ.get("crs") or {}
        auth, code = (crs.get("auth_name") or "").upper(), crs.get("auth_code")
        if auth == "EPSG" and code:
            return int(code)
        if auth == "OGC" and str(code).upper() in ("CRS84", "CRS:84"):
            return 4326
        if crs.get("wkt"):
            try:
                import pyproj

                trouve = pyproj.CRS.from_wkt(crs["wkt"]).to_epsg(min_confidence=70)
                if trouve:
                    return int(trouve)
            except Exception:  # unknown or broken .prj: the caller decides
                return None
    return None


def _lire_couche(
    con: duckdb.DuckDBPyConnection, source: str, origine: str, meta: dict[str, Any]
) -> Couche:
    nom = meta["name"]
    requete = (
        f"SELECT * EXCLUDE (geom), ST_AsWKB(geom) AS __wkb_essq "
        f"FROM ST_Read({litteral(source)}, layer={litteral(nom)})"
    )
    try:
        rel = con.execute(requete)
        colonnes = [d[0] for d in rel.description]
        lignes_brutes = rel.fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        if "geom" in message and "EXCLUDE" in message.upper():
            raise ErreurUtilisateur(
                f"La couche « {nom} » n'a pas de géométrie.",
                fichier=origine,
                correctif="Fournir les contours (polygones) des quartiers, pas une simple liste.",
            ) from exc
        raise ErreurUtilisateur(
            f"Lecture impossible de la couche « {nom} » : {message}",
            fichier=origine,
            correctif="Vérifier l'encodage (UTF-8 attendu, ou fichier .cpg pour un Shapefile) et l'intégrité du fichier.",
        ) from exc
    champs = colonnes[:-1]
    wkbs: list[bytes | None] = [
        bytes(ligne[-1]) if ligne[-1] is not None else None for ligne in lignes_brutes
    ]
    lignes = [dict(zip(champs, ligne[:-1], strict=True)) for ligne in lignes_brutes]
    return Couche(
        origine=f"{origine}:{nom}" if "!" in origine else origine,
        champs=champs,
        lignes=lignes,
        wkb=wkbs,
        epsg=_epsg_declare(meta),
    )
