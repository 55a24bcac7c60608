"""Analysts' exports of a whole territory level: CSV, Parquet, XLSX, GeoJSON.

Every export carries the Licence Ouverte attribution of its sources (INSEE SIRENE with the
stock date, ANCT QPV with the millésime): an ``attribution`` column in CSV, file metadata in
Parquet, a « sources » sheet in XLSX, a top-level ``attribution`` member in GeoJSON.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from essq.erreurs import ErreurUtilisateur
from essq.fichiers import ecriture_atomique
from essq.observatoire.entrepot import Entrepot
from essq.observatoire.lecture import attribution_texte, sources, sources_reconstituees
from essq.observatoire.schema import (
    DESCRIPTION_PARTS,
    DIMENSIONS,
    LIBELLES_MODALITES,
    MESURES,
)

FORMATS = ("csv", "parquet", "xlsx", "geojson")

COLONNES_FIXES = {
    "niveau": "Niveau de territoire (qpv, commune, epci, departement, region, france)",
    "code": "Code du territoire (code QPV, code commune COG, SIREN de l'EPCI, code département, code région, FR)",
    "libelle": "Nom du territoire",
    "perimetre": "ensemble ; en_qpv : établissements situés dans un QPV du territoire ; hors_qpv : les autres",
    "date_stock": "Date du stock SIRENE utilisé",
    "millesime_qpv": "Millésime de la géographie prioritaire (2015 ou 2024)",
    "epci": "EPCI de rattachement (SIREN)",
    "departement": "Département",
    "region": "Région",
    "territoire_type": "Type du territoire (qpv, commune, epci, departement, region, france)",
    "territoire_code": "Code du territoire",
    "indicateur": "Nom de l'indicateur (voir docs/indicateurs.md)",
    "modalite": "Modalité de la répartition (famille, secteur, taille, période de création), vide sinon",
    "valeur": "Valeur de l'indicateur (nombre, effectif ou part entre 0 et 1)",
}


def description_colonne(nom: str) -> str:
    if nom in COLONNES_FIXES:
        return COLONNES_FIXES[nom]
    if nom in MESURES:
        return MESURES[nom]
    if nom in DESCRIPTION_PARTS:
        return DESCRIPTION_PARTS[nom]
    if nom == "attribution":
        return "Attribution des sources (Licence Ouverte 2.0)"
    for dim, texte in DIMENSIONS.items():
        if nom.startswith(dim + "_"):
            reste = nom[len(dim) + 1 :]
            for suffixe, quoi in (
                ("_etablissements_ess", "établissements ESS actifs"),
                ("_effectif_ess", "effectif ESS estimé (central)"),
                ("_effectif_total", "effectif total estimé (central), tous établissements"),
            ):
                if reste.endswith(suffixe):
                    modalite = reste[: -len(suffixe)]
                    libelle = LIBELLES_MODALITES.get(dim, {}).get(modalite, modalite)
                    return f"{texte} — {libelle} : {quoi}"
    return nom


def _ligne_json(valeur: Any) -> Any:
    if isinstance(valeur, float) and valeur.is_integer():
        return int(valeur)
    return valeur


def exporter(
    entrepot: Entrepot,
    niveau: str,
    format: str,
    sortie: Path | str,
    *,
    date_stock: str | None = None,
    millesime: str = "2024",
) -> dict[str, Any]:
    """Write the indicator table of a level to ``sortie`` (atomically); return a summary."""
    format = format.lower()
    if format not in FORMATS:
        raise ErreurUtilisateur(
            f"Format d'export inconnu : {format}.",
            champ="--format",
            correctif=f"choisir parmi : {', '.join(FORMATS)}.",
        )
    if format == "geojson" and niveau != "qpv":
        raise ErreurUtilisateur(
            "L'export GeoJSON porte sur les contours des QPV.",
            champ="--niveau",
            correctif="utiliser --niveau qpv avec --format geojson, ou un autre format pour ce niveau.",
        )
    if millesime not in entrepot.millesimes():
        raise ErreurUtilisateur(
            f"Millésime QPV absent de l'entrepôt : {millesime}.",
            champ="--millesime",
            correctif=f"choisir parmi : {', '.join(entrepot.millesimes())}.",
        )
    date = entrepot._date(date_stock)
    table = entrepot.table_niveau(niveau, date, millesime)
    attribution = attribution_texte(date, millesime, entrepot.provenance(date))
    srcs = sources(date, millesime, entrepot.provenance(date))
    sortie = Path(sortie)
    with ecriture_atomique(sortie, suffixe=f".{format}.partiel") as tmp:
        if format == "csv":
            _csv(table, tmp, attribution)
        elif format == "parquet":
            meta = {
                b"attribution": attribution.encode(),
                b"sources": json.dumps(srcs, ensure_ascii=False).encode(),
                b"colonnes": json.dumps(
                    {c: description_colonne(c) for c in table.column_names}, ensure_ascii=False
                ).encode(),
            }
            pq.write_table(table.replace_schema_metadata(meta), tmp)
        elif format == "xlsx":
            _xlsx(table, tmp, attribution, srcs, niveau)
        else:
            _geojson(entrepot, table, tmp, attribution, srcs, millesime)
    return {
        "fichier": str(sortie),
        "format": format,
        "lignes": table.num_rows,
        "colonnes": table.num_columns,
        "attribution": attribution,
    }


def _csv(table: pa.Table, chemin: Path, attribution: str) -> None:
    noms = table.column_names
    with open(chemin, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*noms, "attribution"])
        for ligne in table.to_pylist():
            w.writerow(
                [
                    *(_ligne_json(ligne[n]) if ligne[n] is not None else "" for n in noms),
                    attribution,
                ]
            )


def _xlsx(
    table: pa.Table, chemin: Path, attribution: str, srcs: list[dict[str, Any]], niveau: str
) -> None:
    import xlsxwriter

    classeur = xlsxwriter.Workbook(str(chemin), {"constant_memory": True})
    try:
        gras = classeur.add_format({"bold": True})
        feuille = classeur.add_worksheet(f"indicateurs_{niveau}"[:31])
        noms = table.column_names
        for j, n in enumerate(noms):
            feuille.write(0, j, n, gras)
        for i, ligne in enumerate(table.to_pylist(), start=1):
            for j, n in enumerate(noms):
                v = ligne[n]
                if v is not None:
                    feuille.write(i, j, _ligne_json(v))
        cols = classeur.add_worksheet("colonnes")
        cols.write_row(0, 0, ["colonne", "description"], gras)
        for i, n in enumerate(noms, start=1):
            cols.write_row(i, 0, [n, description_colonne(n)])
        s = classeur.add_worksheet("sources")
        s.write_row(
            0,
            0,
            ["producteur", "jeu de données", "date ou millésime", "licence", "attribution"],
            gras,
        )
        for i, src in enumerate(srcs, start=1):
            s.write_row(
                i,
                0,
                [
                    src["producteur"],
                    src["jeu"],
                    src.get("date") or src.get("millesime") or "",
                    src["licence"],
                    src["attribution"],
                ],
            )
        s.write(len(srcs) + 2, 0, attribution)
        s.write(
            len(srcs) + 3,
            0,
            "Effectifs estimés à partir des tranches d'effectif SIRENE (pas CLAP/Flores) : voir docs/indicateurs.md.",
        )
    finally:
        classeur.close()


def _geojson(
    entrepot: Entrepot,
    table: pa.Table,
    chemin: Path,
    attribution: str,
    srcs: list[dict[str, Any]],
    millesime: str,
) -> None:
    contours = entrepot.contours_qpv(millesime)
    features = []
    for ligne in table.to_pylist():
        wkb = contours.get(ligne["code"])
        geom = shapely.geometry.mapping(shapely.from_wkb(wkb)) if wkb else None
        features.append(
            {
                "type": "Feature",
                "id": ligne["code"],
                "geometry": geom,
                "properties": {k: _ligne_json(v) for k, v in ligne.items()},
            }
        )
    doc = {
        "type": "FeatureCollection",
        "attribution": attribution,
        "sources": srcs,
        "features": features,
    }
    with open(chemin, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


def aplatir_indicateurs(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON of ``essq indicateurs`` as tidy rows (territoire, perimetre, indicateur, modalite, valeur)."""
    lignes: list[dict[str, Any]] = []

    def ajouter(terr: dict[str, Any], perimetre: str, obj: dict[str, Any]) -> None:
        base = {
            "territoire_type": terr.get("type"),
            "territoire_code": terr.get("code"),
            "libelle": terr.get("libelle"),
            "date_stock": res["date_stock"],
            "millesime_qpv": res["millesime_qpv"],
            "perimetre": perimetre,
        }
        for cle, valeur in obj.items():
            if isinstance(valeur, dict) and cle.startswith("par_"):
                for modalite, sous in valeur.items():
                    for k, v in sous.items():
                        if isinstance(v, dict):
                            for kk, vv in v.items():
                                lignes.append(
                                    {
                                        **base,
                                        "indicateur": f"{cle}.{k}_{kk}",
                                        "modalite": modalite,
                                        "valeur": vv,
                                    }
                                )
                        else:
                            lignes.append(
                                {
                                    **base,
                                    "indicateur": f"{cle}.{k}",
                                    "modalite": modalite,
                                    "valeur": v,
                                }
                            )
            elif isinstance(valeur, dict):
                for k, v in valeur.items():
                    lignes.append(
                        {**base, "indicateur": f"{cle}_{k}", "modalite": None, "valeur": v}
                    )
            else:
                lignes.append({**base, "indicateur": cle, "modalite": None, "valeur": valeur})

    for p in res["perimetres"]:
        ajouter(res["territoire"], p, res[p])
    for comp in res.get("comparaisons", {}).values():
        for p in ("ensemble", "en_qpv", "hors_qpv"):
            if p in comp:
                ajouter(comp["territoire"], p, comp[p])
    return lignes


