"""Benchmark of the synthetic SIRENE generator: rows/s and peak RSS.

Default: 1 million establishments (CSV + Parquet, then Parquet only). ``--complet``: the
national scale, 42 million establishments (Parquet only, about 30 million legal units).
Floor measured in the same run: pyarrow writing tables of random strings of the same shape
(54 + 35 columns, same row counts, same chunking) to Parquet and CSV — the cost of the
writing alone, without generating anything meaningful.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LOT = 150_000


def _generer(n: int, formats: list[str] | tuple[str, ...], dossier: str) -> dict[str, Any]:
    from essq.generateur import generer_stock

    r = generer_stock(Path(dossier), n, graine=1, formats=formats, afficher_progression=False)
    tailles = {p.name: p.stat().st_size for p in Path(dossier).iterdir()}
    return {"unites_legales": r["unites_legales"], "octets": sum(tailles.values())}


def _plancher(
    n: int, n_ul: int, formats: list[str] | tuple[str, ...], dossier: str
) -> dict[str, Any]:
    """Write random-string tables with the stock schemas' widths, chunk by chunk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from essq.generateur.schemas import COLONNES_ETABLISSEMENT, COLONNES_UNITE_LEGALE

    rng = np.random.default_rng(0)
    vocabulaire = pa.array([f"{v:09d}" for v in rng.integers(0, 10**9, 4096)])
    octets = 0
    for nom, colonnes, total in (
        ("et", COLONNES_ETABLISSEMENT, n),
        ("ul", COLONNES_UNITE_LEGALE, n_ul),
    ):
        schema = pa.schema([(c, pa.string()) for c in colonnes])
        chemin_pq = Path(dossier) / f"{nom}.parquet"
        chemin_csv = Path(dossier) / f"{nom}.csv"
        ecr_pq = (
            pq.ParquetWriter(chemin_pq, schema, compression="zstd")
            if "parquet" in formats
            else None
        )
        ecr_csv = pacsv.CSVWriter(chemin_csv, schema) if "csv" in formats else None
        fait = 0
        while fait < total:
            k = min(LOT, total - fait)
            table = pa.table(
                [vocabulaire.take(pa.array(rng.integers(0, 4096, k))) for _ in colonnes],
                schema=schema,
            )
            if ecr_pq:
                ecr_pq.write_table(table)
            if ecr_csv:
                ecr_csv.write_table(table)
            fait += k
        for e in (ecr_pq, ecr_csv):
            if e:
                e.close()
        octets += sum(p.stat().st_size for p in (chemin_pq, chemin_csv) if p.exists())
    return {"octets": octets}


PROGRAMME = """
import json, sys, time
sys.path.insert(0, {racine!r})
import bench.bench_generateur as b
from bench.mesure import pic_rss_ko
debut = time.perf_counter()
valeur = getattr(b, sys.argv[1])(*json.loads(sys.argv[2]))
print(json.dumps({{"secondes": time.perf_counter() - debut,
                  "pic_rss_mo": pic_rss_ko() / 1024,
                  "valeur": valeur}}))
"""


def mesurer(fonction: Any, *args: Any) -> dict[str, Any]:
    """Like bench.mesure.mesurer (fresh process, wall time, peak RSS) but a child that dies
    makes the benchmark fail instead of waiting forever on a queue."""
    programme = PROGRAMME.format(racine=str(Path(__file__).resolve().parents[1]))
    sortie = subprocess.run(
        [sys.executable, "-c", programme, fonction.__name__, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(sortie.stdout.strip().splitlines()[-1])


def _cas(n: int, formats: tuple[str, ...]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        gen = mesurer(_generer, n, formats, d)
    with tempfile.TemporaryDirectory() as d:
        plancher = mesurer(_plancher, n, gen["valeur"]["unites_legales"], formats, d)
    debit = n / gen["secondes"]
    debit_plancher = n / plancher["secondes"]
    resultat = {
        "etablissements": n,
        "unites_legales": gen["valeur"]["unites_legales"],
        "formats": list(formats),
        "secondes": round(gen["secondes"], 2),
        "lignes_par_seconde": round(debit),
        "pic_rss_mo": round(gen["pic_rss_mo"]),
        "octets_ecrits": gen["valeur"]["octets"],
        "plancher_secondes": round(plancher["secondes"], 2),
        "plancher_lignes_par_seconde": round(debit_plancher),
        "plancher_pic_rss_mo": round(plancher["pic_rss_mo"]),
        "ratio_au_plancher": round(gen["secondes"] / plancher["secondes"], 2),
    }
    print(
        f"{n:>12_} établissements [{'+'.join(formats)}] : {gen['secondes']:.1f} s, "
        f"{debit:_.0f} lignes/s, pic RSS {gen['pic_rss_mo']:.0f} Mo — plancher pyarrow "
        f"{plancher['secondes']:.1f} s ({debit_plancher:_.0f} lignes/s, {plancher['pic_rss_mo']:.0f} Mo), "
        f"ratio {resultat['ratio_au_plancher']}".replace("_", " "),
        flush=True,
    )
    return resultat


def main(args: list[str]) -> dict[str, Any]:
    debut = time.perf_counter()
    if "--complet" in args:
        cas = [_cas(42_000_000, ("parquet",))]
    else:
        cas = [_cas(1_000_000, ("csv", "parquet")), _cas(1_000_000, ("parquet",))]
    return {"cas": cas, "secondes_totales": round(time.perf_counter() - debut, 1)}


if __name__ == "__main__":
    main(sys.argv[1:])
