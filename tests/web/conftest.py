"""Browser tests: the whole application served by uvicorn on a free loopback port, over the demo
territory of the session (``home_demo``, built through the real pipeline), driven by Playwright with Debian's chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGUMENTS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def serveur(home_demo: Path) -> Iterator[str]:
    if not CHROMIUM.is_file():
        pytest.skip(
            "navigateur absent : /usr/bin/chromium n'est pas installé "
            "(paquet Debian chromium, installé par scripts/installer-systeme.sh)"
        )
    import uvicorn

    from essq.web.application import creer_application

    app = creer_application(home_demo)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serveur = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    fil = threading.Thread(target=serveur.run, daemon=True)
    fil.start()
    debut = time.monotonic()
    while not serveur.started:
        if time.monotonic() - debut > 30 or not fil.is_alive():
            raise RuntimeError("le serveur de test n'a pas démarré")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    serveur.should_exit = True
    fil.join(timeout=10)


@pytest.fixture(scope="session")
def navigateur(serveur: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS)
        yield b
        b.close()
