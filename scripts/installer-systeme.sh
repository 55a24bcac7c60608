#!/usr/bin/env bash
# Installs the system packages the tests and the PDF portraits need, only when missing:
# Debian's chromium (browser tests, driven by Playwright), poppler-utils (pdftotext/pdftoppm
# in report tests) and DejaVu/Liberation fonts (WeasyPrint). With --bench, also the HTTP load
# tool wrk (`make bench`, bench/bench_api.py); `make test` never needs it. Idempotent; needs root
# or sudo when something is missing.
set -euo pipefail
manquants=()
for option in "$@"; do
  case "$option" in
    --bench) command -v wrk >/dev/null 2>&1 || manquants+=(wrk) ;;
    *) echo "Option inconnue : $option (seule --bench est reconnue)" >&2; exit 2 ;;
  esac
done
command -v chromium >/dev/null 2>&1 || manquants+=(chromium)
command -v pdftotext >/dev/null 2>&1 || manquants+=(poppler-utils)
fc-list 2>/dev/null | grep -qi dejavu || manquants+=(fonts-dejavu-core)
fc-list 2>/dev/null | grep -qi "marianne\|liberation" || manquants+=(fonts-liberation)
if [ ${#manquants[@]} -eq 0 ]; then
  exit 0
fi
echo "Installation des paquets système manquants : ${manquants[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${manquants[@]}" >/dev/null
