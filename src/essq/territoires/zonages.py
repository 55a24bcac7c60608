"""Import of commune zonings: ZRR, France Ruralités Revitalisation, ACV, PVD, ORT.

Accepted formats (docs/territoires.md):

* ANCT-Observatoire des territoires CSV (ZRR, FRR): preamble lines, a French header, then a
  code header ``CODGEO, LIBGEO, ZRR_SIMP|FRR…, …``; the value is the code before " - ";
* ANCT programme CSV: Action Cœur de Ville (``insee_com, lib_com, id_acv, lib_acv,
  date_signature``), Petites Villes de Demain (``insee_com, lib_com, id_pvd,
  date_signature``), ORT (``Code commune, …, Signée ?, Si signée date de signature, …``);
* the merged JSON ``{"communes": {INSEE: {acv, acv_signed_at, pvd, pvd_signed_at, ort,
  ort_signed_at}}}``.

Importing a zoning replaces the previous rows of that zoning only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from essq.erreurs import ErreurUtilisateur
from essq.fichiers import sha256
from essq.territoires import stockage
from essq.territoires.cog import MOTIF_COMMUNE

ZONAGES = ("zrr", "frr", "acv", "pvd", "ort")
LIBELLES = {
    "zrr": "Zone de revitalisation rurale",
    "frr": "France Ruralités Revitalisation",
    "acv": "Action Cœur de Ville",
    "pvd": "Petites Villes de Demain",
    "ort": "Opération de revitalisation de territoire",
}


@dataclass
class RapportZonage:
    fichier: str
    format: str
    par_zonage: dict[str, int] = field(default_factory=dict)
    non_classees: int = 0
    codes_normalises: int = 0
    codes_inconnus: list[str] = field(default_factory=list)

    def en_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _date(valeur: Any, origine: str, ligne: int, champ: str) -> dt.date | None:
    v = str(valeur or "").strip()
    if not v:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(v[:10], fmt).date()
        except ValueError:
            continue
    raise ErreurUtilisateur(
        f"Date illisible « {v} ».",
        fichier=origine,
        ligne=ligne,
        champ=champ,
        correctif="Dates attendues au format AAAA-MM-JJ ou JJ-MM-AAAA.",
    )


def _code(valeur: Any, origine: str, ligne: int, champ: str) -> str:
    v = str(valeur or "").strip().replace('="', "").replace('"', "")
    if len(v) == 4 and v.isdigit():
        v = "0" + v  # codes read as numbers by a spreadsheet lose their leading zero
    if not MOTIF_COMMUNE.match(v):
        raise ErreurUtilisateur(
            f"Code commune mal formé « {valeur} ».",
            fichier=origine,
            ligne=ligne,
            champ=champ,
            correctif="Codes INSEE sur 5 caractères attendus (ex. 01053, 2A004).",
        )
    return v


def _lire_texte(chemin: Path) -> str:
    donnees = chemin.read_bytes()
    try:
        return donnees.decode("utf-8-sig")
    except UnicodeDecodeError:
        return donnees.decode("cp1252")  # the ANCT's Excel exports are often Windows-1252


def lire_zonage(
    chemin: Path | str, zonage: str | None = None
) -> tuple[list[dict[str, Any]], RapportZonage]:
    """Rows (commune, zonage, valeur, date, source) of one zoning file; auto-detects the format."""
    chemin = Path(chemin)
    if not chemin.exists():
        raise ErreurUtilisateur(
            "Fichier introuvable.", fichier=str(chemin), correctif="Vérifier le chemin."
        )
    if zonage is not None and zonage not in ZONAGES:
        raise ErreurUtilisateur(
            f"Zonage inconnu « {zonage} ».",
            champ="type",
            correctif="Choisir parmi : " + ", ".join(ZONAGES) + ".",
        )
    source = chemin.name
    if chemin.suffix.lower() == ".xls":
        raise ErreurUtilisateur(
            "Le format Excel 97 (.xls) n'est pas lu directement.",
            fichier=str(chemin),
            correctif="L'enregistrer en .xlsx ou en CSV (LibreOffice : soffice --headless "
            "--convert-to csv FICHIER.xls), puis relancer l'import.",
        )
    if chemin.suffix.lower() == ".xlsx":
        lignes = _lire_xlsx(chemin)
    else:
        texte = _lire_texte(chemin)
        if texte.lstrip().startswith("{"):
            return _lire_json(texte, str(chemin), source, zonage)
        lignes = _lire_csv(texte)
    # ANCT-Observatoire format: find the code header line
    for i, ligne in enumerate(lignes[:20]):
        noms = [c.strip() for c in ligne]
        if "CODGEO" in noms:
            return _lire_observatoire(lignes, i, str(chemin), source, zonage)
    if not lignes:
        raise ErreurUtilisateur(
            "Fichier vide.", fichier=str(chemin), correctif="Fournir la liste publiée par l'ANCT."
        )
    entete = [c.strip() for c in lignes[0]]
    return _lire_programme(entete, lignes[1:], str(chemin), source, zonage)


def _lire_xlsx(chemin: Path) -> list[list[str]]:
    """Rows of the first sheet of a workbook, as text (codes keep their leading zeros)."""
    import openpyxl

    try:
        classeur = openpyxl.load_workbook(chemin, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException…
        raise ErreurUtilisateur(
            "Classeur Excel illisible.",
            fichier=str(chemin),
            correctif="Vérifier le fichier ou l'enregistrer en CSV.",
        ) from exc
    feuille = classeur.worksheets[0]
    lignes = [
        ["" if v is None else str(v) for v in ligne]
        for ligne in feuille.iter_rows(values_only=True)
    ]
    classeur.close()
    return lignes


def _lire_csv(texte: str) -> list[list[str]]:
    premiere = texte.split("\n", 1)[0]
    return list(
        csv.reader(
            io.StringIO(texte), delimiter=";" if premiere.count(";") > premiere.count(",") else ","
        )
    )


def _lire_observatoire(
    lignes: list[list[str]], i: int, origine: str, source: str, zonage: str | None
) -> tuple[list[dict[str, Any]], RapportZonage]:
    entete = [c.strip() for c in lignes[i]]
    colonne = next((j for j, c in enumerate(entete) if c.upper().startswith(("ZRR", "FRR"))), None)
    if colonne is None:
        raise ErreurUtilisateur(
            "Colonne du classement introuvable (ZRR_SIMP ou FRR… attendue).",
            fichier=origine,
            ligne=i + 1,
            correctif="Fournir le fichier de l'Observatoire des territoires tel que publié.",
        )
    detecte = "frr" if entete[colonne].upper().startswith("FRR") else "zrr"
    if zonage is not None and zonage != detecte:
        raise ErreurUtilisateur(
            f"Le fichier contient un classement {detecte.upper()} et non {zonage.upper()}.",
            fichier=origine,
            correctif=f"Indiquer --type {detecte}.",
        )
    rapport = RapportZonage(fichier=origine, format="observatoire-des-territoires")
    c_code = entete.index("CODGEO")
    sortie = []
    for n, ligne in enumerate(lignes[i + 1 :], start=i + 2):
        if not any(c.strip() for c in ligne):
            continue
        if len(ligne) <= max(c_code, colonne):
            raise ErreurUtilisateur(
                "Ligne incomplète.",
                fichier=origine,
                ligne=n,
                correctif="Vérifier que le fichier n'est pas tronqué.",
            )
        valeur = ligne[colonne].strip()
        code_valeur = valeur.split(" - ")[0].strip()
        if not code_valeur or code_valeur.upper() == "NC" or code_valeur.lower().startswith("non"):
            rapport.non_classees += 1
            continue
        sortie.append(
            {
                "commune": _code(ligne[c_code], origine, n, "CODGEO"),
                "zonage": detecte,
                "valeur": code_valeur,
                "date": None,
                "source": source,
            }
        )
    rapport.par_zonage[detecte] = len(sortie)
    return sortie, rapport


_PROGRAMMES = {
    "acv": ("id_acv", "date_signature"),
    "pvd": ("id_pvd", "date_signature"),
}


def _lire_programme(
    entete: list[str], lignes: list[list[str]], origine: str, source: str, zonage: str | None
) -> tuple[list[dict[str, Any]], RapportZonage]:
    bas = [c.lower() for c in entete]
    if "code commune" in bas:
        detecte, c_code = "ort", bas.index("code commune")
        c_id = next((j for j, c in enumerate(bas) if c.startswith("signée")), None)
        c_date = next((j for j, c in enumerate(bas) if "date de signature" in c), None)
    elif "id_acv" in bas or "id_pvd" in bas:
        detecte = "acv" if "id_acv" in bas else "pvd"
        if "insee_com" not in bas:
            raise ErreurUtilisateur(
                "Colonne insee_com absente.",
                fichier=origine,
                ligne=1,
                champ="insee_com",
                correctif="Fournir la liste publiée par l'ANCT (colonnes insee_com, lib_com, id_…).",
            )
        c_code, c_id = bas.index("insee_com"), bas.index(_PROGRAMMES[detecte][0])
        c_date = bas.index("date_signature") if "date_signature" in bas else None
    else:
        raise ErreurUtilisateur(
            "Format de zonage non reconnu (ni ZRR/FRR de l'Observatoire des territoires, ni liste ACV, PVD ou ORT).",
            fichier=origine,
            ligne=1,
            correctif="Colonnes attendues : CODGEO + ZRR_SIMP/FRR… ; insee_com + id_acv ; insee_com + id_pvd ; "
            "« Code commune » + « Signée ? » (ORT). Colonnes trouvées : " + ", ".join(entete),
        )
    if zonage is not None and zonage != detecte:
        raise ErreurUtilisateur(
            f"Le fichier est une liste {detecte.upper()}, pas {zonage.upper()}.",
            fichier=origine,
            correctif=f"Indiquer --type {detecte}.",
        )
    rapport = RapportZonage(fichier=origine, format=f"anct-{detecte}")
    sortie = []
    for n, ligne in enumerate(lignes, start=2):
        if not any(c.strip() for c in ligne):
            continue
        valeur = ligne[c_id].strip() if c_id is not None and c_id < len(ligne) else "oui"
        if detecte == "ort":
            # « Signée ? » reads « Signée » for a signed convention (others: candidate, ended…)
            if valeur.lower() not in ("signée", "signee", "oui", "o", "true", "1"):
                rapport.non_classees += 1
                continue
            valeur = "signee"
        date = (
            _date(ligne[c_date], origine, n, entete[c_date])
            if c_date is not None and c_date < len(ligne)
            else None
        )
        sortie.append(
            {
                "commune": _code(ligne[c_code], origine, n, entete[c_code]),
                "zonage": detecte,
                "valeur": valeur or "oui",
                "date": date,
                "source": source,
            }
        )
    rapport.par_zonage[detecte] = len(sortie)
    return sortie, rapport


def _lire_json(
    texte: str, origine: str, source: str, zonage: str | None
) -> tuple[list[dict[str, Any]], RapportZonage]:
    try:
        d = json.loads(texte)
    except json.JSONDecodeError as exc:
        raise ErreurUtilisateur(
            f"JSON invalide (ligne {exc.lineno}).",
            fichier=origine,
            correctif="Télécharger à nouveau le fichier.",
        ) from exc
    communes = d.get("communes") if isinstance(d, dict) else None
    if not isinstance(communes, dict):
        raise ErreurUtilisateur(
            "Objet « communes » absent.",
            fichier=origine,
            champ="communes",
            correctif='Format attendu : {"communes": {"01053": {"acv": true, …}}}.',
        )
    rapport = RapportZonage(fichier=origine, format="anct-programmes-json")
    sortie = []
    for n, (code, fiche) in enumerate(communes.items(), start=1):
        code = _code(code, origine, n, "communes")
        for z in ("acv", "pvd", "ort"):
            if zonage is not None and z != zonage:
                continue
            if fiche.get(z):
                sortie.append(
                    {
                        "commune": code,
                        "zonage": z,
                        "valeur": "oui",
                        "date": _date(fiche.get(f"{z}_signed_at"), origine, n, f"{z}_signed_at"),
                        "source": source,
                    }
                )
                rapport.par_zonage[z] = rapport.par_zonage.get(z, 0) + 1
    return sortie, rapport


def importer_zonage(
    chemin: Path | str, *, zonage: str | None = None, home: Path | str | None = None
) -> RapportZonage:
    """Import one zoning file; the zonings it contains replace their previous rows."""
    lignes, rapport = lire_zonage(chemin, zonage)
    if not lignes:
        raise ErreurUtilisateur(
            "Aucune commune classée dans ce fichier.",
            fichier=str(chemin),
            correctif="Vérifier qu'il s'agit bien de la liste publiée par l'ANCT.",
        )
    racine = stockage.dossier(home)
    communes = stockage.lire_table(racine, "communes")
    if communes is not None:
        actuelles = set(
            pc.filter(
                communes.column("code"), pc.equal(communes.column("type"), "commune-actuelle")
            ).to_pylist()
        )
        parent: dict[str, str] = {}
        for c, t, p, anciens in zip(
            communes.column("code").to_pylist(),
            communes.column("type").to_pylist(),
            communes.column("commune_parente").to_pylist(),
            communes.column("anciens_codes").to_pylist(),
            strict=True,
        ):
            if t != "commune-actuelle" and c not in actuelles:
                parent.setdefault(c, p)
            for a in anciens or []:
                if a not in actuelles:
                    parent.setdefault(a, c)
        inconnus = set()
        for ligne in lignes:
            code = ligne["commune"]
            if code not in actuelles:
                if code in parent:
                    ligne["commune"] = parent[code]
                    rapport.codes_normalises += 1
                else:
                    inconnus.add(code)
        rapport.codes_inconnus = sorted(inconnus)
    # one row per (commune, zonage): after mergers several old communes map to one
    uniques: dict[tuple[str, str], dict[str, Any]] = {}
    for ligne in lignes:
        cle = (ligne["commune"], ligne["zonage"])
        if cle not in uniques or (ligne["valeur"] == "C" and uniques[cle]["valeur"] != "C"):
            uniques[cle] = ligne
    nouvelle = pa.Table.from_pylist(list(uniques.values()), schema=stockage.SCHEMAS["zonages"])
    zonages_importes = sorted(rapport.par_zonage)
    existante = stockage.lire_table(racine, "zonages")
    morceaux = []
    if existante is not None:
        garde = pc.invert(
            pc.is_in(existante.column("zonage"), value_set=pa.array(zonages_importes))
        )
        morceaux.append(existante.filter(garde))
    morceaux.append(nouvelle)
    table = pa.concat_tables(morceaux).sort_by([("zonage", "ascending"), ("commune", "ascending")])
    with stockage.mise_a_jour(home) as chantier:
        anciennes = chantier.manifeste.get("tables", {}).get("zonages", {}).get("sources", [])
        anciennes = [s for s in anciennes if not set(s.get("zonages", [])) & set(zonages_importes)]
        chantier.ecrire_table(
            "zonages",
            table,
            anciennes
            + [
                {
                    "fichier": str(Path(chemin).resolve()),
                    "sha256": sha256(chemin),
                    "zonages": zonages_importes,
                    "format": rapport.format,
                }
            ],
        )
    return rapport
