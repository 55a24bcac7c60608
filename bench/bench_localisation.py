"""Batch QPV localisation: grid index vs a plain shapely STRtree baseline, same run.

Imports the real QPV 2024 contours of ../shared/data (1 584 QPV, métropole + outre-mer) into a
temporary ESSQ_HOME, then localises N Lambert-93 points (default 1 000 000: 20 % inside a QPV,
40 % within a few km of one, 40 % anywhere in métropole's bounding box).

Figures: import and load times, points per second without and with the distance to the
nearest QPV, the same for the STRtree baseline (containment on every point; nearest on a
sample, its rate extrapolated), single-point latency, agreement with the baseline, peak RSS.

Usage: ``python -m bench localisation [--points=N] [--complet]`` (``--complet``: 5 M points).
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.mesure import mesurer

RACINE = Path(__file__).resolve().parents[1]
DONNEES = Path(os.environ.get("ESSQ_DONNEES_PARTAGEES", RACINE.parent / "shared" / "data"))


def _points(home: Path, n: int, graine: int = 2024) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.parquet as pq
    import shapely

    t = pq.ParquetFile(home / "territoires" / "qpv.parquet").read()
    metro = [i for i, e in enumerate(t.column("epsg_legal").to_pylist()) if e == 2154]
    geoms = shapely.from_wkb(
        np.array(t.column("geometrie_legale").to_pylist(), dtype=object)[metro]
    )
    rng = np.random.default_rng(graine)
    n_dedans, n_pres = n // 5, 2 * n // 5
    n_loin = n - n_dedans - n_pres
    # inside: rejection sampling in the bounding boxes of random QPV
    bornes = shapely.bounds(geoms)
    xs, ys = [], []
    reste = n_dedans
    while reste > 0:
        k = rng.integers(0, len(geoms), reste * 3)
        x = rng.uniform(bornes[k, 0], bornes[k, 2])
        y = rng.uniform(bornes[k, 1], bornes[k, 3])
        ok = shapely.contains_xy(geoms[k], x, y)
        xs.append(x[ok][:reste])
        ys.append(y[ok][:reste])
        reste -= int(min(ok.sum(), reste))
    centres = shapely.centroid(geoms)
    k = rng.integers(0, len(geoms), n_pres)
    xs.append(shapely.get_x(centres)[k] + rng.normal(0, 2000, n_pres))
    ys.append(shapely.get_y(centres)[k] + rng.normal(0, 2000, n_pres))
    xs.append(rng.uniform(100_000, 1_250_000, n_loin))
    ys.append(rng.uniform(6_050_000, 7_120_000, n_loin))
    x, y = np.concatenate(xs), np.concatenate(ys)
    ordre = rng.permutation(n)
    return x[ordre], y[ordre]


def _moteur(home: str, n: int) -> dict[str, Any]:
    import pyarrow as pa

    from essq.territoires import Territoires

    debut = time.perf_counter()
    pa.array(["x"])  # pyarrow imports pandas on first use: measured apart
    premier_pyarrow = time.perf_counter() - debut
    debut = time.perf_counter()
    t = Territoires.charger(home)
    chargement = time.perf_counter() - debut
    x, y = _points(Path(home), n)
    debut, cpu = time.perf_counter(), time.process_time()
    sans = t.localiser_lot(x, y, epsg=2154, avec_distance=False)
    s_sans, c_sans = time.perf_counter() - debut, time.process_time() - cpu
    debut, cpu = time.perf_counter(), time.process_time()
    avec = t.localiser_lot(x, y, epsg=2154, avec_distance=True)
    s_avec, c_avec = time.perf_counter() - debut, time.process_time() - cpu
    # single point: 2 000 calls after warm-up
    durees = []
    for i in range(2000):
        a, b = x[i : i + 1], y[i : i + 1]
        d0 = time.perf_counter()
        t.localiser_lot(a, b, epsg=2154)
        durees.append(time.perf_counter() - d0)
    durees_json = []
    lon, lat = (
        avec.column("lon").to_numpy(zero_copy_only=False),
        avec.column("lat").to_numpy(zero_copy_only=False),
    )
    for i in range(300):
        d0 = time.perf_counter()
        t.localiser(float(lon[i]), float(lat[i]))
        durees_json.append(time.perf_counter() - d0)
    codes = np.array(sans.column("qpv_2024").to_pylist(), dtype=object)
    return {
        "chargement_s": chargement,
        "premier_appel_pyarrow_s": premier_pyarrow,
        "lot_sans_distance_s": s_sans,
        "lot_avec_distance_s": s_avec,
        "lot_sans_distance_cpu_s": c_sans,
        "lot_avec_distance_cpu_s": c_avec,
        "point_median_ms": statistics.median(durees) * 1000,
        "point_p99_ms": float(np.percentile(durees, 99)) * 1000,
        "localiser_json_median_ms": statistics.median(durees_json) * 1000,
        "dans_qpv": int((codes != None).sum()),  # noqa: E711 - numpy elementwise
        "codes_echantillon": codes[:200_000].tolist(),
        "distances_echantillon": avec.column("distance_qpv_2024_m")
        .to_numpy(zero_copy_only=False)[:50_000]
        .tolist(),
    }


def _reference(home: str, n: int, n_distance: int) -> dict[str, Any]:
    """Plain STRtree: points → query(intersects) → smallest code; query_nearest for distance."""
    import pyarrow.parquet as pq
    import shapely

    t = pq.ParquetFile(Path(home) / "territoires" / "qpv.parquet").read()
    metro = [i for i, e in enumerate(t.column("epsg_legal").to_pylist()) if e == 2154]
    codes = np.array(t.column("code_qp").to_pylist(), dtype=object)[metro]
    geoms = shapely.from_wkb(
        np.array(t.column("geometrie_legale").to_pylist(), dtype=object)[metro]
    )
    ordre = np.argsort(codes)
    codes, geoms = codes[ordre], geoms[ordre]
    arbre = shapely.STRtree(geoms)
    x, y = _points(Path(home), n)
    debut, cpu = time.perf_counter(), time.process_time()
    pts = shapely.points(x, y)
    ip, ig = arbre.query(pts, predicate="intersects")
    meilleur = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(meilleur, ip, ig)
    s_contenant, c_contenant = time.perf_counter() - debut, time.process_time() - cpu
    sous = pts[:n_distance]
    debut, cpu = time.perf_counter(), time.process_time()
    (jp, jg), d = arbre.query_nearest(sous, return_distance=True, all_matches=False)
    s_distance, c_distance = time.perf_counter() - debut, time.process_time() - cpu
    dist = np.full(n_distance, np.nan)
    dist[jp] = d
    dedans = meilleur != np.iinfo(np.int64).max
    trouves = np.where(dedans, codes[np.where(dedans, meilleur, 0)], None)
    return {
        "contenant_s": s_contenant,
        "plus_proche_s_echantillon": s_distance,
        "contenant_cpu_s": c_contenant,
        "plus_proche_cpu_s_echantillon": c_distance,
        "codes_echantillon": trouves[:200_000].tolist(),
        "distances_echantillon": dist[:50_000].tolist(),
    }


def _importer(home: str) -> dict[str, Any]:
    from essq.territoires.qpv import importer_qpv

    q = DONNEES / "qpv"
    debut = time.perf_counter()
    importer_qpv(
        [q / "qpv2024_metropole_wgs84_4dp.geojson", q / "qpv2024_outremer_wgs84_4dp.geojson"],
        "2024",
        home=home,
    )
    return {"import_s": time.perf_counter() - debut}


def main(args: list[str]) -> dict[str, Any]:
    n = 5_000_000 if "--complet" in args else 1_000_000
    for a in args:
        if a.startswith("--points="):
            n = int(a.split("=", 1)[1])
    if not (DONNEES / "qpv").is_dir():
        print(f"données absentes ({DONNEES}) : benchmark ignoré")
        return {"ignore": f"données absentes : {DONNEES}"}
    n_distance = min(n, 100_000)
    with tempfile.TemporaryDirectory(prefix="essq-bench-") as home:
        imp = mesurer(_importer, home)
        moteur = mesurer(_moteur, home, n)
        ref = mesurer(_reference, home, n, n_distance)
    m, r = moteur["valeur"], ref["valeur"]
    accord = sum(
        a == b for a, b in zip(m["codes_echantillon"], r["codes_echantillon"], strict=True)
    )
    dm = np.array(m["distances_echantillon"][:n_distance])
    dr = np.array(r["distances_echantillon"][: len(dm)])
    ecart_distance = float(np.nanmax(np.abs(dm - dr))) if len(dm) else 0.0
    pps_sans = n / m["lot_sans_distance_s"]
    pps_avec = n / m["lot_avec_distance_s"]
    ref_sans = n / r["contenant_s"]
    ref_avec = 1 / (r["contenant_s"] / n + r["plus_proche_s_echantillon"] / n_distance)
    cpu_sans = n / m["lot_sans_distance_cpu_s"]
    cpu_avec = n / m["lot_avec_distance_cpu_s"]
    cpu_ref_sans = n / r["contenant_cpu_s"]
    cpu_ref_avec = 1 / (r["contenant_cpu_s"] / n + r["plus_proche_cpu_s_echantillon"] / n_distance)
    resultat = {
        "points": n,
        "qpv": 1584,
        "import_s": round(imp["valeur"]["import_s"], 2),
        "chargement_s": round(m["chargement_s"], 3),
        "premier_appel_pyarrow_s": round(m["premier_appel_pyarrow_s"], 3),
        "points_par_s_sans_distance": round(pps_sans),
        "points_par_s_avec_distance": round(pps_avec),
        "reference_strtree_points_par_s_sans_distance": round(ref_sans),
        "reference_strtree_points_par_s_avec_distance_extrapole": round(ref_avec),
        "ratio_sans_distance": round(pps_sans / ref_sans, 2),
        "ratio_avec_distance": round(pps_avec / ref_avec, 2),
        "points_par_s_cpu_sans_distance": round(cpu_sans),
        "points_par_s_cpu_avec_distance": round(cpu_avec),
        "reference_points_par_s_cpu_sans_distance": round(cpu_ref_sans),
        "reference_points_par_s_cpu_avec_distance": round(cpu_ref_avec),
        "plancher_sans_distance": 1_000_000,
        "plancher_avec_distance": 200_000,
        "point_median_ms": round(m["point_median_ms"], 3),
        "point_p99_ms": round(m["point_p99_ms"], 3),
        "localiser_json_median_ms": round(m["localiser_json_median_ms"], 3),
        "dans_un_qpv": m["dans_qpv"],
        "accord_avec_reference": f"{accord}/{len(m['codes_echantillon'])}",
        "ecart_max_distance_m": ecart_distance,
        "pic_rss_mo_import": round(imp["pic_rss_mo"]),
        "pic_rss_mo_moteur": round(moteur["pic_rss_mo"]),
        "pic_rss_mo_reference": round(ref["pic_rss_mo"]),
        "charge_machine": os.getloadavg()[0],
        "cpu": os.cpu_count(),
        "pic_rss_mo_parent": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(f"Localisation de {n:,} points Lambert-93 parmi 1 584 QPV 2024".replace(",", " "))
    print(
        f"  import des contours : {resultat['import_s']} s ; chargement : {resultat['chargement_s']} s"
    )
    print(
        f"  sans distance : {resultat['points_par_s_sans_distance']:,} points/s "
        f"(référence STRtree {resultat['reference_strtree_points_par_s_sans_distance']:,}/s, "
        f"×{resultat['ratio_sans_distance']} ; plancher 1 000 000/s)".replace(",", " ")
    )
    print(
        f"  avec distance : {resultat['points_par_s_avec_distance']:,} points/s "
        f"(référence STRtree {resultat['reference_strtree_points_par_s_avec_distance_extrapole']:,}/s, "
        f"×{resultat['ratio_avec_distance']} ; plancher 200 000/s)".replace(",", " ")
    )
    print(
        "  par seconde de CPU (indépendant de la charge de la machine) : "
        f"sans distance {resultat['points_par_s_cpu_sans_distance']} "
        f"(référence {resultat['reference_points_par_s_cpu_sans_distance']}), "
        f"avec distance {resultat['points_par_s_cpu_avec_distance']} "
        f"(référence {resultat['reference_points_par_s_cpu_avec_distance']})"
    )
    print(
        f"  un point : médiane {resultat['point_median_ms']} ms, p99 {resultat['point_p99_ms']} ms ; "
        f"localiser() complet : {resultat['localiser_json_median_ms']} ms"
    )
    print(
        f"  accord avec la référence : {resultat['accord_avec_reference']} ; "
        f"écart max de distance : {ecart_distance:.6f} m"
    )
    print(
        f"  pic RSS : moteur {resultat['pic_rss_mo_moteur']} Mo, référence {resultat['pic_rss_mo_reference']} Mo, "
        f"import {resultat['pic_rss_mo_import']} Mo ; charge machine {resultat['charge_machine']:.1f}"
    )
    return resultat


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
