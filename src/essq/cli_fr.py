"""French wording for the texts the CLI framework prints itself (help, usage, errors).

Typer vendors its own copy of Click whose messages are plain English strings; users of
ESS Quartiers are French public agents, so we translate the framework's texts at the few
places they are produced: the help option, the usage prefix, panel titles and error messages.
"""

from __future__ import annotations

import re
from typing import Any

import typer.rich_utils as ru
from typer._click import core as _core
from typer._click import exceptions as _exceptions
from typer._click import formatting as _formatting

# (English pattern, French replacement) applied to framework error messages, in order.
MOTIFS_ERREURS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"^Missing option (.+)\.(.*)$", r"Option obligatoire manquante : \1.\2"),
        (r"^Missing argument (.+)\.(.*)$", r"Argument obligatoire manquant : \1.\2"),
        (r"^Missing parameter (.+)\.(.*)$", r"Paramètre obligatoire manquant : \1.\2"),
        (r"^Missing parameter: (.+)$", r"Paramètre obligatoire manquant : \1"),
        (r"^Invalid value for (.+?): (.*)$", r"Valeur invalide pour \1 : \2"),
        (r"^Invalid value: (.*)$", r"Valeur invalide : \1"),
        (r"^No such option: (\S+)", r"Option inconnue : \1"),
        (r"^No such command ('[^']*')\.", r"Commande inconnue : \1."),
        (r"\(Possible options: (.+)\)", r"(options possibles : \1)"),
        (r"Did you mean (.+)\?", r"Vouliez-vous dire \1 ?"),
        (r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", r"Argument en trop : (\1)"),
        # typer validates values with pydantic, whose messages are English too
        (
            r"Input should be a valid number, unable to parse string as a number",
            r"un nombre décimal est attendu (par exemple 2.35)",
        ),
        (
            r"Input should be a valid integer, unable to parse string as an integer",
            r"un nombre entier est attendu",
        ),
        (r"Input should be a valid integer", r"un nombre entier est attendu"),
        (r"Input should be a valid number", r"un nombre est attendu"),
        (r"Input should be a valid boolean", r"un booléen est attendu (oui/non)"),
        (r"^Option (.+) requires an argument\.$", r"L'option \1 attend une valeur."),
        (r"^Option (.+) requires (\d+) arguments\.$", r"L'option \1 attend \2 valeurs."),
        (r"^Option (.+) does not take a value\.$", r"L'option \1 ne prend pas de valeur."),
        (r"'(.+)' is not a valid integer\.", r"'\1' n'est pas un nombre entier."),
        (r"'(.+)' is not a valid float\.", r"'\1' n'est pas un nombre décimal."),
        (r"'(.+)' is not a valid boolean\.", r"'\1' n'est pas un booléen (oui/non)."),
        (r"'(.+)' is not one of (.+)\.", r"'\1' ne fait pas partie des valeurs permises : \2."),
        (r"'(.+)' is not (.+)\.", r"'\1' n'est pas \2."),
        (r"'(.+)' does not match the formats? (.+)\.", r"'\1' ne respecte pas le format \2."),
        (r"(File|Path|Directory) '(.+)' does not exist\.", r"Le chemin '\2' n'existe pas."),
        (
            r"(File|Path|Directory) '(.+)' is a directory\.",
            r"'\2' est un dossier : un fichier est attendu.",
        ),
        (
            r"(File|Path|Directory) '(.+)' is a file\.",
            r"'\2' est un fichier : un dossier est attendu.",
        ),
        (r"(File|Path|Directory) '(.+)' is not readable\.", r"'\2' n'est pas lisible."),
        (r"(.+) is not in the range (.+)\.", r"\1 est hors de l'intervalle permis \2."),
        (r"^Could not open file (.+?): (.*)$", r"Impossible d'ouvrir le fichier \1 : \2"),
    ]
]


def traduire_erreur(message: str) -> str:
    for motif, remplacement in MOTIFS_ERREURS:
        message = motif.sub(remplacement, message)
    return message


def _envelopper_format_message(classe: type) -> None:
    origine = classe.__dict__.get("format_message")
    if origine is None or getattr(origine, "_essq_fr", False):
        return

    def format_message(self: Any) -> str:
        return traduire_erreur(origine(self))

    format_message._essq_fr = True  # type: ignore[attr-defined]
    classe.format_message = format_message  # type: ignore[attr-defined]


def installer() -> None:
    """Install the French texts (idempotent)."""
    ru.OPTIONS_PANEL_TITLE = "Options"
    ru.COMMANDS_PANEL_TITLE = "Commandes"
    ru.ARGUMENTS_PANEL_TITLE = "Arguments"
    ru.ERRORS_PANEL_TITLE = "Erreur"
    ru.ABORTED_TEXT = "Interrompu."
    ru.DEFAULT_STRING = "[par défaut : {}]"
    ru.ENVVAR_STRING = "[variable d'environnement : {}]"
    ru.REQUIRED_LONG_STRING = "[obligatoire]"
    ru.DEPRECATED_STRING = "(obsolète) "
    ru.RICH_HELP = "Essayez [blue]'{command_path} {help_option}'[/] pour l'aide."
    ru.OptionHighlighter.highlights = [
        h.replace("Usage: ", "Utilisation : ") for h in ru.OptionHighlighter.highlights
    ]

    if not getattr(_core.Command.get_help_option, "_essq_fr", False):
        origine_aide = _core.Command.get_help_option

        def get_help_option(self: Any, ctx: Any) -> Any:
            option = origine_aide(self, ctx)
            if option is not None:
                option.help = "Affiche cette aide et quitte."
            return option

        get_help_option._essq_fr = True  # type: ignore[attr-defined]
        _core.Command.get_help_option = get_help_option  # type: ignore[method-assign]

    if not getattr(_formatting.HelpFormatter.write_usage, "_essq_fr", False):
        origine_usage = _formatting.HelpFormatter.write_usage

        def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
            origine_usage(self, prog, args, "Utilisation : " if prefix is None else prefix)

        write_usage._essq_fr = True  # type: ignore[attr-defined]
        _formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]

    # typer's base exception holds format_message for plain usage errors ("No such command…")
    for base in _exceptions.ClickException.__mro__[1:]:
        if "format_message" in base.__dict__:
            _envelopper_format_message(base)
    for nom in dir(_exceptions):
        objet = getattr(_exceptions, nom)
        if isinstance(objet, type) and issubclass(objet, _exceptions.ClickException):
            _envelopper_format_message(objet)
