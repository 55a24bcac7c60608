"""``essq territoires …``, ``essq qpv …`` and ``essq donnees …`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from essq.config import emplacements
from essq.console import afficher_json, afficher_rapport, apercu, console
from essq.erreurs import ErreurUtilisateur
from essq.options import OptionHome, groupe

OptionMillesimes = Annotated[
    str | None,
    typer.Option(
        "--millesime",
        help="Millésime(s) de QPV, séparés par des virgules (2024, 2015 ou 2015,2024) ; "
        "par défaut tous ceux importés.",
        show_default=False,
    ),
]


def _millesimes(texte: str | None) -> list[str] | None:
    if not texte:
        return None
    return [m.strip() for m in texte.split(",") if m.strip()]


def _qpv(codes: list[str]) -> str:
    return f"{len(codes)} QPV" if codes else ""


def enregistrer(app: typer.Typer) -> None:
    territoires = groupe(
        "Géographie officielle : contours des QPV (2015, 2024), COG (communes, EPCI, "
        "départements, régions) et zonages (ZRR, FRR, ACV, PVD, ORT)."
    )
    qpv = groupe(
        "Localiser des points dans les quartiers prioritaires (QPV) : contenant, QPV le "
        "plus proche, distance, zonages."
    )
    donnees = groupe(
        "Fichiers officiels (QPV, COG, zonages, SIRENE) : catalogue et téléchargement."
    )

    @territoires.command("importer-qpv")
    def importer_qpv(
        fichiers: Annotated[
            list[Path],
            typer.Argument(
                help="Fichier(s) de contours publiés par l'ANCT : GeoJSON, Shapefile, GeoPackage, "
                "zippés ou non (par exemple métropole puis outre-mer).",
                show_default=False,
            ),
        ],
        millesime: Annotated[
            str,
            typer.Option(
                "--millesime", help="Génération des QPV : 2024 (codes QN…) ou 2015 (codes QP…)."
            ),
        ],
        ajouter: Annotated[
            bool,
            typer.Option(
                "--ajouter/--remplacer",
                help="--remplacer (défaut) : les fichiers donnés remplacent tout le millésime ; "
                "--ajouter : ils complètent les QPV déjà importés pour ce millésime.",
            ),
        ] = False,
        epsg: Annotated[
            int | None,
            typer.Option(
                "--epsg",
                help="Projection des fichiers qui n'en déclarent pas (ex. 2154).",
                show_default=False,
            ),
        ] = None,
        home: OptionHome = None,
    ) -> None:
        """Importe les contours des QPV d'un millésime (index de localisation compris)."""
        from essq.territoires.qpv import importer_qpv as importer

        rapport = importer(fichiers, millesime, home=home, ajouter=ajouter, epsg=epsg)
        afficher_rapport(
            f"[green]{rapport.nombre} QPV {millesime} importés[/] dans "
            f"{emplacements(home).territoires}.",
            rapport.par_territoire.items(),
            [
                ("Géométries invalides réparées", rapport.reparees and apercu(rapport.reparees)),
                ("Géométries 3D ramenées en 2D", rapport.aplaties_3d),
                (
                    "Codes en double ignorés (première occurrence gardée)",
                    len(rapport.doublons_ignores),
                ),
                ("QPV remplacés par leur nouvelle version", len(rapport.remplaces)),
                (
                    "Paires de QPV qui se chevauchent (liserés)",
                    rapport.chevauchements
                    and f"{rapport.chevauchements} — un point dans un chevauchement est "
                    "attribué au plus petit code_qp.",
                ),
                (
                    "[yellow]Communes non résolues[/] (importer le COG d'abord)",
                    _qpv(rapport.communes_non_resolues),
                ),
                (
                    "[yellow]Projection non déclarée[/], projection légale supposée",
                    _qpv(rapport.projection_supposee),
                ),
            ],
        )

    @territoires.command("importer-cog")
    def importer_cog(
        source: Annotated[
            Path,
            typer.Argument(
                help="Dossier contenant communes.json, epci.json… (@etalab/decoupage-administratif), "
                "leur conversion CSV, ou v_commune_AAAA.csv (INSEE) ; ou l'archive .tgz du paquet npm.",
                show_default=False,
            ),
        ],
        home: OptionHome = None,
    ) -> None:
        """Importe le Code officiel géographique (remplace le précédent)."""
        from essq.territoires.cog import importer_cog as importer

        r = importer(source, home=home)
        afficher_rapport(
            f"[green]COG importé[/] (format {r.format}) : {r.communes} communes "
            f"({', '.join(f'{k} {v}' for k, v in r.par_type.items())}), {r.epci} EPCI, "
            f"{r.departements} départements, {r.regions} régions."
        )

    @territoires.command("importer-contours")
    def importer_contours(
        fichiers: Annotated[
            list[Path],
            typer.Argument(
                help="Contours des communes (GeoJSON, Shapefile, GeoPackage, zippés ou non) avec un champ "
                "code, insee_com ou codgeo : IGN Admin Express, france-geojson…",
                show_default=False,
            ),
        ],
        home: OptionHome = None,
    ) -> None:
        """Importe les contours des communes (pour donner la commune d'un point ; remplace les précédents)."""
        from essq.territoires.contours import importer_contours as importer

        r = importer(fichiers, home=home)
        afficher_rapport(
            f"[green]{r.communes} contours de communes importés[/].",
            details=[("Géométries invalides réparées", r.reparees)],
        )

    @territoires.command("importer-zonage")
    def importer_zonage(
        fichier: Annotated[
            Path, typer.Argument(help="Fichier du zonage (CSV, XLSX ou JSON).", show_default=False)
        ],
        type_: Annotated[
            str | None,
            typer.Option(
                "--type",
                help="zrr, frr, acv, pvd ou ort ; par défaut détecté d'après les colonnes.",
                show_default=False,
            ),
        ] = None,
        home: OptionHome = None,
    ) -> None:
        """Importe un zonage par commune (remplace les lignes précédentes de ce zonage)."""
        from essq.territoires.zonages import importer_zonage as importer

        r = importer(fichier, zonage=type_, home=home)
        afficher_rapport(
            "[green]Zonage importé[/] : "
            + ", ".join(f"{k.upper()} {v} communes" for k, v in r.par_zonage.items()),
            details=[
                ("Communes non classées ignorées", r.non_classees),
                ("Anciens codes ramenés à la commune actuelle", r.codes_normalises),
                (
                    "[yellow]Codes absents du COG importé[/]",
                    r.codes_inconnus and apercu(r.codes_inconnus),
                ),
            ],
        )

    @territoires.command("etat")
    def etat(home: OptionHome = None) -> None:
        """Affiche ce qui est importé (tables, lignes, sources, dates) au format JSON."""
        from essq.territoires.stockage import dossier, lire_manifeste

        racine = dossier(home)
        manifeste = lire_manifeste(racine)
        if not manifeste.get("tables"):
            raise ErreurUtilisateur(
                f"Aucun territoire importé dans {racine}.",
                correctif="Lancer essq territoires importer-qpv et importer-cog.",
            )
        afficher_json({"dossier": str(racine), **manifeste})

    @territoires.command("chercher")
    def chercher(
        texte: Annotated[
            str,
            typer.Argument(
                help="Nom ou code (commune, EPCI, département, région, QPV).", show_default=False
            ),
        ],
        type_: Annotated[
            str | None,
            typer.Option(
                "--type",
                help="Limiter à : commune, epci, departement, region, qpv (séparés par des virgules).",
                show_default=False,
            ),
        ] = None,
        limite: Annotated[int, typer.Option("--limite", help="Nombre maximal de résultats.")] = 20,
        home: OptionHome = None,
    ) -> None:
        """Cherche un territoire par nom ou code, sans tenir compte des accents ni de la casse."""
        from essq.territoires import Territoires

        t = Territoires.charger(home)
        types = [x.strip() for x in type_.split(",")] if type_ else None
        afficher_json(t.chercher(texte, types=types, limite=limite))

    @qpv.command("localiser")
    def localiser(
        lon: Annotated[
            float | None,
            typer.Option(
                "--lon", help="Longitude en degrés WGS84 (ex. 2.3601).", show_default=False
            ),
        ] = None,
        lat: Annotated[
            float | None,
            typer.Option(
                "--lat", help="Latitude en degrés WGS84 (ex. 48.9297).", show_default=False
            ),
        ] = None,
        x: Annotated[
            float | None,
            typer.Option("--x", help="Abscisse projetée (avec --epsg).", show_default=False),
        ] = None,
        y: Annotated[
            float | None,
            typer.Option("--y", help="Ordonnée projetée (avec --epsg).", show_default=False),
        ] = None,
        epsg: Annotated[
            int | None,
            typer.Option(
                "--epsg",
                help="Projection de --x/--y (2154 Lambert-93, 5490, 2972, 2975, 4471, 4467…).",
                show_default=False,
            ),
        ] = None,
        millesime: OptionMillesimes = None,
        rayon: Annotated[
            float | None,
            typer.Option(
                "--rayon",
                help="Lister aussi les QPV à moins de N mètres (quartier vécu).",
                show_default=False,
            ),
        ] = None,
        home: OptionHome = None,
    ) -> None:
        """Dit si un point est dans un QPV, lequel, la distance au plus proche, sa commune et ses zonages (JSON)."""
        from essq.territoires import Territoires

        if x is not None or y is not None:
            if x is None or y is None or epsg is None:
                raise ErreurUtilisateur(
                    "Coordonnées projetées incomplètes.",
                    champ="--x/--y/--epsg",
                    correctif="Donner --x, --y et --epsg ensemble (ex. --x 652000 --y 6862000 --epsg 2154).",
                )
            a, b, e = x, y, epsg
        else:
            if lon is None or lat is None:
                raise ErreurUtilisateur(
                    "Coordonnées manquantes.",
                    champ="--lon/--lat",
                    correctif="Donner --lon et --lat (degrés WGS84), ou --x --y --epsg.",
                )
            a, b, e = lon, lat, epsg or 4326
        t = Territoires.charger(home)
        afficher_json(t.localiser(a, b, _millesimes(millesime), epsg=e, rayon_m=rayon))

    @qpv.command("localiser-csv")
    def localiser_csv(
        entree: Annotated[
            Path,
            typer.Argument(
                help="CSV avec des colonnes lon,lat (ou x,y avec --epsg).", show_default=False
            ),
        ],
        sortie: Annotated[
            Path,
            typer.Option(
                "--sortie",
                help="CSV écrit : toutes les colonnes d'entrée, dans le même ordre, plus les champs QPV.",
                show_default=False,
            ),
        ],
        millesime: OptionMillesimes = None,
        epsg: Annotated[
            int | None,
            typer.Option(
                "--epsg",
                help="Projection des colonnes x,y (ex. 2154) ; 4326 pour lon,lat.",
                show_default=False,
            ),
        ] = None,
        colonne_x: Annotated[
            str | None,
            typer.Option(
                "--colonne-x",
                help="Nom de la colonne des abscisses/longitudes.",
                show_default=False,
            ),
        ] = None,
        colonne_y: Annotated[
            str | None,
            typer.Option(
                "--colonne-y", help="Nom de la colonne des ordonnées/latitudes.", show_default=False
            ),
        ] = None,
        colonne_commune: Annotated[
            str | None,
            typer.Option(
                "--colonne-commune",
                help="Colonne du code commune : sans --epsg, "
                "la projection légale de chaque commune est utilisée et la cohérence vérifiée.",
                show_default=False,
            ),
        ] = None,
        rayon: Annotated[
            float | None,
            typer.Option(
                "--rayon",
                help="Ajouter une colonne oui/non : à moins de N mètres d'un QPV.",
                show_default=False,
            ),
        ] = None,
        encodage: Annotated[
            str, typer.Option("--encodage", help="Encodage du fichier d'entrée (utf-8, cp1252…).")
        ] = "utf-8",
        home: OptionHome = None,
    ) -> None:
        """Ajoute à chaque ligne d'un CSV le QPV contenant, la distance et le QPV le plus proche."""
        from essq.territoires import Territoires
        from essq.territoires.lot_csv import localiser_csv as localiser_fichier

        t = Territoires.charger(home)
        r = localiser_fichier(
            t,
            entree,
            sortie,
            millesimes=_millesimes(millesime),
            epsg=epsg,
            colonne_x=colonne_x,
            colonne_y=colonne_y,
            colonne_commune=colonne_commune,
            rayon_m=rayon,
            encodage=encodage,
        )
        afficher_rapport(
            f"[green]{r.lignes} lignes localisées[/] → {sortie}",
            [
                *((f"coordonnées {statut}", n) for statut, n in sorted(r.par_statut.items())),
                *((f"dans un QPV {m}", n) for m, n in r.dans_qpv.items()),
            ],
        )

    @donnees.command("catalogue")
    def catalogue(
        fichier: Annotated[
            Path | None,
            typer.Option(
                "--catalogue",
                help="Catalogue YAML à utiliser à la place de celui fourni.",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Liste les fichiers officiels téléchargeables (JSON)."""
        from essq.territoires.telechargement import charger_catalogue

        afficher_json([r.__dict__ for r in charger_catalogue(fichier)])

    @donnees.command("telecharger")
    def telecharger(
        ressources: Annotated[
            list[str] | None,
            typer.Argument(
                help="Identifiants du catalogue (qpv-2024, cog, zrr…) ; tous si aucun.",
                show_default=False,
            ),
        ] = None,
        dossier: Annotated[
            Path | None,
            typer.Option(
                "--dossier",
                help="Dossier de destination (par défaut $ESSQ_HOME/telechargements).",
                show_default=False,
            ),
        ] = None,
        fichier: Annotated[
            Path | None,
            typer.Option(
                "--catalogue",
                help="Catalogue YAML à utiliser à la place de celui fourni.",
                show_default=False,
            ),
        ] = None,
        forcer: Annotated[
            bool,
            typer.Option(
                "--forcer", help="Télécharger même si le fichier est déjà présent et vérifié."
            ),
        ] = False,
        home: OptionHome = None,
    ) -> None:
        """Télécharge les fichiers officiels (reprise, progression, vérification des sommes SHA-256)."""
        from essq.territoires.telechargement import charger_catalogue
        from essq.territoires.telechargement import telecharger as executer

        cible = dossier or emplacements(home).telechargements
        resultats = executer(ressources or [], cible, catalogue=fichier, forcer=forcer)
        par_id = {r.id: r for r in charger_catalogue(fichier)}
        libelles = {
            "telecharge": "téléchargé",
            "repris": "reprise terminée",
            "deja_present": "déjà présent",
        }
        for r in resultats:
            verif = "somme vérifiée" if r.verifie else "pas de somme de référence"
            console.print(
                f"[green]{r.id}[/] : {libelles[r.etat]}, {r.octets} octets, {verif} → {r.chemin}"
            )
            if par_id[r.id].commande_import:
                console.print(f"  ensuite : {par_id[r.id].commande_import}")

    app.add_typer(territoires, name="territoires")
    app.add_typer(qpv, name="qpv")
    app.add_typer(donnees, name="donnees")
