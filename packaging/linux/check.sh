#!/usr/bin/env bash
# Proves the Linux packages work the way an installer uses them (run as root; CI does):
#   1. builds the .deb and the portable archive (packaging/linux/build.sh);
#   2. validates the desktop entry;
#   3. bootstraps a fresh minimal Debian root (debootstrap), installs the .deb there with apt,
#      which must resolve every declared dependency, and runs the installed binary:
#      `--version` and `check-config` on the installed example config;
#   4. unpacks the portable archive, runs it the same way, and installs it for a scratch user.
# Building runs as the calling user; debootstrap, chroot and mount need root (sudo when not
# root; CI runs as root). Environment: MARKID_DEB_SUITE (default: this machine's codename),
# MARKID_DEB_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/../.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
. /etc/os-release
suite="${MARKID_DEB_SUITE:-${VERSION_CODENAME:-bookworm}}"
mirror="${MARKID_DEB_MIRROR:-http://deb.debian.org/debian}"

packaging/linux/build.sh
version=$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"name":"markid-kiosk","version":"\([^"]*\)".*/\1/p')
deb=$(ls -t target/debian/markid-kiosk_"$version"-*.deb | head -n1)
archive=$(ls -t target/distrib/markid-kiosk-"$version"-linux-*.tar.gz | head -n1)

echo "== desktop entry" >&2
desktop-file-validate packaging/linux/markid-kiosk.desktop

echo "== .deb contents" >&2
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb" | awk '{ print $6 }'

echo "== fresh Debian root ($suite)" >&2
root=$(as_root mktemp -d /var/tmp/markid-deb-root.XXXXXX)
cleanup() { as_root umount "$root/proc" 2>/dev/null || true; as_root rm -rf "$root"; }
trap cleanup EXIT
as_root debootstrap --variant=minbase "$suite" "$root" "$mirror" >/dev/null
as_root cp /etc/resolv.conf "$root/etc/resolv.conf"
as_root mount -t proc proc "$root/proc" 2>/dev/null || true
as_root cp "$deb" "$root/tmp/"
in_root() { as_root chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >/dev/null
in_root markid-kiosk --version
in_root markid-kiosk check-config --config /usr/share/markid-kiosk/config.example.toml
for file in /usr/share/applications/markid-kiosk.desktop \
  /usr/share/icons/hicolor/256x256/apps/markid-kiosk.png \
  /usr/share/icons/hicolor/scalable/apps/markid-kiosk.svg \
  /usr/lib/systemd/user/markid-kiosk.service; do
  in_root test -s "$file" || { echo "missing after install: $file" >&2; exit 1; }
done
# Every library the binary links must resolve in the fresh root.
if in_root ldd /usr/bin/markid-kiosk | grep -q "not found"; then
  in_root ldd /usr/bin/markid-kiosk >&2
  exit 1
fi
in_root dpkg --purge markid-kiosk >/dev/null
in_root test ! -e /usr/bin/markid-kiosk

echo "== portable archive" >&2
scratch=$(mktemp -d)
trap 'cleanup; rm -rf "$scratch"' EXIT
tar -C "$scratch" -xzf "$archive"
unpacked=$(ls -d "$scratch"/markid-kiosk-*)
"$unpacked/markid-kiosk" --version
"$unpacked/markid-kiosk" check-config --config "$unpacked/config.example.toml" >/dev/null
HOME="$scratch/home" XDG_DATA_HOME="" XDG_CONFIG_HOME="" "$unpacked/install-user.sh"
test -x "$scratch/home/.local/bin/markid-kiosk"
test -s "$scratch/home/.local/share/applications/markid-kiosk.desktop"
test -s "$scratch/home/.config/markid-kiosk/config.toml"
echo "packages OK: $deb, $archive" >&2
