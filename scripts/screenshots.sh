#!/usr/bin/env bash
# Re-takes the README's screenshots of the customer screens: the real window in demo mode under
# Xvfb at 1280x800, pressed through the accessibility tree as a screen reader would
# (tests/support/atspi_probe.py), captured with ImageMagick's `import`.
#   scripts/screenshots.sh [BINARY] [OUT_DIR]
# BINARY defaults to target/debug/markid-kiosk (built by `cargo test`), OUT_DIR to
# assets/screenshots. Needs what scripts/deps-debian.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/markid-kiosk}
out=${2:-assets/screenshots}
probe=tests/support/atspi_probe.py
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

Xvfb :93 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & pids+=($!)
export DISPLAY=:93
dbus-daemon --session --fork --print-address=3 --print-pid=4 3>"$work/bus" 4>"$work/bus.pid"
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$work/bus")
export DBUS_SESSION_BUS_ADDRESS
pids+=("$(head -n1 "$work/bus.pid")")
/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 & pids+=($!)
sleep 1
dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
  org.freedesktop.DBus.Properties.Set string:org.a11y.Status string:IsEnabled \
  variant:boolean:true >/dev/null

kiosk_pid=""
start_kiosk() { # CONFIG_TEXT FIRST_LABEL
  [ -n "$kiosk_pid" ] && kill "$kiosk_pid" 2>/dev/null && wait "$kiosk_pid" 2>/dev/null || true
  printf '%s\n' "$1" >"$work/config.toml"
  env -u MARKID_API_KEY -u MARKID_API_SECRET -u WAYLAND_DISPLAY \
    "$binary" --config "$work/config.toml" >/dev/null 2>&1 &
  kiosk_pid=$!
  pids+=("$kiosk_pid")
  wait_for "${2:-Start}"
}
shows() {
  local texts
  texts=$(/usr/bin/python3 "$probe" texts markid-kiosk 2>/dev/null || true)
  grep -qxF -- "$1" <<<"$texts"
}
wait_for() {
  for _ in $(seq 150); do shows "$1" && return 0; sleep 0.2; done
  echo "screenshots: '$1' did not show" >&2
  /usr/bin/python3 "$probe" texts markid-kiosk >&2 || true
  exit 1
}
press() { wait_for "$1"; /usr/bin/python3 "$probe" press markid-kiosk "$1"; }
shot() { sleep "${2:-0.8}"; import -window root "$out/$1.png"; echo "$out/$1.png"; }

mkdir -p "$out"

# The document choice with the whole country list (no country preset), then the passport's
# photos taken by themselves: the demo camera's card and portrait pass every check.
start_kiosk "[journal]
path = \"$work/journal.sqlite3\""
shot 1-welcome
press "Start"
wait_for "Passport"
shot 2-document
press "Lithuania (LT)"
press "Passport"
wait_for "Take photo"
shot 3-capture 1.4
wait_for "Check: Front of your document"
shot 4-review
press "Use this photo"
wait_for "Check: Your face"
press "Use this photo"
wait_for "Ready to send"
shot 5-summary
press "Send"
wait_for "Thank you! Your photos were sent."
shot 6-success

# No camera for the document: the file input stays. In Japanese: the language menu.
start_kiosk "[token]
country = \"LT\"
locale = \"ja\"
[camera]
document = \"play:/nonexistent\"
[journal]
path = \"$work/journal.sqlite3\"" "開始"
press "開始"
press "パスポート"
shot 9-japanese 2
start_kiosk "[token]
country = \"LT\"
[camera]
document = \"play:/nonexistent\"
[journal]
path = \"$work/journal.sqlite3\""
press "Start"
press "Passport"
wait_for "There is no camera here right now. Please choose a photo file, or ask staff for help."
shot 8-no-camera
# Without a camera the phone is offered: the QR code and the app's code.
press "Continue on my phone"
wait_for "Continue on your phone"
shot 14-phone

# An API that refuses the credentials (the simulator with every call failing 401): the error
# screen, without the DEMO badge since credentials are configured.
"$binary" simulate --port 18093 --fault 401 >/dev/null 2>&1 & pids+=($!)
start_kiosk "[api]
base_url = \"http://127.0.0.1:18093\"
key = \"demo-key\"
secret = \"demo-secret\"
[token]
country = \"LT\"
[camera]
document = \"synthetic\"
face = \"synthetic\"
[journal]
path = \"$work/journal.sqlite3\""
press "Start"
shot 7-error 3
