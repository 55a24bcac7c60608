"""`essq portrait`: one file, the batch of every QPV, French errors, atomic outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from essq.cli import app
from essq.erreurs import ErreurUtilisateur

runner = CliRunner()


def portrait_html(home: Path, sortie: Path, *args: str) -> None:
    """``essq portrait <args> --format html --sortie <sortie> --home <home>``, which must succeed."""
    res = runner.invoke(
        app,
        ["portrait", *args, "--format", "html", "--sortie", str(sortie), "--home", str(home)],
    )
    assert res.exit_code == 0, res.output


def test_portrait_html_ecrit_un_fichier(home_demo: Path, tmp_path: Path) -> None:
    sortie = tmp_path / "fictiville.html"
    portrait_html(home_demo, sortie, "commune:00001")
    html = sortie.read_text(encoding="utf-8")
    assert "Fictiville" in html and 'data-graphique="carte"' in html


def test_tous_les_qpv_d_un_epci(home_demo: Path, tmp_path: Path) -> None:
    dossier = tmp_path / "lot"
    portrait_html(home_demo, dossier, "epci:200000001", "--tous-les-qpv")
    noms = sorted(p.name for p in dossier.iterdir())
    assert noms == [
        "portrait-QN00001M.html",
        "portrait-QN00002M.html",
        "portrait-QN00003I.html",
        "portrait-QN00004M.html",
        "portrait-QN00005N.html",
    ]
    for p in dossier.iterdir():
        code = p.stem.removeprefix("portrait-")
        assert f"qpv:{code}" in p.read_text(encoding="utf-8")
    # the 2015 generation of the same EPCI
    portrait_html(home_demo, dossier, "epci:200000001", "--tous-les-qpv", "--millesime", "2015")
    assert len([p for p in dossier.iterdir() if p.name.startswith("portrait-QP")]) == 5
    assert not any(p.name.startswith("portrait-QN") for p in dossier.iterdir())


def test_erreurs_en_francais_et_fichier_precedent_intact(home_demo: Path, tmp_path: Path) -> None:
    sortie = tmp_path / "portrait.pdf"
    sortie.write_bytes(b"ancien")
    cas = [
        (["portrait", "qpv:QN99999Z"], "Territoire inconnu"),
        (["portrait", "quartier:12"], "Territoire non reconnu"),
        (["portrait", "qpv:QN00001M", "--format", "docx"], "Format de portrait inconnu"),
        (["portrait", "qpv:QN00001M", "--date-stock", "1999-01-01"], "Date de stock absente"),
        (["portrait", "qpv:QN00001M", "--tous-les-qpv"], "pas un QPV"),
    ]
    for args, message in cas:
        dest = str(tmp_path / "lot") if "--tous-les-qpv" in args else str(sortie)
        res = runner.invoke(app, [*args, "--sortie", dest, "--home", str(home_demo)])
        # essq.cli.main prints ErreurUtilisateur in French and exits 2 (checked below)
        assert isinstance(res.exception, ErreurUtilisateur), (args, res.output)
        assert message in res.exception.texte()
        assert res.exception.correctif
    assert sortie.read_bytes() == b"ancien"
    assert not (tmp_path / "lot").exists()


def test_entrepot_absent_sortie_2_par_le_vrai_script(tmp_path: Path) -> None:
    commande = [sys.executable, "-m", "essq.cli", "portrait", "qpv:QN00001M"]
    commande += ["--sortie", str(tmp_path / "p.pdf"), "--home", str(tmp_path / "vide")]
    res = subprocess.run(commande, capture_output=True, text=True)
    assert res.returncode == 2
    assert "Aucun entrepôt" in res.stderr and "essq construire" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "p.pdf").exists()


def test_aide_en_francais() -> None:
    res = runner.invoke(app, ["portrait", "--help"])
    assert res.exit_code == 0
    for option in (
        "--format",
        "--sortie",
        "--tous-les-qpv",
        "--date-stock",
        "--millesime",
        "--home",
    ):
        assert option in res.output
    assert "portrait ESS" in res.output
