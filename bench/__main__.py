"""Run every benchmark module ``bench/bench_*.py`` (or those named on the command line).

Usage: ``python -m bench [NOM…] [OPTIONS…]``, e.g. ``python -m bench api --home H --duree 120``.

Each module exposes ``main(args: list[str]) -> dict`` and prints its own report; this runner
collects the returned figures into ``bench/resultats/<date>.json``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
import sys
from pathlib import Path

import bench


def main(argv: list[str]) -> int:
    # Leading words name the benchmarks; everything from the first option on goes to each
    # benchmark untouched (options may take values: ``--home DOSSIER``, ``--duree 120``).
    premier_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    noms, options = argv[:premier_option], argv[premier_option:]
    modules = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    if noms:
        modules = [m for m in modules if any(n in m for n in noms)]
    resultats: dict[str, object] = {}
    for nom in modules:
        print(f"\n=== {nom} ===", flush=True)
        module = importlib.import_module(f"bench.{nom}")
        resultats[nom] = module.main(options)
    dossier = Path(__file__).parent / "resultats"
    dossier.mkdir(exist_ok=True)
    sortie = dossier / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    sortie.write_text(json.dumps(resultats, indent=2, ensure_ascii=False, default=str))
    print(f"\nRésultats écrits dans {sortie}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
