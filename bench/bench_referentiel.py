"""Référentiel: load time, index build and search latency (p50/p95) against a naive scan.

Run: ``python -m bench referentiel`` (or ``python bench/bench_referentiel.py``). Options:
``--echelle N`` replicates every entry N times (ids suffixed) to see how search scales;
``--complet`` is ``--echelle 10``.

The naive baseline, measured in the same run on the same queries, scans every entry at
query time: it tokenises and stems the entry's text and keeps entries holding every query
word (no index, no ranking weights).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mesure import mesurer

REQUETES_FIXES = [
    "coopérative",
    "cooperatives",
    "insertion",
    "insérer",
    "tiers-lieux",
    "régie de quartier",
    "épicerie solidaire",
    "mobilité",
    "numérique",
    "financement création entreprise",
    "marchés publics réservés",
    "SCIC collectivité",
    "DLA",
    "France Active",
    "garage solidaire",
    "jardins partagés alimentation",
    "emploi des jeunes",
    "économie circulaire réemploi",
    "Marseille",
    "Seine-Saint-Denis",
    "accompagnement émergence",
    "subventions",
    "bénévolat",
    "commande publique clause sociale",
    "pôle territorial de coopération économique",
    "quartiers prioritaires",
    "xyzzy introuvable",
]
FILTRES = [
    (None, {}),
    ("dispositifs", {"stades": "creation"}),
    (None, {"graine": "001"}),
    ("leviers", {"cadre": "seed004_6_leviers"}),
    ("initiatives", {}),
]


def _percentile(valeurs: list[float], p: float) -> float:
    ordonnees = sorted(valeurs)
    rang = max(0, min(len(ordonnees) - 1, round(p / 100 * (len(ordonnees) - 1))))
    return ordonnees[rang]


def _referentiel(echelle: int) -> tuple[Any, int]:
    """The shipped référentiel (only its valid entries if it does not validate yet)."""
    from essq.referentiel import ReferentielInvalide, charger
    from essq.referentiel.modele import Referentiel
    from essq.referentiel.validation import lire

    erreurs = 0
    try:
        ref = charger()
    except ReferentielInvalide as exc:
        erreurs = len(exc.problemes)
        par_collection: dict[str, list[Any]] = {}
        for lue in lire().entrees:
            par_collection.setdefault(lue.collection, []).append(lue.entree)
        ref = Referentiel(par_collection)
    if echelle > 1:
        copies: dict[str, list[Any]] = {}
        for nom in ref.collections:
            for entree in ref.collection(nom):
                copies.setdefault(nom, []).append(entree)
                for k in range(1, echelle):
                    copies[nom].append(entree.model_copy(update={"id": f"{entree.id}-copie{k}"}))
        ref = Referentiel(copies)
    return ref, erreurs


def _requetes(
    ref: Any, nombre: int = 60, graine: int = 7
) -> list[tuple[str, str | None, dict[str, str]]]:
    """Fixed domain queries, plus words picked from random titles, crossed with filters."""
    from essq.referentiel.texte import mots

    hasard = random.Random(graine)
    entrees = list(ref)
    libres = []
    for _ in range(max(0, nombre - len(REQUETES_FIXES))):
        titre = mots(hasard.choice(entrees).titre) or ["ess"]
        libres.append(" ".join(hasard.sample(titre, k=min(2, len(titre)))))
    requetes = []
    for rang, texte in enumerate(REQUETES_FIXES + libres):
        collection, filtres = FILTRES[rang % len(FILTRES)]
        requetes.append((texte, collection, filtres))
    return requetes


def _recherche_naive(ref: Any, texte: str, collection: str | None) -> list[str]:
    from essq.referentiel.recherche import _textes
    from essq.referentiel.texte import analyser

    voulus = [set(t) for t in analyser(texte)]
    trouves: list[tuple[int, str]] = []
    for entree in ref:
        if collection and ref.collection_de(entree.id) != collection:
            continue
        contenu = " ".join(_textes(entree.model_dump(mode="json"), {"sources", "id"}, set()))
        termes = {t for variantes in analyser(contenu) for t in variantes}
        if all(v & termes for v in voulus):
            trouves.append((sum(len(v & termes) for v in voulus), entree.id))
    trouves.sort(reverse=True)
    return [i for _, i in trouves[:20]]


def executer(echelle: int) -> dict[str, Any]:
    """Everything measured inside one fresh process (peak RSS is that of this run)."""
    from essq.referentiel import ReferentielInvalide, charger, vider_cache
    from essq.referentiel.texte import termes_du_mot

    # A fresh disk cache: the first load parses the YAML, the second (new process as far as
    # the in-memory cache goes) reads the disk cache, the third hits the in-memory cache.
    # An invalid référentiel raises; it is still measured below on its valid part.
    cache = tempfile.mkdtemp(prefix="essq-bench-cache-")
    os.environ["ESSQ_CACHE_REFERENTIEL"] = cache
    debut = time.perf_counter()
    with contextlib.suppress(ReferentielInvalide):
        charger()
    chargement_froid = time.perf_counter() - debut
    vider_cache()
    debut = time.perf_counter()
    with contextlib.suppress(ReferentielInvalide):
        charger()
    chargement_disque = time.perf_counter() - debut
    debut = time.perf_counter()
    with contextlib.suppress(ReferentielInvalide):
        charger()
    chargement_cache = time.perf_counter() - debut
    shutil.rmtree(cache, ignore_errors=True)

    ref, erreurs = _referentiel(echelle)
    vider_cache()
    termes_du_mot.cache_clear()
    debut = time.perf_counter()
    ref.index()
    construction = time.perf_counter() - debut

    requetes = _requetes(ref)
    for texte, collection, filtres in requetes:  # warm-up
        ref.chercher(texte, collection=collection, filtres=filtres)
    indexees: list[float] = []
    for _ in range(5):
        for texte, collection, filtres in requetes:
            t = time.perf_counter()
            ref.chercher(texte, collection=collection, filtres=filtres)
            indexees.append((time.perf_counter() - t) * 1000)
    naives: list[float] = []
    for texte, collection, _filtres in requetes:
        t = time.perf_counter()
        _recherche_naive(ref, texte, collection)
        naives.append((time.perf_counter() - t) * 1000)
    return {
        "entrees": len(ref),
        "erreurs_de_validation": erreurs,
        "echelle": echelle,
        "requetes": len(requetes),
        "chargement_froid_s": round(chargement_froid, 4),
        "chargement_cache_disque_s": round(chargement_disque, 4),
        "chargement_en_cache_ms": round(chargement_cache * 1000, 3),
        "construction_index_s": round(construction, 4),
        "recherche_p50_ms": round(statistics.median(indexees), 3),
        "recherche_p95_ms": round(_percentile(indexees, 95), 3),
        "recherche_max_ms": round(max(indexees), 3),
        "naive_p50_ms": round(statistics.median(naives), 3),
        "naive_p95_ms": round(_percentile(naives, 95), 3),
    }


def main(args: list[str]) -> dict[str, Any]:
    echelle = 10 if "--complet" in args else 1
    if "--echelle" in args:
        echelle = int(args[args.index("--echelle") + 1])
    mesure = mesurer(executer, echelle)
    r = mesure["valeur"]
    r["pic_rss_mo"] = round(mesure["pic_rss_mo"], 1)
    r["acceleration_p95"] = round(r["naive_p95_ms"] / max(r["recherche_p95_ms"], 1e-6), 1)
    r["objectif_p95_ms"] = 20
    r["objectif_atteint"] = r["recherche_p95_ms"] < 20
    if r["erreurs_de_validation"]:
        print(
            f"Attention : le référentiel a {r['erreurs_de_validation']} erreur(s) de validation ; "
            "mesure faite sur ses entrées valides."
        )
    print(
        f"Référentiel : {r['entrees']} entrées (échelle ×{echelle}), {r['requetes']} requêtes × 5\n"
        f"  chargement : lecture des YAML {r['chargement_froid_s'] * 1000:.0f} ms, depuis le cache "
        f"disque {r['chargement_cache_disque_s'] * 1000:.0f} ms, en mémoire "
        f"{r['chargement_en_cache_ms']:.2f} ms ; construction de l'index "
        f"{r['construction_index_s'] * 1000:.0f} ms\n"
        f"  recherche indexée : p50 {r['recherche_p50_ms']:.2f} ms, p95 {r['recherche_p95_ms']:.2f} ms, "
        f"max {r['recherche_max_ms']:.2f} ms (objectif p95 < 20 ms : "
        f"{'atteint' if r['objectif_atteint'] else 'NON atteint'})\n"
        f"  parcours naïf     : p50 {r['naive_p50_ms']:.2f} ms, p95 {r['naive_p95_ms']:.2f} ms "
        f"→ index ×{r['acceleration_p95']} plus rapide au p95\n"
        f"  pic de mémoire (RSS) : {r['pic_rss_mo']} Mo"
    )
    return r


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2, ensure_ascii=False))
