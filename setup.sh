#!/usr/bin/env bash
# Prepare this machine to build ctgrad: install the missing Debian packages,
# then configure a Meson build directory. Safe to run again: it only does what
# is not done yet.
#
# Usage: ./setup.sh [BUILD_DIR]     (default: build)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
build_dir="${1:-build}"

packages=(
  meson ninja-build g++ clang libclang-rt-14-dev python3 pkg-config cmake make
  libxtensor-dev xtl-dev libxsimd-dev
  libboost-dev libboost-test-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  librsvg2-bin
)

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  if [[ "$status" != *"install ok installed"* ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  log "all ${#packages[@]} packages already installed"
else
  log "installing: ${missing[*]}"
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and sudo is not available; install as root: ${missing[*]}"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get update"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || die "apt-get update failed"
  log "apt-get install"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
  log "packages installed"
fi

if [[ -f "$build_dir/meson-private/coredata.dat" ]]; then
  log "'$build_dir' is already configured"
else
  log "meson setup $build_dir"
  if ! out="$(meson setup "$build_dir" 2>&1)"; then
    printf '%s\n' "$out" | tail -n 40 >&2
    die "meson setup $build_dir failed"
  fi
  # Quiet on success, but a configure warning is worth seeing.
  printf '%s\n' "$out" | grep -E '^(WARNING|DEPRECATION)' >&2 || true
  log "configured '$build_dir'"
fi
log "done; build with: meson compile -C $build_dir && meson test -C $build_dir"
