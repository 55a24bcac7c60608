"""The portraits of the demo territory rendered once per session from ``home_demo``
(tests/conftest.py: the demo built through the real pipeline by essq.demo.construire_demo)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def poppler() -> None:
    """Skips, saying why, where poppler-utils (pdftotext, pdftoppm) is not installed."""
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip(
            "poppler-utils absent (pdftotext, pdftoppm) : lancer scripts/installer-systeme.sh "
            "ou « apt-get install poppler-utils »"
        )


# One portrait of each territory type; the 2015 QPV that left the priority geography has no
# ESS establishment (empty portrait), the rural commune has no 2024 QPV.
TERRITOIRES = {
    "qpv": ("qpv:QN00001M", "2024"),
    "commune": ("commune:00001", "2024"),
    "epci": ("epci:200000001", "2024"),
    "departement": ("departement:00", "2024"),
    "region": ("region:00", "2024"),
    "qpv_vide": ("qpv:QP000005", "2015"),
    "commune_sans_qpv": ("commune:00004", "2024"),
}


# PDF rendering is the slow part: département and région portraits of the demo (one EPCI)
# are checked on their HTML, which comes from the same template.
AVEC_PDF = ("qpv", "commune", "epci", "qpv_vide", "commune_sans_qpv")


@pytest.fixture(scope="session")
def portraits(home_demo: Path) -> dict[str, dict[str, bytes]]:
    """{cas: {"html": bytes, "pdf": bytes (cases of AVEC_PDF)}} rendered through the public API."""
    from essq.rapports import portrait

    return {
        cas: {f: portrait(t, format=f, home=home_demo, millesime=m) for f in ("pdf", "html")}
        for cas, (t, m) in TERRITOIRES.items()
    }


@pytest.fixture(scope="session")
def territoires_demo() -> dict[str, tuple[str, str]]:
    """{cas: (territoire, millésime)} of the portraits rendered once per session."""
    return TERRITOIRES


@pytest.fixture()
def lire_pdf(poppler: None, tmp_path: Path):  # noqa: ANN201
    """pdftotext of PDF bytes, every kind of space folded to one ordinary space."""

    def lire(octets: bytes) -> str:
        return texte_pdf(octets, tmp_path)

    return lire


def texte_pdf(octets: bytes, dossier: Path) -> str:
    f = dossier / "p.pdf"
    f.write_bytes(octets)
    texte = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(f), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(texte.replace("\u00a0", " ").replace("\u202f", " ").split())
