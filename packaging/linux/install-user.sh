#!/usr/bin/env bash
# Installs the portable archive for the current user, without root: the binary into
# ~/.local/bin, the icon and the desktop entry (start menu), and the example config as
# ~/.config/markid-kiosk/config.toml when there is none yet. Run it from the unpacked folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
config="${XDG_CONFIG_HOME:-$HOME/.config}/markid-kiosk"
install -Dm755 "$here/markid-kiosk" "$HOME/.local/bin/markid-kiosk"
install -Dm644 "$here/icons/markid-kiosk.svg" "$data/icons/hicolor/scalable/apps/markid-kiosk.svg"
install -Dm644 "$here/icons/markid-kiosk.png" "$data/icons/hicolor/256x256/apps/markid-kiosk.png"
sed "s|^Exec=markid-kiosk|Exec=$HOME/.local/bin/markid-kiosk|" "$here/markid-kiosk.desktop" \
  | install -Dm644 /dev/stdin "$data/applications/markid-kiosk.desktop"
if [ ! -e "$config/config.toml" ]; then
  install -Dm600 "$here/config.example.toml" "$config/config.toml"
  echo "wrote $config/config.toml: put the API key and secret there (or set MARKID_API_KEY/MARKID_API_SECRET)"
fi
echo "installed: $HOME/.local/bin/markid-kiosk (start menu: Mark ID Kiosk)"
