"""Atomic writes: build aside, swap in only on success.

A failed or interrupted command never leaves a half-written file or folder where a
previous good one stood.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def ecriture_atomique(destination: Path | str, *, suffixe: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``destination``; rename it over ``destination`` on success.

    The temporary file lives in the same folder (same file system), so ``os.replace`` is atomic.
    On any exception the temporary file is removed and ``destination`` is untouched.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, nom = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=suffixe or ".partiel", dir=destination.parent
    )
    os.close(fd)
    tmp = Path(nom)
    tmp.unlink()  # let the writer create it (some libraries refuse an existing file)
    try:
        yield tmp
        if not tmp.exists():
            raise RuntimeError(f"aucun fichier n'a été écrit pour {destination}")
        os.replace(tmp, destination)
    finally:
        if tmp.exists():
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink()


@contextlib.contextmanager
def dossier_atomique(destination: Path | str) -> Iterator[Path]:
    """Yield a temporary folder next to ``destination``; swap it in on success.

    The previous folder, if any, is moved aside then deleted only once the new one is in place.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(
        tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".partiel", dir=destination.parent)
    )
    try:
        yield tmp
        ancien = None
        if destination.exists():
            ancien = destination.with_name(f".{destination.name}.ancien.{os.getpid()}")
            os.replace(destination, ancien)
        os.replace(tmp, destination)
        if ancien is not None:
            shutil.rmtree(ancien, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def sha256(chemin: Path | str, *, taille_bloc: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in blocks (bounded memory)."""
    h = hashlib.sha256()
    with open(chemin, "rb") as f:
        while bloc := f.read(taille_bloc):
            h.update(bloc)
    return h.hexdigest()
