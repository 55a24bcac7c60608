"""ESS Quartiers (essq): the social and solidarity economy in France's priority neighbourhoods.

Packages and the direction of their dependencies (see docs/architecture.md):

- interfaces: ``api``, ``web``, ``rapports`` and the CLI (``essq.cli``)
- engines: ``observatoire`` and ``diagnostics``
- foundations: ``territoires``, ``sirene``, ``referentiel``
- ``generateur`` produces the fictional demo territory and benchmark data; no reader depends on it.

Shared plumbing lives in small top-level modules: ``config`` (where data lives),
``erreurs`` (user-facing errors), ``fichiers`` (atomic writes), ``console`` (Rich output).
"""

__version__ = "0.1.0"
