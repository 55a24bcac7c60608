"""The dependency direction between packages (docs/architecture.md) is enforced here.

interfaces (api, web, rapports, cli, demo) → observatoire, diagnostics → territoires, sirene,
referentiel. Foundations never import engines or interfaces; nothing but the demo
orchestration, tests and benchmarks imports the generator.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "essq"

# package -> packages it may import (besides the shared plumbing modules)
AUTORISE: dict[str, set[str]] = {
    "territoires": set(),
    "referentiel": set(),
    "sirene": {"territoires"},
    "observatoire": {"territoires", "sirene", "referentiel"},
    "diagnostics": {"territoires", "referentiel", "sirene"},
    "rapports": {"observatoire", "diagnostics", "territoires", "sirene", "referentiel"},
    "api": {"observatoire", "diagnostics", "territoires", "sirene", "referentiel", "rapports"},
    "web": {
        "api",
        "observatoire",
        "diagnostics",
        "territoires",
        "sirene",
        "referentiel",
        "rapports",
    },
    "generateur": set(),
}
PLOMBERIE = {"config", "erreurs", "fichiers", "console", "cli_fr", "__init__"}


def _imports_essq(fichier: Path) -> set[str]:
    arbre = ast.parse(fichier.read_text(encoding="utf-8"))
    cibles: set[str] = set()
    for noeud in ast.walk(arbre):
        if isinstance(noeud, ast.ImportFrom) and noeud.module and noeud.level == 0:
            noms = [noeud.module] + [f"{noeud.module}.{a.name}" for a in noeud.names]
        elif isinstance(noeud, ast.Import):
            noms = [a.name for a in noeud.names]
        else:
            continue
        for nom in noms:
            parties = nom.split(".")
            if parties[0] == "essq" and len(parties) > 1:
                cibles.add(parties[1])
    return cibles


def test_les_dependances_vont_dans_un_seul_sens() -> None:
    violations = []
    for paquet, permis in AUTORISE.items():
        for fichier in (SRC / paquet).rglob("*.py"):
            if fichier.name == "cli.py":
                continue  # CLI adapters may reach the shared CLI helpers
            for cible in _imports_essq(fichier) - PLOMBERIE - {paquet} - permis:
                if cible in AUTORISE or cible in {"cli", "demo"}:
                    violations.append(f"{fichier.relative_to(SRC)} importe essq.{cible}")
    assert not violations, "\n".join(violations)


def test_aucun_lecteur_ne_connait_le_generateur() -> None:
    for paquet in AUTORISE:
        if paquet == "generateur":
            continue
        for fichier in (SRC / paquet).rglob("*.py"):
            assert "generateur" not in _imports_essq(fichier), fichier


def test_chaque_paquet_a_une_docstring() -> None:
    for paquet in AUTORISE:
        init = SRC / paquet / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), paquet