def ecrire_indicateurs(res: dict[str, Any], format: str, sortie: Path | str | None) -> str | None:
    """``essq indicateurs --format csv|xlsx``: tidy rows plus the attribution; returns CSV text
    when no output file is given (xlsx needs a file)."""
    import io

    lignes = aplatir_indicateurs(res)
    attribution = attribution_texte(
        res["date_stock"],
        res["millesime_qpv"],
        reconstitue=sources_reconstituees(res.get("sources", [])),
    )
    noms = [
        "territoire_type",
        "territoire_code",
        "libelle",
        "date_stock",
        "millesime_qpv",
        "perimetre",
        "indicateur",
        "modalite",
        "valeur",
    ]
    if format == "csv":
        tampon = io.StringIO()
        w = csv.writer(tampon)
        w.writerow([*noms, "attribution"])
        for ligne in lignes:
            w.writerow([*("" if ligne[n] is None else ligne[n] for n in noms), attribution])
        texte = tampon.getvalue()
        if sortie is None:
            return texte
        with ecriture_atomique(Path(sortie)) as tmp:
            tmp.write_text(texte, encoding="utf-8")
        return None
    if sortie is None:
        raise ErreurUtilisateur(
            "Le format xlsx s'écrit dans un fichier.",
            champ="--sortie",
            correctif="ajouter --sortie indicateurs.xlsx.",
        )
    table = pa.Table.from_pylist(
        lignes,
        schema=pa.schema([(n, pa.float64() if n == "valeur" else pa.string()) for n in noms]),
    )
    with ecriture_atomique(Path(sortie), suffixe=".xlsx.partiel") as tmp:
        _xlsx(table, tmp, attribution, res["sources"], "territoire")
    return None
