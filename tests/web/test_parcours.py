"""A public agent's path through the application in a real browser (search a territory → its
figures and map → its establishments → a diagnostic → its result), the layout at desktop and
mobile widths, reading without JavaScript, and an axe-core audit of every main page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
LARGEURS = {"bureau": (1280, 900), "mobile": (375, 740)}
PAGES = [
    "/",
    "/recherche?q=fictiv",
    "/territoire/qpv/QN00001M",
    "/territoire/epci/200000001",
    "/annuaire?territoire=epci:200000001",
    "/referentiel",
    "/referentiel/leviers",
    "/referentiel/dispositifs?filtre=eligibilite.qpv:true",
    "/diagnostics",
    "/diagnostics/qualification-ess",
    "/diagnostics/qualification-ess/resultat?forme_juridique=association",
    "/methodologie",
    "/licences",
    "/accessibilite",
    "/api/v1/docs",
    "/territoire/commune/99999",
]


def _entier(texte: str) -> int:
    return int(re.sub(r"\D", "", texte))


def test_parcours_territoire_carte_annuaire_diagnostic(navigateur: Any, serveur: str) -> None:
    ctx = navigateur.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(serveur + "/")
    assert page.get_by_text("Données fictives de démonstration").is_visible()

    # search a territory
    page.get_by_label("Commune, intercommunalité ou quartier").fill("Fictiville")
    page.get_by_role("button", name="Chercher").first.click()
    page.get_by_role("link", name=re.compile(r"^Fictiville")).first.click()
    assert page.locator("h1").inner_text().startswith("Fictiville")

    # its figures are the API's, with their sources
    api = httpx.get(serveur + "/api/v1/territoires/commune/00001/indicateurs").json()
    tuiles = page.locator(".essq-chiffre").all_inner_texts()
    assert _entier(tuiles[0]) == api["ensemble"]["etablissements_ess"]
    assert _entier(tuiles[1]) == api["ensemble"]["etablissements_ess_employeurs"]
    assert "INSEE, base SIRENE" in page.locator("#chiffres ~ p.essq-source").first.inner_text()
    assert page.locator("svg.essq-graphique").count() >= 3

    # its map: QPV contours and every located establishment, drawn without a tile server
    carte = httpx.get(serveur + "/api/v1/territoires/commune/00001/carte").json()
    svg = page.locator("svg.essq-carte")
    assert svg.is_visible()
    assert svg.locator("path:has(title)").count() == sum(
        1 for f in carte["features"] if f["properties"]["type"] == "qpv"
    )
    assert svg.locator("circle:has(title)").count() == carte["etablissements_affiches"] > 0

    # its establishments
    page.get_by_role("link", name="Tout l'annuaire de ce territoire").click()
    total = httpx.get(
        serveur + "/api/v1/etablissements", params={"territoire": "commune:00001"}
    ).json()["total"]
    assert _entier(page.locator("#nombre-resultats").inner_text()) == total
    assert page.locator("#liste-etablissements tbody tr").count() == min(total, 50)
    page.locator("#f-famille label", has_text=re.compile(r"^Associations")).click()
    page.get_by_role("button", name="Appliquer les filtres").click()
    familles = page.locator("#liste-etablissements tbody tr td:nth-child(2)").all_inner_texts()
    assert familles and set(familles) == {"Associations"}

    # a diagnostic, then its result with reasons and next steps
    page.goto(serveur + "/diagnostics")
    liens = page.locator(".fr-card__title a")
    assert liens.count() >= 1
    page.goto(serveur + "/diagnostics/qualification-ess")
    page.get_by_label(re.compile(r"^Forme juridique")).select_option("association")
    page.get_by_role("button", name="Voir le résultat").click()
    attendu = httpx.post(
        serveur + "/api/v1/diagnostics/qualification-ess", json={"forme_juridique": "association"}
    ).json()
    assert attendu["verdict"]["libelle"] in page.locator("#verdict").inner_text()
    assert page.get_by_role("heading", name="Pourquoi").is_visible()
    assert attendu["raisons"][0]["explication"] in page.locator("main").inner_text()
    assert "forme_juridique=association" in page.locator("#lien-partage").input_value()
    # the shared link reproduces the result
    page2 = ctx.new_page()
    page2.goto(serveur + page.locator("#lien-partage").input_value())
    assert attendu["verdict"]["libelle"] in page2.locator("#verdict").inner_text()
    ctx.close()


@pytest.mark.parametrize("largeur", list(LARGEURS))
def test_mise_en_page_sans_debordement(
    navigateur: Any, serveur: str, largeur: str, tmp_path: Path
) -> None:
    w, h = LARGEURS[largeur]
    ctx = navigateur.new_context(viewport={"width": w, "height": h})
    page = ctx.new_page()
    problemes = []
    for chemin in PAGES:
        page.goto(serveur + chemin)
        fichier = tmp_path / f"{largeur}_{re.sub(r'[^a-z0-9]+', '_', chemin)}.png"
        page.screenshot(path=str(fichier), full_page=True)
        assert fichier.stat().st_size > 10_000, f"{chemin}: capture vide"
        mesures = page.evaluate(
            """() => ({
                page: document.documentElement.scrollWidth,
                fenetre: window.innerWidth,
                h1: document.querySelector('h1') ? document.querySelector('h1').getBoundingClientRect().right : 0,
                larges: [...document.querySelectorAll('main *')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width > 0 && r.right > window.innerWidth + 1 && !e.closest('.essq-defile');
                }).map(e => e.tagName + '.' + e.className).slice(0, 5),
            })"""
        )
        if (
            mesures["page"] > mesures["fenetre"]
            or mesures["h1"] > mesures["fenetre"]
            or mesures["larges"]
        ):
            problemes.append(f"{chemin}: {mesures}")
    ctx.close()
    assert not problemes, "\n".join(problemes)


@pytest.mark.parametrize("largeur", list(LARGEURS))
def test_aucune_violation_axe_grave(navigateur: Any, serveur: str, largeur: str) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core absent de node_modules : lancer « make install » (npm ci)")
    w, h = LARGEURS[largeur]
    ctx = navigateur.new_context(viewport={"width": w, "height": h}, bypass_csp=True)
    page = ctx.new_page()
    violations = []
    for chemin in PAGES:
        page.goto(serveur + chemin)
        page.add_script_tag(path=str(AXE))
        res = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ' ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
        )
        violations += [f"{chemin}: {v}" for v in res]
    ctx.close()
    assert not violations, "\n".join(violations)


def test_lecture_sans_javascript(navigateur: Any, serveur: str) -> None:
    ctx = navigateur.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740})
    page = ctx.new_page()
    page.goto(serveur + "/territoire/qpv/QN00001M")
    assert page.locator("h1").inner_text().startswith("Les Hauts-de-Fictiville")
    assert page.locator("#comparaisons tbody tr").count() >= 4
    assert page.locator("svg.essq-carte").is_visible()
    page.goto(serveur + "/annuaire?territoire=qpv:QN00001M")
    assert page.locator("#liste-etablissements tbody tr").count() > 0
    assert page.get_by_role("link", name="Accessibilité : partiellement conforme").is_visible()
    ctx.close()


def test_impression_du_resultat_de_diagnostic(navigateur: Any, serveur: str) -> None:
    ctx = navigateur.new_context()
    page = ctx.new_page()
    page.goto(serveur + "/diagnostics/qualification-ess/resultat?forme_juridique=association")
    page.emulate_media(media="print")
    assert page.locator("#verdict").is_visible()
    assert not page.locator("#lien-partage").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    ctx.close()
