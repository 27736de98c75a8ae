#!/usr/bin/env bash
# Whole process against whole process: `markid-kiosk prepare` on the bench photos versus
# `vips thumbnail` on each (as a shell script would run it), timed by hyperfine.
# Needs: a dist build (cargo build --profile dist), vips (libvips-tools) and hyperfine. Photos from bench/make-photos.sh.
set -euo pipefail
photos=${1:-target/bench-photos}
bin=${BIN:-target/dist/markid-kiosk}
out=$(mktemp -d)
vips_all=""
for photo in "$photos"/*.jpg; do
  vips_all+="vips thumbnail $photo $out/vips-\$(basename $photo)[Q=92,strip,subsample-mode=on] 3000 --size down; "
done
hyperfine --warmup 2 --runs 10 --export-markdown "$out/result.md" \
  -n markid-kiosk "$bin prepare $photos/*.jpg --out-dir $out/ours" \
  -n vips "bash -c '$vips_all'"
cat "$out/result.md"
rm -rf "$out"
