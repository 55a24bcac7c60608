"""Render a portrait: one Jinja template and one stylesheet for both HTML and PDF (WeasyPrint).

HTML is self-contained (inline CSS and SVG, no script). The PDF embeds Marianne from the
DSFR front-end assets when ``npm ci`` installed them, else falls back to a sober sans-serif.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import essq

FORMATS = ("pdf", "html")
# Only the weights the stylesheet uses: each declared face is loaded (WOFF decoded) per process.
GRAISSES = {"Regular": 400, "Bold": 700}


def dossier_polices() -> Path | None:
    """DSFR fonts folder (node_modules/@gouvfr/dsfr/dist/fonts) next to the repository, if any."""
    racine = Path(essq.__file__).resolve().parents[2]
    dossier = racine / "node_modules" / "@gouvfr" / "dsfr" / "dist" / "fonts"
    return dossier if (dossier / "Marianne-Regular.woff").is_file() else None


@functools.cache
def _css_polices() -> str:
    dossier = dossier_polices()
    if dossier is None:
        return ""
    regles = []
    for nom, poids in GRAISSES.items():
        f = dossier / f"Marianne-{nom}.woff"
        if f.is_file():
            regles.append(
                f'@font-face {{ font-family: "Marianne"; font-style: normal; font-weight: {poids}; '
                f'src: url("{f.as_uri()}") format("woff"); }}'
            )
    return "\n".join(regles)


@functools.cache
def _environnement() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("essq.rapports", "gabarits"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


@functools.cache
def _css() -> str:
    return (resources.files("essq.rapports") / "gabarits" / "portrait.css").read_text(
        encoding="utf-8"
    )


def _marquer_svg(p: dict[str, Any]) -> dict[str, Any]:
    """SVG strings are built and escaped by essq.rapports.graphiques: mark them safe."""
    p = dict(p)
    p["figures"] = [{**f, "svg": Markup(f["svg"])} for f in p["figures"]]
    p["carte"] = {**p["carte"], "svg": Markup(p["carte"]["svg"])}
    if p["evolution"]:
        p["evolution"] = {**p["evolution"], "svg": Markup(p["evolution"]["svg"])}
    return p


def html(portrait: dict[str, Any], *, pour_pdf: bool = False) -> str:
    """The portrait as one HTML page (fonts declared only for the PDF renderer)."""
    gabarit = _environnement().get_template("portrait.html")
    return gabarit.render(
        p=_marquer_svg(portrait),
        css=Markup(_css()),
        polices=Markup(_css_polices() if pour_pdf else ""),
    )


@functools.cache
def _configuration_polices() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def pdf(portrait: dict[str, Any]) -> bytes:
    """The portrait as PDF bytes (WeasyPrint), from the same template as the HTML."""
    from weasyprint import HTML

    document = HTML(string=html(portrait, pour_pdf=True), base_url=str(Path.cwd()))
    octets = document.write_pdf(font_config=_configuration_polices())
    return bytes(octets)
