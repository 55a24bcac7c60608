"""Helpers for benchmarks: wall time and peak RSS of a callable run in a child process."""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from typing import Any


def pic_rss_ko() -> int:
    """Peak RSS of this process image, in kB.

    ``VmHWM`` from /proc (Linux) rather than ``ru_maxrss``: Linux carries the RSS peak of the
    image replaced by ``exec`` into ``ru_maxrss``, so a child spawned by a big benchmark
    process would report the parent's size as its own peak.
    """
    try:
        with open("/proc/self/status") as f:
            for ligne in f:
                if ligne.startswith("VmHWM:"):
                    return int(ligne.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _executer(fonction: Callable[..., Any], args: tuple, file: Any) -> None:
    debut = time.perf_counter()
    valeur = fonction(*args)
    duree = time.perf_counter() - debut
    pic_ko = pic_rss_ko()
    file.put({"secondes": duree, "pic_rss_mo": pic_ko / 1024, "valeur": valeur})


def mesurer(fonction: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """Run ``fonction(*args)`` in a fresh process; return seconds, peak RSS (MB) and its value.

    A fresh process makes the peak memory that of this step alone.
    """
    ctx = mp.get_context("spawn")
    file = ctx.Queue()
    p = ctx.Process(target=_executer, args=(fonction, args, file))
    p.start()
    import queue

    while True:
        try:
            resultat = file.get(timeout=1.0)
            break
        except queue.Empty:
            if not p.is_alive():
                raise RuntimeError(
                    f"le processus de mesure s'est arrêté sans résultat (code {p.exitcode})"
                ) from None
    p.join()
    return resultat
