"""The French web application in the State design system (DSFR).

Belongs here: server-rendered pages (Jinja templates, DSFR assets from its npm package),
progressive enhancement, and the `essq servir` command that serves API and web together.
An interface: depends on observatoire, diagnostics and the foundations, never the reverse."""

from essq.web.serveur import servir

__all__ = ["servir"]
