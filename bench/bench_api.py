"""API under load: p50/p95/p99 latencies, throughput and errors at 100 concurrent connections
for ``indicateurs``, ``localiser`` (one point) and directory searches, against a floor (the
liveness endpoint, which reads no data) measured in the same run.

Run: ``python -m bench api`` (or ``python bench/bench_api.py``). Options: ``--duree S`` seconds
per scenario (default 15; the issue's target run is ``--duree 120``), ``--connexions N``
(default 100), ``--workers N`` server processes (default 2), ``--home H`` to load an existing
warehouse (e.g. national scale) instead of the demo territory built through the real pipeline,
``--scenarios a,b`` to run some scenarios only (the floor always runs). Directory searches are
drawn among the communes, EPCI and QPV that have active ESS establishments.

The load tool is wrk (Debian package ``wrk``, installed by ``make bench`` through
``scripts/installer-systeme.sh --bench``); the bench refuses to run, in French and with a
non-zero exit, when it is missing. wrk runs with one thread (``-t 1``): a C event loop keeps
100 connections busy with a few percent of one core, leaving the rest of the 2 cores to the
server processes (uvicorn, loopback only) — the client no longer limits the figures. A Lua
script written by the bench into a temporary directory cycles through each scenario's URL list
(random but reproducible, drawn from the warehouse itself), counts every non-2xx status as an
error (``response()`` hook) and prints its figures as JSON (``done()``). Requests slower than
``--timeout`` (10 s) count as errors (timeouts).

Reported per scenario: requests, req/s, p50/p95/p99 (wrk's latency percentiles), errors
(connect, read, write, timeout, non-2xx), the server's CPU seconds per request, and the load
average before it; for the run, the peak RSS of all server processes (sum of each process's
VmHWM) and the load average at start.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from essq.web.serveur import BOUCLE, PROTOCOLE_HTTP  # noqa: E402 - served as `essq servir` does

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
        # directory searches on territories that have active ESS establishments (an empty
        # territory answers after counting, which would flatter the figures)
        peuples = {
            (niveau, code)
            for niveau, colonne in (("commune", "commune"), ("epci", "epci"), ("qpv", "qpv_2024"))
            if colonne in {r[0] for r in e.con.execute("DESCRIBE etablissements_ess").fetchall()}
            for (code,) in e.con.execute(
                f"SELECT DISTINCT {colonne} FROM etablissements_ess "
                f"WHERE etat = 'A' AND {colonne} IS NOT NULL"
            ).fetchall()
        }
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
    avec_ess = [x for x in terr if (x["niveau"], x["code"]) in peuples]
    annuaire = []
    for _ in range(n):
        t = rng.choice(avec_ess)
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


LUA = r"""
-- Written by bench/bench_api.py: cycles through the URLs of one scenario, counts non-2xx.
local fichier = "%(fichier)s"
local fils = {}

