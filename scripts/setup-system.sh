#!/usr/bin/env bash
# Makes sure the media runner's system tools are installed (Debian/Ubuntu packages).
# Usage: scripts/setup-system.sh [--test|--bench]   (--test adds what the test suite uses to make inputs;
# --bench that and the peer tools the benchmarks compare against)
# Installs missing packages with apt-get when running as root (or with passwordless sudo);
# otherwise prints the exact command to run and exits non-zero.
set -euo pipefail

# The Tesseract languages the runner reads (OCR_LANGUAGES, codes separated by spaces or commas; the
# worker accepts jobs in the same list). Default: contracts/languages.ts's DEFAULT_OCR_LANGUAGES.
OCR_LANGUAGES="${OCR_LANGUAGES:-eng deu fra spa ita por nld}"
LANGUAGE_PACKAGES=()
for code in ${OCR_LANGUAGES//,/ }; do LANGUAGE_PACKAGES+=("tesseract-ocr-${code//_/-}"); done
RUNNER_PACKAGES=(ffmpeg tesseract-ocr poppler-utils qpdf pocketsphinx pocketsphinx-en-us libtiff-tools "${LANGUAGE_PACKAGES[@]}")
TEST_PACKAGES=(flite imagemagick img2pdf fonts-dejavu-core chromium)
# What the benchmarks compare against (npm run bench:*).
BENCH_PACKAGES=(ocrmypdf)

packages=("${RUNNER_PACKAGES[@]}")
if [[ "${1:-}" == "--test" ]]; then packages+=("${TEST_PACKAGES[@]}"); fi
if [[ "${1:-}" == "--bench" ]]; then packages+=("${TEST_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"); fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then missing+=("$pkg"); fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: system tools present (${packages[*]})"
  exit 0
fi

echo "setup: installing missing packages: ${missing[*]}"
if ! command -v apt-get >/dev/null; then
  echo "setup: apt-get not found. Install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "setup: need root to install packages. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: installed ${missing[*]}"
