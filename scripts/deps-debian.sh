#!/usr/bin/env bash
# Installs the system packages the build and the tests need on Debian/Ubuntu, only those
# missing, so it is cheap to run before every build. Uses sudo when not root.
#   cmake, nasm:       libjpeg-turbo is built from source, with its SIMD code (turbojpeg crate)
#   libclang-dev:      nokhwa generates its V4L2 (webcam) bindings with bindgen
#   pkg-config:        finding system libraries
#   xvfb, xauth, imagemagick, libgl1-mesa-dri, libegl1, libxkbcommon-x11-0, libx*: the window
#                      under a virtual display for the smoke test (OpenGL through Mesa), and
#                      the screenshot it takes; imagemagick also makes the bench photos
#   dbus, at-spi2-core, python3-pyatspi: the accessibility bus, on which the window test reads
#                      the kiosk as a screen reader does (tests/support/atspi_probe.py)
#   dpkg-dev, debootstrap, desktop-file-utils: building the .deb (dpkg-shlibdeps) and proving
#                      it installs into a fresh Debian root (packaging/linux/check.sh)
#   libspeechd-dev:    the `tts` crate links libspeechd (speech-dispatcher) for "Read aloud"
#   libvips-tools:     the benchmark's comparison (optional at run time)
set -euo pipefail
packages=(cmake nasm pkg-config gcc g++ make libclang-dev libspeechd-dev
  xvfb xauth imagemagick libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1
  dbus at-spi2-core python3-pyatspi
  dpkg-dev debootstrap desktop-file-utils)
if [ "${MARKID_BENCH_DEPS:-0}" = 1 ]; then packages+=(libvips-tools hyperfine); fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust 1.95 with rustup (https://rustup.rs), then run this again" >&2
  exit 1
fi
