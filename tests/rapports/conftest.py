"""The demo territory's warehouse built once per session through the real pipeline
(generated official files → territoires imports → observatoire build for each stock date),
and the portraits rendered once from it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def construire_demo(racine: Path) -> Path:
    from essq.generateur.demo import generer_demo
    from essq.observatoire import construire
    from essq.territoires import cog, qpv, zonages

    donnees, home = racine / "demo", racine / "home"
    generer_demo(donnees)
    cog.importer_cog(donnees / "cog", home=home)
    qpv.importer_qpv([donnees / "qpv" / "qpv2024_demo_wgs84.geojson"], "2024", home=home)
    qpv.importer_qpv([donnees / "qpv" / "qpv2015_demo_wgs84.geojson"], "2015", home=home)
    for f in sorted((donnees / "zonages").glob("*.csv")):
        zonages.importer_zonage(f, home=home)
    for stock in sorted(p for p in (donnees / "sirene").iterdir() if p.is_dir()):
        construire(
            stock / "StockEtablissement_utf8.parquet",
            stock / "StockUniteLegale_utf8.parquet",
            date_stock=stock.name,
            home=home,
            afficher=False,
        )
    return home


@pytest.fixture(scope="session")
def home_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ESSQ_HOME holding the demo territory's imported geography and built warehouse."""
    return construire_demo(tmp_path_factory.mktemp("demo_rapports"))


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
