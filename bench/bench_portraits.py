"""Benchmark of the Portrait ESS: one QPV portrait in PDF, and every QPV of a 20-QPV EPCI.

Data: the real 2024 QPV contours and COG of ../shared/data (imported once, cached in
``$ESSQ_BENCH_DONNEES/portraits``, default /tmp/essq-bench/portraits) and a synthetic SIRENE stock placed on those
contours (``essq.generateur.generer_stock``), built into a warehouse once. The EPCI is the
one whose number of 2024 QPV is closest to 20.

Figures (each step in a fresh process, peak RSS measured there):
- floor: WeasyPrint rendering of a one-page HTML document (import + fonts + PDF), same run;
- one QPV portrait, cold (process start, imports, warehouse and référentiel opening) and warm
  (second portrait in the same process, as the web application serves it);
- all QPV of the EPCI into a folder (``portraits_qpv``), with seconds per portrait.
Targets: QPV portrait < 3 s, 20 QPV < 30 s (2-core machine).
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any

from bench.bench_construire import CACHE_RACINE, DATE, preparer_stock, preparer_territoires
from bench.mesure import mesurer

CACHE = CACHE_RACINE / "portraits"
N_ETABLISSEMENTS = 200_000
N_COMPLET = 1_000_000


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def preparer_entrepot(n: int) -> Path:
    """ESSQ_HOME with the national 2024 QPV, the COG and a built warehouse of ``n`` establishments."""
    home = CACHE / f"home-portraits-{n}"
    if (home / "entrepot" / "essq.duckdb").is_file():
        return home
    territoires = preparer_territoires(CACHE)
    tmp = home.with_name(home.name + ".partiel")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copytree(territoires / "territoires", tmp / "territoires")
    stock = preparer_stock(n, CACHE)
    print(f"  construction de l'entrepôt ({n:_} établissements, mis en cache)…", flush=True)
    from essq.observatoire import construire

    construire(
        stock / "StockEtablissement_utf8.parquet",
        stock / "StockUniteLegale_utf8.parquet",
        date_stock=DATE,
        home=tmp,
        afficher=False,
    )
    shutil.rmtree(home, ignore_errors=True)
    os.replace(tmp, home)
    return home


def choisir_epci(home: Path, cible: int = 20) -> tuple[str, list[str]]:
    from essq.rapports.donnees import Sources
    from essq.rapports.portraits import qpv_du_territoire

    with Sources.ouvrir(home) as src:
        epcis = {c["epci"] for c in src.communes if c["epci"]}
        comptes: dict[str, set[str]] = {}
        par_commune: dict[str, set[str]] = {}
        for q in src.qpv:
            if q["millesime"] == "2024":
                for c in q["communes"] or []:
                    par_commune.setdefault(c, set()).add(q["code_qp"])
        for c in src.communes:
            if c["epci"] in epcis:
                comptes.setdefault(c["epci"], set()).update(par_commune.get(c["code"], set()))
        epci = min(comptes, key=lambda e: (abs(len(comptes[e]) - cible), e))
        return epci, qpv_du_territoire(src, f"epci:{epci}")


# --- measured steps (fresh processes) ---------------------------------------------------------
def etape_plancher() -> dict[str, Any]:
    from weasyprint import HTML

    octets = HTML(string="<html><body><h1>Plancher</h1><p>Une page.</p></body></html>").write_pdf()
    return {"octets": len(octets)}


def etape_portrait(home: str, territoire: str) -> dict[str, Any]:
    from essq.rapports import portrait

    octets = portrait(territoire, home=home)
    debut, cpu = time.perf_counter(), _cpu()  # CPU so far: imports + first (cold) portrait
    octets2 = portrait(territoire, home=home)
    return {
        "octets": len(octets),
        "froid_cpu_secondes": cpu,
        "chaud_secondes": time.perf_counter() - debut,
        "chaud_cpu_secondes": _cpu() - cpu,
        "octets_chaud": len(octets2),
    }


def etape_lot(home: str, territoire: str, dossier: str) -> dict[str, Any]:
    from essq.rapports import portraits_qpv

    cpu = _cpu()
    fichiers = portraits_qpv(territoire, dossier, home=home)
    return {"fichiers": len(fichiers), "cpu_secondes": _cpu() - cpu}


def main(args: list[str]) -> dict[str, Any]:
    n = N_COMPLET if "--complet" in args else N_ETABLISSEMENTS
    home = preparer_entrepot(n)
    epci, codes = choisir_epci(home)
    print(
        f"Entrepôt : {n:_} établissements synthétiques, QPV 2024 et COG réels ; EPCI {epci} ({len(codes)} QPV)"
    )
    plancher = mesurer(etape_plancher)
    print(f"Charge de la machine (1 min) : {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs")
    print(
        f"Plancher WeasyPrint (1 page, processus neuf) : {plancher['secondes']:.2f} s, pic {plancher['pic_rss_mo']:.0f} Mo"
    )
    qpv = f"qpv:{codes[0]}"
    un = mesurer(etape_portrait, str(home), qpv)
    v = un["valeur"]
    print(
        f"Portrait {qpv} (PDF, {v['octets'] // 1024} Ko) : à froid {un['secondes'] - v['chaud_secondes']:.2f} s "
        f"(processus neuf, imports compris, CPU {v['froid_cpu_secondes']:.2f} s) ; à chaud {v['chaud_secondes']:.2f} s "
        f"(CPU {v['chaud_cpu_secondes']:.2f} s) ; pic {un['pic_rss_mo']:.0f} Mo ; cible < 3 s"
    )
    dossier = CACHE / "portraits-lot"
    lot = mesurer(etape_lot, str(home), f"epci:{epci}", str(dossier))
    nb = lot["valeur"]["fichiers"]
    print(
        f"Tous les QPV de l'EPCI {epci} : {nb} portraits en {lot['secondes']:.1f} s "
        f"({lot['secondes'] / max(nb, 1):.2f} s par portrait, CPU {lot['valeur']['cpu_secondes']:.1f} s), "
        f"pic {lot['pic_rss_mo']:.0f} Mo ; cible < 30 s pour 20 QPV ; "
        f"rapport au plancher : {lot['secondes'] / max(nb, 1) / plancher['secondes']:.1f}×"
    )
    shutil.rmtree(dossier, ignore_errors=True)
    return {
        "etablissements": n,
        "epci": epci,
        "qpv_epci": len(codes),
        "plancher_weasyprint_s": plancher["secondes"],
        "portrait_qpv_total_processus_s": un["secondes"],
        "portrait_qpv_froid_cpu_s": v["froid_cpu_secondes"],
        "portrait_qpv_chaud_s": v["chaud_secondes"],
        "portrait_qpv_chaud_cpu_s": v["chaud_cpu_secondes"],
        "lot_cpu_s": lot["valeur"]["cpu_secondes"],
        "charge_machine_1min": os.getloadavg()[0],
        "portrait_qpv_pic_mo": un["pic_rss_mo"],
        "lot_s": lot["secondes"],
        "lot_par_portrait_s": lot["secondes"] / max(nb, 1),
        "lot_pic_mo": lot["pic_rss_mo"],
    }
