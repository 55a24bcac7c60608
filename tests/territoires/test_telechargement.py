"""``essq donnees telecharger`` against a local HTTP server (no internet in tests)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from essq.erreurs import ErreurUtilisateur
from essq.territoires.telechargement import CATALOGUE, charger_catalogue, telecharger

CONTENU = bytes(range(256)) * 4096  # 1 MiB


class _Gestionnaire(http.server.BaseHTTPRequestHandler):
    """Serves CONTENU at /fichier.zip with Range support; /coupe.zip stops half-way once."""

    coupures = 0
    requetes: list[dict[str, str]] = []

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).requetes.append({"chemin": self.path, "range": self.headers.get("Range", "")})
        if self.path not in ("/fichier.zip", "/coupe.zip"):
            self.send_error(404)
            return
        debut = 0
        plage = self.headers.get("Range")
        if plage:
            debut = int(plage.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {debut}-{len(CONTENU) - 1}/{len(CONTENU)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(CONTENU) - debut))
        self.end_headers()
        if self.path == "/coupe.zip" and type(self).coupures == 0:
            type(self).coupures += 1
            self.wfile.write(CONTENU[debut : debut + 300_000])
            self.wfile.flush()
            self.connection.shutdown(2)  # connection lost mid-transfer
            return
        self.wfile.write(CONTENU[debut:])


@pytest.fixture()
def serveur() -> Iterator[str]:
    _Gestionnaire.coupures = 0
    _Gestionnaire.requetes = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Gestionnaire)
    fil = threading.Thread(target=httpd.serve_forever, daemon=True)
    fil.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _catalogue(tmp_path: Path, url: str, sha: str | None) -> Path:
    chemin = tmp_path / "catalogue.yaml"
    ligne_sha = f'  sha256: "{sha}"\n' if sha else ""
    chemin.write_text(
        f"- id: test\n  titre: Fichier de test\n  producteur: Essai\n  url: {url}\n  nom: fichier.zip\n{ligne_sha}",
        encoding="utf-8",
    )
    return chemin


def test_catalogue_fourni_valide() -> None:
    ids = {r.id for r in charger_catalogue(CATALOGUE)}
    assert {"qpv-2024", "qpv-2015", "cog", "zrr", "acv", "pvd", "sirene-etablissements"} <= ids


def test_telechargement_verifie_puis_deja_present(serveur: str, tmp_path: Path) -> None:
    sha = hashlib.sha256(CONTENU).hexdigest()
    cat = _catalogue(tmp_path, f"{serveur}/fichier.zip", sha)
    dossier = tmp_path / "dl"
    (r,) = telecharger([], dossier, catalogue=cat)
    assert (r.etat, r.verifie, r.octets) == ("telecharge", True, len(CONTENU))
    assert (dossier / "fichier.zip").read_bytes() == CONTENU
    assert not (dossier / "fichier.zip.partiel").exists()
    (r2,) = telecharger(["test"], dossier, catalogue=cat)
    assert r2.etat == "deja_present"
    assert len(_Gestionnaire.requetes) == 1
    assert '"sha256"' in (dossier / "telechargements.json").read_text()


def test_somme_incorrecte_rien_remplace(serveur: str, tmp_path: Path) -> None:
    dossier = tmp_path / "dl"
    dossier.mkdir()
    (dossier / "fichier.zip").write_bytes(b"version precedente")
    cat = _catalogue(tmp_path, f"{serveur}/fichier.zip", "0" * 64)
    with pytest.raises(ErreurUtilisateur, match="Somme de contrôle incorrecte"):
        telecharger([], dossier, catalogue=cat, forcer=True)
    assert (dossier / "fichier.zip").read_bytes() == b"version precedente"
    assert not (dossier / "fichier.zip.partiel").exists()


def test_coupure_puis_reprise(serveur: str, tmp_path: Path) -> None:
    sha = hashlib.sha256(CONTENU).hexdigest()
    cat = _catalogue(tmp_path, f"{serveur}/coupe.zip", sha)
    dossier = tmp_path / "dl"
    with pytest.raises(ErreurUtilisateur, match="reprendra"):
        telecharger([], dossier, catalogue=cat)
    assert not (dossier / "fichier.zip").exists()
    assert 0 < (dossier / "fichier.zip.partiel").stat().st_size < len(CONTENU)
    (r,) = telecharger([], dossier, catalogue=cat)
    assert r.etat == "repris" and r.verifie
    assert _Gestionnaire.requetes[-1]["range"].startswith("bytes=")
    assert (dossier / "fichier.zip").read_bytes() == CONTENU


def test_erreur_http_et_ressource_inconnue(serveur: str, tmp_path: Path) -> None:
    cat = _catalogue(tmp_path, f"{serveur}/absent.zip", None)
    with pytest.raises(ErreurUtilisateur, match="404"):
        telecharger([], tmp_path / "dl", catalogue=cat)
    with pytest.raises(ErreurUtilisateur, match="inconnue"):
        telecharger(["pas-la"], tmp_path / "dl", catalogue=cat)


def test_catalogue_invalide(tmp_path: Path) -> None:
    cat = tmp_path / "c.yaml"
    cat.write_text(
        "- id: x\n  titre: t\n  producteur: p\n  url: ftp://x\n  nom: a.zip\n", encoding="utf-8"
    )
    with pytest.raises(ErreurUtilisateur, match="URL"):
        charger_catalogue(cat)
    cat.write_text(
        "- id: x\n  titre: t\n  producteur: p\n  url: https://x\n  nom: a.zip\n  sha256: abc\n",
        encoding="utf-8",
    )
    with pytest.raises(ErreurUtilisateur, match="SHA-256"):
        charger_catalogue(cat)