function setup(thread)
  thread:set("rang", #fils)
  table.insert(fils, thread)
end

function init(args)
  requetes = {}
  for ligne in io.lines(fichier) do
    requetes[#requetes + 1] = wrk.format("GET", ligne)
  end
  i = rang
  non_2xx = 0
end

function request()
  i = i + 1
  return requetes[(i %% #requetes) + 1]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(fils) do
    n = n + t:get("non_2xx")
  end
  local e = summary.errors
  io.write(string.format(
    "ESSQ_WRK {\"requetes\":%%d,\"duree_us\":%%d,\"p50_us\":%%d,\"p95_us\":%%d," ..
    "\"p99_us\":%%d,\"moyenne_us\":%%.1f,\"max_us\":%%d,\"connexion\":%%d,\"lecture\":%%d," ..
    "\"ecriture\":%%d,\"delai\":%%d,\"non_2xx\":%%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, e.connect, e.read, e.write, e.timeout, n))
end
"""
WRK_FILS = 1  # one client thread: enough for 100 connections, the rest of the CPU serves
WRK_DELAI = "10s"


def _wrk() -> str:
    """Path of wrk, or a French error explaining how to install it (no silent fallback)."""
    chemin = shutil.which("wrk")
    if chemin is None:
        raise SystemExit(
            "Outil de charge wrk introuvable : le banc d'essai de l'API en a besoin. "
            "Correctif : lancer « make bench » (qui l'installe via "
            "scripts/installer-systeme.sh --bench) ou « apt-get install wrk »."
        )
    return chemin


def _charge(
    wrk: str, base: str, urls: list[str], connexions: int, duree: float, dossier: Path, nom: str
) -> dict[str, Any]:
    """One wrk run over ``urls``; its figures (latencies in ms)."""
    liste = dossier / f"{nom}.txt"
    liste.write_text("\n".join(urls) + "\n")
    script = dossier / f"{nom}.lua"
    script.write_text(LUA % {"fichier": str(liste).replace("\\", "/")})
    commande = [
        wrk,
        "-t",
        str(min(WRK_FILS, connexions)),
        "-c",
        str(connexions),
        "-d",
        f"{max(1, round(duree))}s",
        "--timeout",
        WRK_DELAI,
        "-s",
        str(script),
        base,
    ]
    sortie = subprocess.run(commande, capture_output=True, text=True, check=False)
    ligne = next(
        (li for li in sortie.stdout.splitlines() if li.startswith("ESSQ_WRK ")),
        None,
    )
    if sortie.returncode != 0 or ligne is None:
        raise RuntimeError(
            f"wrk a échoué (code {sortie.returncode}) : {(sortie.stderr or sortie.stdout)[-500:]}"
        )
    brut = json.loads(ligne.split(" ", 1)[1])
    erreurs = {k: brut[k] for k in ("connexion", "lecture", "ecriture", "delai", "non_2xx")}
    return {
        "requetes": brut["requetes"],
        "debit_req_s": round(brut["requetes"] / (brut["duree_us"] / 1e6), 1),
        "p50_ms": round(brut["p50_us"] / 1000, 1),
        "p95_ms": round(brut["p95_us"] / 1000, 1),
        "p99_ms": round(brut["p99_us"] / 1000, 1),
        "moyenne_ms": round(brut["moyenne_us"] / 1000, 1),
        "max_ms": round(brut["max_us"] / 1000, 1),
        "erreurs": sum(erreurs.values()),
        "detail_erreurs": erreurs,
    }


def _processus(pid: int) -> list[Any]:
    import psutil

    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def _pic_rss_mo(pid: int) -> float:
    """Sum of every server process's peak resident memory (VmHWM), in MB."""
    total_ko = 0
    for p in _processus(pid):
        try:
            for ligne in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if ligne.startswith("VmHWM:"):
                    total_ko += int(ligne.split()[1])
        except OSError:
            pass
    return total_ko / 1024


def _cpu_serveur_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by every server process."""
    import psutil

    total = 0.0
    for p in _processus(pid):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _attendre_repos(pid: int, limite_s: float = 180.0) -> None:
    """Wait until the server's processes stop using CPU: each worker loads its in-memory
    indexes at start-up, and the first one to answer the health check may not be the last."""
    debut = time.monotonic()
    calmes = 0
    avant = _cpu_serveur_s(pid)
    while calmes < 2 and time.monotonic() - debut < limite_s:
        time.sleep(0.5)
        maintenant = _cpu_serveur_s(pid)
        calmes = calmes + 1 if maintenant - avant < 0.05 else 0
        avant = maintenant


def _charge_machine() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(args: list[str]) -> dict[str, Any]:
    duree = float(_option(args, "--duree", "15"))
    connexions = int(_option(args, "--connexions", "100"))
    workers = int(_option(args, "--workers", "2"))
    home_opt = _option(args, "--home", "")
    wrk = _wrk()
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
        charge_debut = _charge_machine()
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
                "--loop",
                BOUCLE,
                "--http",
                PROTOCOLE_HTTP,
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
            _attendre_repos(serveur.pid)  # every worker has finished loading (indexes)
            resultats: dict[str, Any] = {
                "outil": f"wrk -t {WRK_FILS} -c {connexions} --timeout {WRK_DELAI}",
                "connexions": connexions,
                "duree_s": duree,
                "workers": workers,
                "donnees": str(home) if home_opt else "territoire de démonstration",
                "charge_machine_debut": charge_debut,
            }
            dossier = Path(tmp)
            choisis = _option(args, "--scenarios", ",".join(urls)).split(",")
            for nom, liste in ((k, v) for k, v in urls.items() if k in choisis or k == "plancher"):
                _charge(wrk, base, liste[:200], min(connexions, 20), 2, dossier, nom)  # warm-up
                charge = _charge_machine()
                cpu0 = _cpu_serveur_s(serveur.pid)
                client0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                res = _charge(wrk, base, liste, connexions, duree, dossier, nom)
                client1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = _cpu_serveur_s(serveur.pid) - cpu0
                res["cpu_serveur_ms_par_requete"] = round(1000 * cpu / max(1, res["requetes"]), 2)
                res["cpu_client_s"] = round(
                    client1.ru_utime + client1.ru_stime - client0.ru_utime - client0.ru_stime, 1
                )
                res["charge_machine_avant"] = charge
                resultats[nom] = res
                print(
                    f"{nom:12s} {res['debit_req_s']:8.1f} req/s  p50 {res['p50_ms']:7.1f} ms  "
                    f"p95 {res['p95_ms']:7.1f} ms  p99 {res['p99_ms']:7.1f} ms  "
                    f"erreurs {res['erreurs']}  CPU serveur {res['cpu_serveur_ms_par_requete']} "
                    f"ms/req  (charge avant : {charge})",
                    flush=True,
                )
            pic = _pic_rss_mo(serveur.pid)
            plancher = resultats["plancher"]["p95_ms"] or 1e-9
            mesures = [n for n in ("indicateurs", "localiser", "annuaire") if n in resultats]
            for nom in mesures:
                resultats[nom]["p95_sur_plancher"] = round(resultats[nom]["p95_ms"] / plancher, 2)
            resultats["pic_rss_serveur_mo"] = round(pic, 1)
            print(
                "p95 / plancher : "
                + ", ".join(f"{n} ×{resultats[n]['p95_sur_plancher']}" for n in mesures)
                + f" ; pic mémoire du serveur (somme des processus) {pic:.0f} Mo"
                + f" ; charge au départ {charge_debut}",
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
