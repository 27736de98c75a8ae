#!/usr/bin/env bash
# Builds the Linux packages from the release profile (LTO, one codegen unit, stripped):
#   target/debian/markid-kiosk_<version>-1_<arch>.deb        (cargo-deb, metadata in Cargo.toml)
#   target/dist/markid-kiosk-<version>-linux-<arch>.tar.gz   (portable: unpack and run)
# and prints the sizes of the binary and of both packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb (once)" >&2
  cargo install cargo-deb --locked --version '^3.8' >&2
fi
version=$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"name":"markid-kiosk","version":"\([^"]*\)".*/\1/p')
arch=$(uname -m)

cargo deb --quiet
deb=$(ls -t target/debian/markid-kiosk_"$version"-*.deb | head -n1)

# The portable archive: the same files as the .deb, laid out to run from where it is unpacked.
name="markid-kiosk-$version-linux-$arch"
staging="target/dist/$name"
rm -rf "$staging" && mkdir -p "$staging/icons"
cp target/release/markid-kiosk "$staging/"
cp assets/config.example.toml README.md LICENSE-MIT LICENSE-APACHE "$staging/"
cp packaging/linux/markid-kiosk.desktop packaging/linux/markid-kiosk.service "$staging/"
cp packaging/linux/install-user.sh "$staging/"
cp assets/icons/icon.svg "$staging/icons/markid-kiosk.svg"
cp assets/icons/markid-kiosk-256.png "$staging/icons/markid-kiosk.png"
tar -C target/dist -czf "target/dist/$name.tar.gz" "$name"

size() { stat -c %s "$1" | awk -v f="$1" '{ printf "%-60s %6.1f MB (%d bytes)\n", f, $1 / 1048576, $1 }'; }
size target/release/markid-kiosk
size "$deb"
size "target/dist/$name.tar.gz"
