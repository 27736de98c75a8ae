#!/usr/bin/env bash
# Builds the Linux packages from the dist profile (fat LTO, one codegen unit, stripped):
#   target/debian/markid-kiosk_<version>-1_<arch>.deb          (cargo-deb, metadata in Cargo.toml)
#   target/distrib/markid-kiosk-<version>-linux-<arch>.tar.gz  (portable: unpack and run)
# and prints the sizes of the binary and of both packages.
# MARKID_PACKAGE_PROFILE=dev packages the binary `cargo test` has already built instead, without
# building (CI does: the check proves the package installs and runs, and a second build of the whole GUI
# stack with LTO took 14 of CI's 40 minutes; the shipped packages use `dist`).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb (once)" >&2
  cargo install cargo-deb --locked --version '~3.8' >&2
fi
version=$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"name":"markid-kiosk","version":"\([^"]*\)".*/\1/p')
arch=$(uname -m)
profile="${MARKID_PACKAGE_PROFILE:-dist}"
case "$profile" in
  dist) binary=target/dist/markid-kiosk; build=() ;;
  # The binary `cargo test` built for the integration tests, as it is: `cargo build` would
  # compile the crate again (without dev-dependencies some features resolve differently; 3:52
  # of a CI run). cargo-deb warns that dev is meant for debugging; it still strips it.
  dev)
    binary=target/debug/markid-kiosk; build=(--no-build)
    [ -x "$binary" ] || { echo "$binary is missing: run cargo test first" >&2; exit 2; } ;;
  *) echo "MARKID_PACKAGE_PROFILE must be dist or dev, not $profile" >&2; exit 2 ;;
esac

cargo deb --quiet --profile "$profile" "${build[@]}"
deb=$(ls -t target/debian/markid-kiosk_"$version"-*.deb | head -n1)

# The portable archive: the same files as the .deb, laid out to run from where it is unpacked.
name="markid-kiosk-$version-linux-$arch"
staging="target/distrib/$name"
rm -rf "$staging" && mkdir -p "$staging/icons"
cp "$binary" "$staging/"
strip "$staging/markid-kiosk"
cp assets/config.example.toml README.md LICENSE-MIT LICENSE-APACHE "$staging/"
cp packaging/linux/markid-kiosk.desktop packaging/linux/markid-kiosk.service "$staging/"
cp packaging/linux/install-user.sh "$staging/"
cp assets/icons/icon.svg "$staging/icons/markid-kiosk.svg"
cp assets/icons/markid-kiosk-256.png "$staging/icons/markid-kiosk.png"
tar -C target/distrib -czf "target/distrib/$name.tar.gz" "$name"

size() { stat -c %s "$1" | awk -v f="$1" '{ printf "%-60s %6.1f MB (%d bytes)\n", f, $1 / 1048576, $1 }'; }
size "$binary"
size "$deb"
size "target/distrib/$name.tar.gz"
