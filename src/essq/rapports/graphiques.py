"""Vector charts and the map of a portrait, as inline SVG strings (no JavaScript, no tiles).

Every function returns a complete ``<svg>`` element with a ``role="img"``, a French
``<title>`` and a ``data-graphique`` attribute naming it (tests and CSS use it). Text is
XML-escaped here; the templates insert the result as-is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import shapely

BLEU = "#000091"
ROUGE = "#E1000F"
GRIS = "#929292"
GRIS_CLAIR = "#E5E5E5"
TEXTE = "#161616"

# One colour per ESS family (DSFR illustrative palette, distinguishable in greyscale).
COULEURS_FAMILLES = {
    "association": "#000091",
    "cooperative": "#009081",
    "mutuelle": "#C3992A",
    "fondation": "#A558A0",
    "societe_commerciale_ess": "#E4794A",
}
COULEUR_INCONNUE = "#666666"

POLICE = "Marianne, Arial, Helvetica, sans-serif"


def nombre_fr(valeur: float | int | None, decimales: int = 0) -> str:
    """French number: '1 682,5' (non-breaking thousands separator, decimal comma)."""
    if valeur is None:
        return "n.d."
    entier = float(valeur).is_integer()
    texte = f"{int(round(valeur)):,}" if entier else f"{valeur:,.{decimales}f}"
    return texte.replace(",", "\u202f").replace(".", ",").replace("\u202f", "\u00a0")


def pourcent_fr(part: float | None, decimales: int = 1) -> str:
    """0.7558 → '75,6 %' (None → 'n.d.')."""
    if part is None:
        return "n.d."
    return f"{nombre_fr(part * 100, decimales)}\u00a0%"


def _svg(nom: str, titre: str, largeur: float, hauteur: float, corps: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" data-graphique="{escape(nom)}" '
        f'viewBox="0 0 {largeur:.0f} {hauteur:.0f}" width="{largeur:.0f}" height="{hauteur:.0f}" '
        f'font-family="{POLICE}" font-size="10" aria-label="{escape(titre)}">'
        f"<title>{escape(titre)}</title>{''.join(corps)}</svg>"
    )


def _texte(x: float, y: float, texte: str, **attrs: str | float) -> str:
    extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" {extra}>{escape(texte)}</text>'


@dataclass(frozen=True)
class Serie:
    """One series of a bar chart: its label, colour, and whether it is a published reference."""

    libelle: str
    couleur: str
    reference: bool = False


def barres(
    nom: str,
    titre: str,
    categories: Sequence[str],
    series: Sequence[Serie],
    valeurs: Sequence[Sequence[float | None]],
    *,
    format_valeur: str = "nombre",
    largeur: float = 640,
    largeur_libelles: float = 210,
) -> str:
    """Horizontal grouped bars: one group per category, one bar (or reference mark) per series.

    ``valeurs[s][c]`` is the value of series ``s`` for category ``c`` (None: not available).
    Reference series (published figures) are drawn as hollow diamonds, never as bars, so they
    cannot be mistaken for figures computed from the data.
    """
    barres_calc = [i for i, s in enumerate(series) if not s.reference]
    h_barre = 11.0
    h_groupe = h_barre * max(1, len(barres_calc)) + 8
    # legend items laid out left to right, wrapped to the chart width
    legende: list[tuple[float, float, Serie]] = []
    x_leg, y_leg = 0.0, 0.0
    for s in series if len(series) > 1 else []:
        largeur_item = 20 + 5.2 * len(s.libelle)
        if x_leg > 0 and x_leg + largeur_item > largeur:
            x_leg, y_leg = 0.0, y_leg + 14
        legende.append((x_leg, y_leg, s))
        x_leg += largeur_item
    haut_legende = (y_leg + 18.0) if legende else 0.0
    hauteur = haut_legende + h_groupe * len(categories) + 6
    zone = largeur - largeur_libelles - 60
    maximum = max([v for serie in valeurs for v in serie if v is not None] + [0.0]) or 1.0

    def lib(v: float) -> str:
        if format_valeur == "part":
            return pourcent_fr(v)
        return nombre_fr(v, 0 if float(v).is_integer() else 1)

    corps: list[str] = []
    for x, y, s in legende:
        if s.reference:
            corps.append(_losange(x + 5, y + 8, s.couleur))
        else:
            corps.append(
                f'<rect x="{x:.1f}" y="{y + 3:.1f}" width="10" height="10" fill="{s.couleur}"/>'
            )
        corps.append(_texte(x + 14, y + 12, s.libelle, fill=TEXTE))
    for c, categorie in enumerate(categories):
        y0 = haut_legende + c * h_groupe
        corps.append(
            _texte(
                largeur_libelles - 6,
                y0 + h_groupe / 2 + 2,
                _abreger(categorie, 40),
                text_anchor="end",
                fill=TEXTE,
            )
        )
        for rang, s_i in enumerate(barres_calc):
            v = valeurs[s_i][c]
            y = y0 + 3 + rang * h_barre
            if v is None:
                corps.append(_texte(largeur_libelles + 2, y + 8, "n.d.", fill=GRIS))
                continue
            w = zone * v / maximum
            corps.append(
                f'<rect x="{largeur_libelles:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" '
                f'height="{h_barre - 2:.1f}" fill="{series[s_i].couleur}"/>'
            )
            corps.append(_texte(largeur_libelles + w + 3, y + 8, lib(v), fill=TEXTE, font_size=8.5))
        for s_i, s in enumerate(series):
            v = valeurs[s_i][c]
            if s.reference and v is not None:
                x = largeur_libelles + zone * v / maximum
                corps.append(_losange(x, y0 + h_groupe / 2, s.couleur))
    corps.append(
        f'<line x1="{largeur_libelles:.1f}" y1="{haut_legende:.1f}" x2="{largeur_libelles:.1f}" '
        f'y2="{hauteur - 4:.1f}" stroke="{GRIS}" stroke-width="0.8"/>'
    )
    return _svg(nom, titre, largeur, hauteur, corps)


def _losange(x: float, y: float, couleur: str) -> str:
    return (
        f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y:.1f} L{x:.1f} {y + 5:.1f} L{x - 5:.1f} {y:.1f} Z" '
        f'fill="white" stroke="{couleur}" stroke-width="1.6" data-reference="oui"/>'
    )


def _abreger(texte: str, n: int) -> str:
    return texte if len(texte) <= n else texte[: n - 1].rstrip() + "…"


def courbe(
    nom: str, titre: str, dates: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]]
) -> str:
    """Values at each stock date, one polyline per series (label, colour, values)."""
    largeur, hauteur = 640.0, 190.0
    g, d, h, b = 50.0, 20.0, 26.0, 26.0
    toutes = [v for _, _, vs in series for v in vs] or [0.0]
    vmin, vmax = min(0.0, min(toutes)), max(toutes) or 1.0
    n = len(dates)

    def px(i: int) -> float:
        return g + (largeur - g - d) * (i / (n - 1) if n > 1 else 0.5)

    def py(v: float) -> float:
        return hauteur - b - (hauteur - h - b) * (v - vmin) / ((vmax - vmin) or 1.0)

    corps = [
        f'<line x1="{g}" y1="{hauteur - b}" x2="{largeur - d}" y2="{hauteur - b}" stroke="{GRIS}"/>',
        _texte(g - 4, py(vmax) + 3, nombre_fr(vmax), text_anchor="end", fill=TEXTE, font_size=8.5),
        _texte(g - 4, py(vmin) + 3, nombre_fr(vmin), text_anchor="end", fill=TEXTE, font_size=8.5),
    ]
    for i, date in enumerate(dates):
        corps.append(
            _texte(px(i), hauteur - 10, date, text_anchor="middle", fill=TEXTE, font_size=8.5)
        )
    x_leg = g
    for libelle, couleur, vs in series:
        points = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(vs))
        corps.append(
            f'<polyline points="{points}" fill="none" stroke="{couleur}" stroke-width="2"/>'
        )
        for i, v in enumerate(vs):
            corps.append(f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="3" fill="{couleur}"/>')
            corps.append(
                _texte(
                    px(i), py(v) - 6, nombre_fr(v), text_anchor="middle", fill=TEXTE, font_size=8.5
                )
            )
        corps.append(f'<rect x="{x_leg}" y="4" width="10" height="10" fill="{couleur}"/>')
        corps.append(_texte(x_leg + 14, 13, libelle, fill=TEXTE))
        x_leg += 24 + 5.2 * len(libelle)
    return _svg(nom, titre, largeur, hauteur, corps)


# ------------------------------------------------------------------------------------ map
@dataclass(frozen=True)
class Point:
    lon: float
    lat: float
    famille: str
    en_qpv: bool


def _echelle_ronde(metres: float) -> float:
    """Largest 1-2-5 × 10^k length not above ``metres``."""
    if metres <= 0:
        return 1.0
    puissance = 10 ** math.floor(math.log10(metres))
    for f in (5, 2, 1):
        if f * puissance <= metres:
            return f * puissance
    return puissance


def carte(
    titre: str,
    contours: Sequence[tuple[str, str, bytes]],
    points: Sequence[Point],
    *,
    libelles_familles: dict[str, str],
    largeur: float = 640,
    hauteur: float = 420,
    max_points: int = 6000,
) -> str:
    """QPV contours (millésime, code, WKB WGS84) and ESS establishments, with scale and legend.

    The projection is a local equirectangular one centred on the drawn extent (metres), exact
    enough at a territory's scale for a scale bar. Above ``max_points`` points, a regular
    systematic sample is drawn and the legend says so.
    """
    geoms = [(m, code, shapely.from_wkb(w)) for m, code, w in contours]
    xs = [p.lon for p in points] + [c for _, _, g in geoms for c in g.bounds[0::2]]
    ys = [p.lat for p in points] + [c for _, _, g in geoms for c in g.bounds[1::2]]
    h_legende = 46.0
    haut_carte = hauteur - h_legende
    corps: list[str] = [
        f'<rect x="0" y="0" width="{largeur}" height="{haut_carte}" fill="#F6F6F6" stroke="{GRIS}" stroke-width="0.6"/>'
    ]
    if not xs:
        corps.append(
            _texte(
                largeur / 2,
                haut_carte / 2,
                "Aucun contour de QPV ni établissement localisé à représenter.",
                text_anchor="middle",
                fill=TEXTE,
            )
        )
        return _svg("carte", titre, largeur, hauteur, corps)
    lon0, lon1, lat0, lat1 = min(xs), max(xs), min(ys), max(ys)
    lat_c = (lat0 + lat1) / 2
    kx = 111_320.0 * math.cos(math.radians(lat_c))
    ky = 110_574.0
    etendue_x = max((lon1 - lon0) * kx, 200.0)
    etendue_y = max((lat1 - lat0) * ky, 200.0)
    marge = 14.0
    echelle = min((largeur - 2 * marge) / etendue_x, (haut_carte - 2 * marge) / etendue_y)
    cx, cy = (lon0 + lon1) / 2, (lat0 + lat1) / 2

    def proj(lon: float, lat: float) -> tuple[float, float]:
        return (
            largeur / 2 + (lon - cx) * kx * echelle,
            haut_carte / 2 - (lat - cy) * ky * echelle,
        )

    corps.append('<g data-couche="qpv">')
    for m, code, g in sorted(geoms, key=lambda t: t[0]):
        d = []
        for poly in getattr(g, "geoms", [g]):
            for anneau in [poly.exterior, *poly.interiors]:
                pts = [proj(x, y) for x, y in anneau.coords]
                d.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + " Z")
        recent = m == max(t[0] for t in geoms)
        style = (
            f'fill="{BLEU}" fill-opacity="0.12" stroke="{BLEU}" stroke-width="1.3"'
            if recent
            else f'fill="none" stroke="{ROUGE}" stroke-width="1" stroke-dasharray="4 3"'
        )
        corps.append(
            f'<path d="{" ".join(d)}" fill-rule="evenodd" {style} data-qpv="{escape(code)}" '
            f'data-millesime="{escape(m)}"/>'
        )
    corps.append("</g>")
    pas = max(1, math.ceil(len(points) / max_points))
    dessines = points[::pas]
    corps.append('<g data-couche="etablissements">')
    for p in dessines:
        x, y = proj(p.lon, p.lat)
        couleur = COULEURS_FAMILLES.get(p.famille, COULEUR_INCONNUE)
        corps.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{couleur}" stroke="white" stroke-width="0.5"/>'
        )
    corps.append("</g>")
    # scale bar (bottom left) and north arrow
    metres = _echelle_ronde(0.25 * largeur / echelle)
    long_px = metres * echelle
    yb = haut_carte - 12
    corps.append(
        f'<g data-element="echelle"><rect x="10" y="{yb - 12}" width="{long_px + 44:.1f}" height="20" fill="white" fill-opacity="0.85"/>'
        f'<line x1="14" y1="{yb}" x2="{14 + long_px:.1f}" y2="{yb}" stroke="{TEXTE}" stroke-width="2"/>'
        f'<line x1="14" y1="{yb - 4}" x2="14" y2="{yb + 3}" stroke="{TEXTE}"/>'
        f'<line x1="{14 + long_px:.1f}" y1="{yb - 4}" x2="{14 + long_px:.1f}" y2="{yb + 3}" stroke="{TEXTE}"/>'
        + _texte(
            18 + long_px,
            yb + 3,
            f"{nombre_fr(metres / 1000, 1)} km" if metres >= 1000 else f"{nombre_fr(metres)} m",
            fill=TEXTE,
            font_size=8.5,
        )
        + "</g>"
    )
    corps.append(
        f'<g data-element="nord"><path d="M{largeur - 20} {14} L{largeur - 14} {30} L{largeur - 20} {26} L{largeur - 26} {30} Z" fill="{TEXTE}"/>'
        + _texte(largeur - 20, 42, "N", text_anchor="middle", fill=TEXTE, font_size=9)
        + "</g>"
    )
    # legend
    y = haut_carte + 14
    x = 0.0
    millesimes = sorted({m for m, _, _ in geoms})
    corps.append('<g data-element="legende">')
    for m in millesimes:
        recent = m == millesimes[-1]
        style = (
            f'fill="{BLEU}" fill-opacity="0.12" stroke="{BLEU}" stroke-width="1.3"'
            if recent
            else f'fill="none" stroke="{ROUGE}" stroke-width="1" stroke-dasharray="4 3"'
        )
        corps.append(f'<rect x="{x:.1f}" y="{y - 8}" width="14" height="10" {style}/>')
        lib = f"QPV {m}"
        corps.append(_texte(x + 18, y, lib, fill=TEXTE))
        x += 26 + 5.5 * len(lib)
    familles_vues = sorted(
        {p.famille for p in dessines},
        key=lambda f: list(COULEURS_FAMILLES).index(f) if f in COULEURS_FAMILLES else 99,
    )
    for f in familles_vues:
        corps.append(
            f'<circle cx="{x + 4:.1f}" cy="{y - 3}" r="3.2" fill="{COULEURS_FAMILLES.get(f, COULEUR_INCONNUE)}"/>'
        )
        lib = libelles_familles.get(f, f)
        corps.append(_texte(x + 11, y, lib, fill=TEXTE))
        x += 22 + 5.2 * len(lib)
        if x > largeur - 120:
            x, y = 0.0, y + 14
    note = f"{nombre_fr(len(points))} établissements ESS localisés"
    if pas > 1:
        note += f" (un sur {pas} dessiné)"
    corps.append(_texte(0, haut_carte + 40, note, fill=TEXTE, font_size=8.5))
    corps.append("</g>")
    return _svg("carte", titre, largeur, hauteur, corps)
