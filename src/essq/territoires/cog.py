"""Import of the Code officiel géographique: communes, EPCI, départements, régions.

Three source formats are recognised (see docs/territoires.md):

* the ``@etalab/decoupage-administratif`` JSON files (``communes.json``, ``epci.json``,
  ``departements.json``, ``regions.json``), as a folder or as the npm ``.tgz`` archive;
* their CSV conversion (``communes_AAAA.csv``, ``epci_AAAA.csv``, ``epci_membres_AAAA.csv``,
  ``departements_AAAA.csv``, ``regions_AAAA.csv``);
* INSEE's COG CSV files (``v_commune_AAAA.csv``, ``v_departement_AAAA.csv``,
  ``v_region_AAAA.csv``; optional EPCI in one of the two formats above).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from essq.erreurs import ErreurUtilisateur
from essq.fichiers import sha256
from essq.territoires import stockage
from essq.territoires.projections import departement_de_commune

TYPES_COMMUNE = (
    "commune-actuelle",
    "commune-deleguee",
    "commune-associee",
    "arrondissement-municipal",
)
_TYPES_INSEE = {
    "COM": "commune-actuelle",
    "COMD": "commune-deleguee",
    "COMA": "commune-associee",
    "ARM": "arrondissement-municipal",
}
MOTIF_COMMUNE = re.compile(r"^(\d{2}|2[AB])\d{3}$")
MOTIF_DEPARTEMENT = re.compile(r"^(\d{2}|2[AB]|97\d|98\d)$")
MOTIF_REGION = re.compile(r"^\d{2,3}$")
MOTIF_SIREN = re.compile(r"^\d{9}$")


@dataclass
class RapportCog:
    format: str
    communes: int = 0
    par_type: dict[str, int] = field(default_factory=dict)
    epci: int = 0
    departements: int = 0
    regions: int = 0
    fichiers: list[str] = field(default_factory=list)

    def en_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Source:
    """Files of a COG folder or archive, read by name."""

    def __init__(self, chemin: Path) -> None:
        self.chemin = chemin
        self.membres: dict[str, bytes] = {}
        if chemin.is_file() and (
            chemin.name.endswith((".tgz", ".tar.gz")) or tarfile.is_tarfile(chemin)
        ):
            try:
                with tarfile.open(chemin) as tar:
                    for m in tar.getmembers():
                        if m.isfile() and m.name.endswith((".json", ".csv")):
                            flux = tar.extractfile(m)
                            if flux is not None:
                                self.membres[Path(m.name).name] = flux.read()
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise ErreurUtilisateur(
                    "Archive du COG illisible ou corrompue.",
                    fichier=str(chemin),
                    correctif="Télécharger à nouveau le paquet @etalab/decoupage-administratif.",
                ) from exc
        elif chemin.is_dir():
            for f in chemin.iterdir():
                if f.is_file() and f.suffix.lower() in (".json", ".csv"):
                    self.membres[f.name] = b""  # read lazily
        else:
            raise ErreurUtilisateur(
                "Dossier du COG introuvable.",
                fichier=str(chemin),
                correctif="Indiquer le dossier contenant communes.json (ou v_commune_AAAA.csv), "
                "ou l'archive .tgz du paquet @etalab/decoupage-administratif.",
            )

    def nom(self, motif: str) -> str | None:
        r = re.compile(motif, re.IGNORECASE)
        trouves = sorted(n for n in self.membres if r.fullmatch(n))
        return trouves[-1] if trouves else None

    def octets(self, nom: str) -> bytes:
        if self.membres.get(nom):
            return self.membres[nom]
        return (self.chemin / nom).read_bytes()

    def origine(self, nom: str) -> str:
        return f"{self.chemin}/{nom}" if self.chemin.is_dir() else f"{self.chemin}!{nom}"

    def texte(self, nom: str) -> str:
        donnees = self.octets(nom)
        try:
            return donnees.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ErreurUtilisateur(
                "Le fichier n'est pas encodé en UTF-8.",
                fichier=self.origine(nom),
                correctif="Réenregistrer le fichier en UTF-8 (les fichiers de l'INSEE et d'Etalab le sont).",
            ) from exc

    def json(self, nom: str) -> list[dict[str, Any]]:
        try:
            donnees = json.loads(self.texte(nom))
        except json.JSONDecodeError as exc:
            raise ErreurUtilisateur(
                f"JSON invalide (ligne {exc.lineno}, colonne {exc.colno}).",
                fichier=self.origine(nom),
                correctif="Télécharger à nouveau le fichier.",
            ) from exc
        if not isinstance(donnees, list):
            raise ErreurUtilisateur(
                "Une liste d'objets est attendue (format @etalab/decoupage-administratif).",
                fichier=self.origine(nom),
                correctif="Fournir communes.json, epci.json… du paquet Etalab.",
            )
        return donnees

    def csv(self, nom: str) -> list[dict[str, str]]:
        texte = self.texte(nom)
        premiere = texte.split("\n", 1)[0]
        sep = ";" if premiere.count(";") > premiere.count(",") else ","
        return list(csv.DictReader(io.StringIO(texte), delimiter=sep))


def _erreur(
    source: _Source, nom: str, ligne: int, champ: str, valeur: Any, attendu: str
) -> ErreurUtilisateur:
    return ErreurUtilisateur(
        f"Valeur invalide « {valeur} ».",
        fichier=source.origine(nom),
        ligne=ligne,
        champ=champ,
        correctif=f"Valeur attendue : {attendu}.",
    )


def _verifier(
    source: _Source,
    nom: str,
    ligne: int,
    champ: str,
    valeur: Any,
    motif: re.Pattern[str],
    attendu: str,
    *,
    facultatif: bool = False,
) -> str | None:
    if valeur in (None, "") and facultatif:
        return None
    v = str(valeur or "").strip()
    if not motif.match(v):
        raise _erreur(source, nom, ligne, champ, valeur, attendu)
    return v


def _liste(valeur: Any) -> list[str]:
    if valeur in (None, ""):
        return []
    if isinstance(valeur, list):
        return [str(v) for v in valeur]
    return [v for v in re.split(r"[|;,]", str(valeur)) if v]


def _entier(valeur: Any) -> int | None:
    try:
        return int(float(valeur)) if valeur not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _communes(
    source: _Source, nom: str, lignes: Iterable[dict[str, Any]], insee: bool
) -> list[dict[str, Any]]:
    sortie = []
    for i, e in enumerate(lignes, start=1 if not nom.endswith(".csv") else 2):
        if insee:
            type_insee = str(e.get("TYPECOM", "")).strip()
            if type_insee not in _TYPES_INSEE:
                raise _erreur(source, nom, i, "TYPECOM", type_insee, "COM, COMD, COMA ou ARM")
            t = _TYPES_INSEE[type_insee]
            code, libelle = e.get("COM"), e.get("LIBELLE")
            parent = e.get("COMPARENT") or None
            dep, reg = e.get("DEP") or None, e.get("REG") or None
            pop, anciens, epci = None, [], None
        else:
            t = str(e.get("type", "")).strip()
            if t not in TYPES_COMMUNE:
                raise _erreur(source, nom, i, "type", t, ", ".join(TYPES_COMMUNE))
            code, libelle = e.get("code"), e.get("nom")
            parent = e.get("commune") or e.get("chefLieu") or None
            dep, reg = e.get("departement") or None, e.get("region") or None
            pop, anciens, epci = (
                _entier(e.get("population")),
                _liste(e.get("anciensCodes")),
                e.get("epci") or None,
            )
        ccode = "COM" if insee else "code"
        code = _verifier(
            source,
            nom,
            i,
            ccode,
            code,
            MOTIF_COMMUNE,
            "5 caractères : 2 chiffres (ou 2A/2B) + 3 chiffres, ex. 93066",
        )
        if not str(libelle or "").strip():
            raise _erreur(
                source, nom, i, "LIBELLE" if insee else "nom", libelle, "le nom de la commune"
            )
        if t != "commune-actuelle":
            if parent is None:
                raise ErreurUtilisateur(
                    f"La {t} {code} n'indique pas sa commune de rattachement.",
                    fichier=source.origine(nom),
                    ligne=i,
                    champ="COMPARENT" if insee else "commune",
                    correctif="Renseigner le code de la commune actuelle de rattachement.",
                )
            parent = _verifier(
                source,
                nom,
                i,
                "COMPARENT" if insee else "commune",
                parent,
                MOTIF_COMMUNE,
                "code de commune sur 5 caractères",
            )
        else:
            parent = code
        for a in anciens:
            _verifier(
                source,
                nom,
                i,
                "anciensCodes",
                a,
                MOTIF_COMMUNE,
                "codes de commune sur 5 caractères",
            )
        if dep is not None:
            _verifier(
                source,
                nom,
                i,
                "DEP" if insee else "departement",
                dep,
                MOTIF_DEPARTEMENT,
                "code de département (01…95, 2A, 2B, 971…989, 00 pour le territoire de démonstration)",
            )
        if epci is not None:
            _verifier(source, nom, i, "epci", epci, MOTIF_SIREN, "SIREN de l'EPCI sur 9 chiffres")
        sortie.append(
            {
                "code": code,
                "nom": str(libelle).strip(),
                "type": t,
                "commune_parente": parent,
                "departement": dep or departement_de_commune(str(code)),
                "region": reg,
                "epci": epci,
                "population": pop,
                "anciens_codes": anciens,
            }
        )
    if not sortie:
        raise ErreurUtilisateur(
            "Aucune commune dans le fichier.",
            fichier=source.origine(nom),
            correctif="Fournir le fichier complet des communes.",
        )
    # non-actual communes inherit missing département/région/EPCI from their parent
    actuelles = {c["code"]: c for c in sortie if c["type"] == "commune-actuelle"}
    for c in sortie:
        p = actuelles.get(c["commune_parente"])
        if p is not None and c["type"] != "commune-actuelle":
            c["region"] = c["region"] or p["region"]
            c["epci"] = c["epci"] or p["epci"]
    return sortie


def _epci(
    source: _Source, nom: str, lignes: list[dict[str, Any]], membres: dict[str, list[str]] | None
) -> list[dict[str, Any]]:
    sortie = []
    for i, e in enumerate(lignes, start=1 if nom.endswith(".json") else 2):
        code = _verifier(
            source, nom, i, "code", e.get("code"), MOTIF_SIREN, "SIREN de l'EPCI sur 9 chiffres"
        )
        assert code is not None
        if membres is not None:
            liste = membres.get(code, [])
        else:
            liste = [str(m.get("code")) for m in e.get("membres") or []]
        for m in liste:
            _verifier(
                source, nom, i, "membres", m, MOTIF_COMMUNE, "codes de commune sur 5 caractères"
            )
        sortie.append(
            {
                "code": code,
                "nom": str(e.get("nom") or "").strip(),
                "type": e.get("type") or None,
                "membres": liste,
            }
        )
    return sortie


def _lire_niveau(
    source: _Source,
    rapport: RapportCog,
    niveau: str,
    colonne_insee: str,
    motif: re.Pattern[str],
    attendu: str,
) -> list[tuple[str, dict[str, Any]]]:
    """(checked code, row) of the departements or regions file, if the source has one.

    The file is ``<niveau>s.json`` (decoupage-administratif), ``v_<niveau>_AAAA.csv`` (INSEE)
    or ``<niveau>s[_AAAA].csv``; INSEE's files name the code column ``colonne_insee``.
    """
    nom = (
        source.nom(rf"{niveau}s\.json")
        or source.nom(rf"v_{niveau}_\d{{4}}\.csv")
        or source.nom(rf"{niveau}s(_\d{{4}})?\.csv")
    )
    if not nom:
        return []
    en_json = nom.endswith(".json")
    lues: list[tuple[str, dict[str, Any]]] = []
    for i, e in enumerate(
        source.json(nom) if en_json else source.csv(nom), start=1 if en_json else 2
    ):
        code = e.get("code") or e.get(colonne_insee)
        _verifier(source, nom, i, "code", code, motif, attendu)
        lues.append((str(code), e))
    rapport.fichiers.append(nom)
    return lues


def lire_cog(chemin: Path | str) -> tuple[dict[str, pa.Table], RapportCog]:
    """Read and validate a COG folder/archive; returns the five tables."""
    source = _Source(Path(chemin))
    j_com = source.nom(r"communes\.json")
    insee = source.nom(r"v_commune_\d{4}\.csv")
    c_com = source.nom(r"communes(_\d{4})?\.csv")
    if j_com:
        fmt = "etalab-json"
        communes = _communes(source, j_com, source.json(j_com), insee=False)
    elif insee:
        fmt = "insee-csv"
        communes = _communes(source, insee, source.csv(insee), insee=True)
    elif c_com:
        fmt = "etalab-csv"
        communes = _communes(source, c_com, source.csv(c_com), insee=False)
    else:
        raise ErreurUtilisateur(
            "Aucun fichier de communes reconnu.",
            fichier=str(chemin),
            correctif="Le dossier doit contenir communes.json (paquet @etalab/decoupage-administratif), "
            "communes_AAAA.csv (sa conversion CSV) ou v_commune_AAAA.csv (COG de l'INSEE).",
        )
    rapport = RapportCog(format=fmt)
    epci: list[dict[str, Any]] = []
    j_epci, c_epci = source.nom(r"epci\.json"), source.nom(r"epci(_\d{4})?\.csv")
    c_membres = source.nom(r"epci_membres(_\d{4})?\.csv")
    if j_epci:
        epci = _epci(source, j_epci, source.json(j_epci), None)
        rapport.fichiers.append(j_epci)
    elif c_epci:
        membres: dict[str, list[str]] = {}
        if c_membres:
            for m in source.csv(c_membres):
                membres.setdefault(str(m.get("epci")), []).append(str(m.get("commune")))
            rapport.fichiers.append(c_membres)
        else:
            for c in communes:
                if c["epci"] and c["type"] == "commune-actuelle":
                    membres.setdefault(c["epci"], []).append(c["code"])
        epci = _epci(source, c_epci, source.csv(c_epci), membres)
        rapport.fichiers.append(c_epci)
    # commune → EPCI from the EPCI members when the commune file does not say it
    par_commune = {m: e["code"] for e in epci for m in e["membres"]}
    for c in communes:
        if c["epci"] is None:
            c["epci"] = par_commune.get(
                c["code"] if c["type"] == "commune-actuelle" else c["commune_parente"]
            )
    deps = [
        {
            "code": code,
            "nom": str(e.get("nom") or e.get("LIBELLE") or ""),
            "region": e.get("region") or e.get("REG") or None,
        }
        for code, e in _lire_niveau(
            source, rapport, "departement", "DEP", MOTIF_DEPARTEMENT, "code de département"
        )
    ]
    regs = [
        {"code": code, "nom": str(e.get("nom") or e.get("LIBELLE") or "")}
        for code, e in _lire_niveau(
            source,
            rapport,
            "region",
            "REG",
            MOTIF_REGION,
            "code de région sur 2 chiffres (3 pour les collectivités d'outre-mer)",
        )
    ]
    principal = j_com or insee or c_com
    assert principal is not None
    rapport.fichiers.insert(0, principal)
    rapport.communes = len(communes)
    for c in communes:
        rapport.par_type[c["type"]] = rapport.par_type.get(c["type"], 0) + 1
    rapport.epci, rapport.departements, rapport.regions = len(epci), len(deps), len(regs)
    tables = {
        "communes": pa.Table.from_pylist(communes, schema=stockage.SCHEMAS["communes"]),
        "epci": pa.Table.from_pylist(epci, schema=stockage.SCHEMAS["epci"]),
        "departements": pa.Table.from_pylist(deps, schema=stockage.SCHEMAS["departements"]),
        "regions": pa.Table.from_pylist(regs, schema=stockage.SCHEMAS["regions"]),
    }
    return tables, rapport


def importer_cog(
    chemin: Path | str, *, home: Path | str | None = None, millesime: str | None = None
) -> RapportCog:
    """Import (replace) the COG tables from a folder or an npm archive."""
    tables, rapport = lire_cog(chemin)
    chemin = Path(chemin)
    sources = [
        {
            "fichier": str(chemin.resolve()),
            "format": rapport.format,
            "membres": rapport.fichiers,
            **({"sha256": sha256(chemin)} if chemin.is_file() else {}),
            **({"millesime": millesime} if millesime else {}),
        }
    ]
    with stockage.mise_a_jour(home) as chantier:
        for nom, table in tables.items():
            chantier.ecrire_table(nom, table, sources)
    return rapport
