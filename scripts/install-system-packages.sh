#!/usr/bin/env bash
# Install the Debian packages the platform needs, only those that are missing (a second run is instant).
set -euo pipefail
packages=(
  postgresql        # the throwaway test cluster and production database (on the image already)
  fonts-noto-cjk    # Chinese text in PDFs and screenshots
  libharfbuzz-subset0
  poppler-utils     # pdftotext, to read PDFs back in tests
  chromium          # browser tests (Playwright drives Debian's Chromium; it never downloads one)
  wrk               # HTTP load generator for the benchmarks (bench/)
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
