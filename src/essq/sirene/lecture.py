"""Open INSEE's SIRENE stock files (CSV, zipped CSV, gzipped CSV, Parquet) for DuckDB.

Choices (documented in docs/methodologie.md):
- columns are selected by name (case-insensitive), never by position; unknown extra columns
  (e.g. ``activitePrincipaleNAF25…`` since December 2025) are ignored;
- every value is read as text (``all_varchar`` for CSV, ``CAST(… AS VARCHAR)`` for Parquet) so
  codes keep their leading zeros (``siren`` ``000325175``, tranche ``00``, commune ``2A004``);
- a zip archive is streamed, block by block (bounded memory), into a temporary file next to
  the output, because DuckDB cannot read inside a zip; the file is deleted afterwards;
- encoding: the first 4 MB are checked; a file that is not valid UTF-8 there is read as
  Latin-1 (ISO-8859-1) transparently and a warning is added to the report. A non-UTF-8 byte
  found later by DuckDB stops the command with a French error saying how to convert the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import gzip
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from essq.erreurs import ErreurUtilisateur

TAILLE_ECHANTILLON = 4 << 20


@dataclass
class Source:
    """One opened input file, ready to be read by DuckDB."""

    chemin: Path  # what the user gave
    lecture: Path  # what DuckDB reads (the extracted member for a zip)
    format: str  # 'csv' | 'parquet'
    colonnes: list[str]
    encodage: str = "utf-8"
    delimiteur: str = ","
    avertissements: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)  # Parquet: column -> Arrow type

    def sql_table(self) -> str:
        chemin = str(self.lecture).replace("'", "''")
        if self.format == "parquet":
            return f"read_parquet('{chemin}')"
        delim = self.delimiteur.replace("'", "''")
        return (
            f"read_csv('{chemin}', header=true, all_varchar=true, delim='{delim}', quote='\"', "
            f"escape='\"', encoding='{self.encodage}', auto_detect=false, "
            f"columns={self._colonnes_sql()})"
        )

    def _colonnes_sql(self) -> str:
        paires = ", ".join("'" + c.replace("'", "''") + "': 'VARCHAR'" for c in self.colonnes)
        return "{" + paires + "}"

    def expression(self, colonne: str | None) -> str:
        """SQL text expression of ``colonne`` (NULL when the column is absent or empty).

        CSV values are trimmed; Parquet text columns are taken as they are (a typed binary
        format: INSEE writes no padding, and trimming every value of 42 M rows costs more than
        reading them), empty strings becoming NULL; typed Parquet columns are cast to text.
        """
        if colonne is None:
            return "CAST(NULL AS VARCHAR)"
        ident = '"' + colonne.replace('"', '""') + '"'
        if self.format == "parquet":
            if self.types.get(colonne, "string") in ("string", "large_string"):
                return f"NULLIF({ident}, '')"
            return f"CAST({ident} AS VARCHAR)"
        return f"NULLIF(TRIM({ident}), '')"

    def expression_native(self, colonne: str | None) -> str:
        """Like :meth:`expression`, but a typed Parquet column (date, integer, timestamp) keeps
        its type: callers convert with ``TRY_CAST``, which accepts both text and native values."""
        natif = self.types.get(colonne or "", "string") not in ("string", "large_string", "bool")
        if colonne is not None and self.format == "parquet" and natif:
            return '"' + colonne.replace('"', '""') + '"'
        return self.expression(colonne)


def _erreur_lecture(chemin: Path, message: str, correctif: str) -> ErreurUtilisateur:
    return ErreurUtilisateur(message, fichier=str(chemin), correctif=correctif)


def _detecter_encodage(echantillon: bytes, fin: bool) -> str:
    if echantillon.startswith(codecs.BOM_UTF8):
        echantillon = echantillon[len(codecs.BOM_UTF8) :]
    decodeur = codecs.getincrementaldecoder("utf-8")()
    try:
        decodeur.decode(echantillon, final=fin)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _entete_csv(echantillon: bytes, encodage: str, chemin: Path) -> tuple[list[str], str]:
    texte = echantillon.decode(encodage, errors="replace")
    if texte.startswith("\ufeff"):
        texte = texte[1:]
    premiere = texte.split("\n", 1)[0].rstrip("\r")
    if not premiere.strip():
        raise _erreur_lecture(
            chemin,
            "Fichier vide ou sans ligne d'en-tête",
            "Fournir le fichier stock SIRENE complet, avec sa ligne d'en-tête.",
        )
    delimiteur = ";" if premiere.count(";") > premiere.count(",") else ","
    colonnes = next(csv.reader(io.StringIO(premiere), delimiter=delimiteur))
    return [c.strip() for c in colonnes], delimiteur


def _lire_debut(chemin: Path, gz: bool) -> tuple[bytes, bytes]:
    """(header line, first TAILLE_ECHANTILLON + 1 bytes) of a plain or gzipped file."""
    try:
        with gzip.open(chemin, "rb") if gz else open(chemin, "rb") as f:
            premiere = f.readline(1 << 20)
            f.seek(0)
            return premiere, f.read(TAILLE_ECHANTILLON + 1)
    except (OSError, EOFError) as exc:
        raise _erreur_lecture(
            chemin, f"Fichier illisible ({exc})", "Télécharger à nouveau le fichier de l'Insee."
        ) from exc


def _preparer_csv(chemin: Path, lecture: Path, *, gz: bool = False) -> Source:
    premiere, echantillon = _lire_debut(lecture, gz)
    fin = len(echantillon) <= TAILLE_ECHANTILLON
    echantillon = echantillon[:TAILLE_ECHANTILLON]
    encodage = _detecter_encodage(premiere + echantillon, fin)
    colonnes, delimiteur = _entete_csv(premiere, encodage, chemin)
    source = Source(chemin, lecture, "csv", colonnes, encodage, delimiteur)
    if encodage != "utf-8":
        source.avertissements.append(
            f"{chemin.name} n'est pas encodé en UTF-8 : lu comme Latin-1 (ISO-8859-1). "
            "Les fichiers de l'Insee sont en UTF-8 ; vérifier les accents du résultat."
        )
    return source


@contextlib.contextmanager
def ouvrir_source(chemin: Path | str, *, dossier_temp: Path | None = None) -> Iterator[Source]:
    """Open a SIRENE stock file; a zip member is extracted to a temporary file for the duration."""
    chemin = Path(chemin)
    if not chemin.is_file():
        raise _erreur_lecture(
            chemin, "Fichier introuvable", "Vérifier le chemin du fichier SIRENE indiqué."
        )
    with open(chemin, "rb") as f:
        magie = f.read(4)
    if magie == b"PAR1" or chemin.suffix.lower() == ".parquet":
        try:
            schema = pq.read_schema(chemin)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise _erreur_lecture(
                chemin,
                f"Fichier Parquet illisible ou tronqué ({exc})",
                "Télécharger à nouveau le fichier Parquet de l'Insee.",
            ) from exc
        types = {c.name: str(c.type) for c in schema}
        yield Source(chemin, chemin, "parquet", list(schema.names), types=types)
        return
    if magie.startswith(b"PK") or chemin.suffix.lower() == ".zip":
        with _extraire_zip(chemin, dossier_temp) as extrait:
            yield _preparer_csv(chemin, extrait)
        return
    if magie.startswith(b"\x1f\x8b"):
        source = _preparer_csv(chemin, chemin, gz=True)
        yield source
        return
    yield _preparer_csv(chemin, chemin)


@contextlib.contextmanager
def _extraire_zip(chemin: Path, dossier_temp: Path | None) -> Iterator[Path]:
    correctif = "Télécharger à nouveau l'archive de l'Insee (le fichier semble incomplet)."
    try:
        archive = zipfile.ZipFile(chemin)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _erreur_lecture(
            chemin, f"Archive zip illisible ou tronquée ({exc})", correctif
        ) from exc
    with archive:
        membres = [
            m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")
        ]
        if len(membres) != 1:
            noms = ", ".join(m.filename for m in archive.infolist()) or "aucun fichier"
            raise _erreur_lecture(
                chemin,
                f"L'archive doit contenir exactement un fichier CSV (contenu : {noms})",
                "Fournir l'archive StockEtablissement ou StockUniteLegale de l'Insee, "
                "ou le fichier CSV extrait.",
            )
        dossier = Path(tempfile.mkdtemp(prefix=".essq-sirene-", dir=dossier_temp))
        cible = dossier / Path(membres[0].filename).name
        try:
            try:
                with archive.open(membres[0]) as entree, open(cible, "wb") as sortie:
                    shutil.copyfileobj(entree, sortie, 1 << 20)
            except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
                raise _erreur_lecture(
                    chemin, f"Archive zip illisible ou tronquée ({exc})", correctif
                ) from exc
            yield cible
        finally:
            shutil.rmtree(dossier, ignore_errors=True)


def resoudre_colonnes(
    source: Source,
    requises: Mapping[str, str],
    optionnelles: Mapping[str, str],
    *,
    quoi: str,
) -> dict[str, str | None]:
    """Map each alias to the file's actual column name (case-insensitive), None if optional.

    A missing required column raises an error naming it (and a similar column if one looks
    renamed).
    """
    par_minuscule = {c.lower(): c for c in source.colonnes}
    resultat: dict[str, str | None] = {}
    for alias, nom in requises.items():
        trouve = par_minuscule.get(nom.lower())
        if trouve is None:
            attendues = {n.lower() for n in (*requises.values(), *optionnelles.values())}
            inconnues = [c for c in source.colonnes if c.lower() not in attendues]
            proches = [
                c for c in inconnues if c.lower() in nom.lower() or nom.lower() in c.lower()
            ] or difflib.get_close_matches(nom, inconnues, n=1, cutoff=0.6)
            indice = (
                f" Une colonne « {proches[0]} » existe : a-t-elle été renommée ?" if proches else ""
            )
            raise ErreurUtilisateur(
                f"Colonne obligatoire « {nom} » absente du fichier des {quoi}.{indice}",
                fichier=str(source.chemin),
                champ=nom,
                correctif=f"Fournir le fichier stock SIRENE de l'Insee avec la colonne « {nom} » "
                "(les noms de colonnes de l'Insee ne doivent pas être modifiés).",
            )
        resultat[alias] = trouve
    for alias, nom in optionnelles.items():
        resultat[alias] = par_minuscule.get(nom.lower())
    return resultat
