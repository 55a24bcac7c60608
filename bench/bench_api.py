"""API under load: p50/p95/p99 latencies, throughput and errors at 100 concurrent connections
for ``indicateurs``, ``localiser`` (one point) and directory searches, against a floor (the
liveness endpoint, which reads no data) measured in the same run.

Run: ``python -m bench api`` (or ``python bench/bench_api.py``). Options: ``--duree S`` seconds
per scenario (default 15; the issue's target run is ``--duree 120``), ``--connexions N``
(default 100), ``--workers N`` server processes (default 2), ``--home H`` to load an existing
warehouse (e.g. national scale) instead of the demo territory built through the real pipeline.

The server runs in its own processes (uvicorn, loopback only); the load client is an asyncio
httpx client in this process, on the same 2-core machine: it competes with the server for CPU,
so the figures are pessimistic. No wrk/locust is installed; when ``wrk`` is on the PATH it is
not used either, to keep one method across runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RACINE = Path(__file__).resolve().parents[1]


def _option(args: list[str], nom: str, defaut: str) -> str:
    for a in args:
        if a.startswith(nom + "="):
            return a.split("=", 1)[1]
    if nom in args:
        i = args.index(nom)
        if i + 1 < len(args):
            return args[i + 1]
    return defaut


def _requetes(home: Path, n: int = 2000) -> dict[str, list[str]]:
    """Random but reproducible request URLs for each scenario, from the warehouse itself."""
    from essq.observatoire import Entrepot

    rng = random.Random(2026)
    with Entrepot.ouvrir(home) as e:
        terr = [t for t in e.territoires() if t["niveau"] != "france"]
        pts = e.con.execute(
            "SELECT lon, lat FROM etablissements_ess WHERE lon IS NOT NULL USING SAMPLE 2000 ROWS"
        ).fetchall()
        familles = [
            r[0]
            for r in e.con.execute("SELECT DISTINCT famille_ess FROM etablissements_ess").fetchall()
        ]
    indicateurs = [
        f"/api/v1/territoires/{t['niveau']}/{t['code']}/indicateurs"
        + (f"?millesime={t['millesime']}" if t.get("millesime") else "")
        for t in (rng.choice(terr) for _ in range(n))
    ]
    localiser = []
    for _ in range(n):
        lon, lat = rng.choice(pts)
        localiser.append(
            f"/api/v1/qpv/localiser?lon={lon + rng.uniform(-0.01, 0.01):.6f}&lat={lat + rng.uniform(-0.01, 0.01):.6f}"
        )
    annuaire = []
    for _ in range(n):
        t = rng.choice([x for x in terr if x["niveau"] in ("commune", "epci", "qpv")])
        parts = [f"territoire={t['niveau']}:{t['code']}", "limite=50"]
        if rng.random() < 0.5:
            parts.append(f"famille={rng.choice(familles)}")
        if rng.random() < 0.3:
            parts.append("proche_qpv_m=300")
        parts.append(f"tri={rng.choice(['nom', 'effectif', 'siret'])}")
        annuaire.append("/api/v1/etablissements?" + "&".join(parts))
    return {
        "plancher": ["/api/v1/sante/vivant"] * n,
        "indicateurs": indicateurs,
        "localiser": localiser,
        "annuaire": annuaire,
    }


async def _charge(base: str, urls: list[str], connexions: int, duree: float) -> dict[str, Any]:
    import httpx

    latences: list[float] = []
    erreurs = 0
    statuts: dict[int, int] = {}
    fin = time.perf_counter() + duree
    limites = httpx.Limits(max_connections=connexions, max_keepalive_connections=connexions)
    async with httpx.AsyncClient(base_url=base, limits=limites, timeout=30.0) as client:

        async def ouvrier(k: int) -> None:
            nonlocal erreurs
            i = k
            while time.perf_counter() < fin:
                url = urls[i % len(urls)]
                i += connexions
                t0 = time.perf_counter()
                try:
                    r = await client.get(url)
                    await r.aread()
                    statuts[r.status_code] = statuts.get(r.status_code, 0) + 1
                    if r.status_code >= 400:
                        erreurs += 1
                except httpx.HTTPError:
                    erreurs += 1
                latences.append(time.perf_counter() - t0)

        debut = time.perf_counter()
        await asyncio.gather(*(ouvrier(k) for k in range(connexions)))
        ecoule = time.perf_counter() - debut
    latences.sort()

    def q(p: float) -> float:
        return round(1000 * latences[min(len(latences) - 1, int(p * len(latences)))], 1)

    return {
        "requetes": len(latences),
        "debit_req_s": round(len(latences) / ecoule, 1),
        "p50_ms": q(0.50),
        "p95_ms": q(0.95),
        "p99_ms": q(0.99),
        "moyenne_ms": round(1000 * statistics.fmean(latences), 1),
        "erreurs": erreurs,
        "statuts": statuts,
    }


def _pic_rss_mo(pid: int) -> float:
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except psutil.Error:
        return 0.0


def main(args: list[str]) -> dict[str, Any]:
    duree = float(_option(args, "--duree", "15"))
    connexions = int(_option(args, "--connexions", "100"))
    workers = int(_option(args, "--workers", "2"))
    home_opt = _option(args, "--home", "")
    with tempfile.TemporaryDirectory(prefix="essq-bench-api-") as tmp:
        if home_opt:
            home = Path(home_opt)
        else:
            print("Construction du territoire de démonstration…", flush=True)
            from essq.demo import construire_demo

            home = Path(tmp) / "home"
            construire_demo(home)
        urls = _requetes(home)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ, ESSQ_HOME=str(home))
        serveur = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "essq.web.application:application_depuis_environnement",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=RACINE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            import httpx

            debut = time.monotonic()
            while True:
                try:
                    if httpx.get(base + "/api/v1/sante", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() - debut > 60 or serveur.poll() is not None:
                    raise RuntimeError("le serveur n'a pas démarré")
                time.sleep(0.2)
            resultats: dict[str, Any] = {
                "connexions": connexions,
                "duree_s": duree,
                "workers": workers,
                "donnees": str(home) if home_opt else "territoire de démonstration",
            }
            pic = 0.0
            for nom, liste in urls.items():
                asyncio.run(_charge(base, liste[:200], min(connexions, 20), 1.0))  # warm-up
                res = asyncio.run(_charge(base, liste, connexions, duree))
                pic = max(pic, _pic_rss_mo(serveur.pid))
                resultats[nom] = res
                print(
                    f"{nom:12s} {res['debit_req_s']:8.1f} req/s  p50 {res['p50_ms']:7.1f} ms  "
                    f"p95 {res['p95_ms']:7.1f} ms  p99 {res['p99_ms']:7.1f} ms  erreurs {res['erreurs']}",
                    flush=True,
                )
            plancher = resultats["plancher"]["p95_ms"] or 1e-9
            for nom in ("indicateurs", "localiser", "annuaire"):
                resultats[nom]["p95_sur_plancher"] = round(resultats[nom]["p95_ms"] / plancher, 2)
            resultats["pic_rss_serveur_mo"] = round(pic, 1)
            print(
                "p95 / plancher : "
                + ", ".join(
                    f"{n} ×{resultats[n]['p95_sur_plancher']}"
                    for n in ("indicateurs", "localiser", "annuaire")
                )
                + f" ; mémoire du serveur (tous processus) {pic:.0f} Mo",
                flush=True,
            )
            return resultats
        finally:
            serveur.terminate()
            try:
                serveur.wait(timeout=20)
            except subprocess.TimeoutExpired:
                serveur.kill()


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2, ensure_ascii=False))
