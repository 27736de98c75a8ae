#!/usr/bin/env bash
# Makes three ~9 MP phone-like photos for `markid-kiosk bench` from the EXIF samples: upscaled
# to 3464x2598, with sensor-like noise, saved at quality 92, two of them stored sideways with an
# EXIF orientation as phones do. Needs ImageMagick (apt-get install imagemagick).
set -euo pipefail
out=${1:-target/bench-photos}
src="$(dirname "$0")/../tests/fixtures/exif-orientation"
mkdir -p "$out"
convert "$src/Landscape_1.jpg" -resize '3464x2598!' -attenuate 0.6 +noise Gaussian -quality 92 "$out/photo-landscape.jpg"
convert "$src/Landscape_1.jpg" -resize '3464x2598!' -attenuate 0.6 +noise Gaussian -rotate 90 -orient RightTop -quality 92 "$out/photo-rotated.jpg"
convert "$src/Portrait_5.jpg" -auto-orient -resize '2598x3464!' -attenuate 0.6 +noise Gaussian -quality 92 "$out/photo-portrait.jpg"
ls -l "$out"
