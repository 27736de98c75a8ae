#!/usr/bin/python3
"""The simple rules a web capture SDK uses, on the quality evaluation set, as the baseline for
the kiosk's engine (README, "Capture quality"):

  documents and faces: variance of the Laplacian >= 60 on the grey image at 640 px wide, and at
  most 18% of the pixels at 240 or above;
  faces, in addition: OpenCV's Haar cascade (haarcascade_frontalface_default) finds exactly one.

Write the set first, then run this on it:

  MARKID_EVAL_DIR=/tmp/eval cargo test --test imaging quality::the_ -- --nocapture
  bench/quality-baseline.py /tmp/eval

Needs Debian's python3-opencv and opencv-data (not project dependencies).
"""

import collections
import pathlib
import sys

import cv2

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"


def simple_rules(grey):
    height, width = grey.shape
    small = cv2.resize(grey, (640, round(640 * height / width)), interpolation=cv2.INTER_AREA)
    sharp = cv2.Laplacian(small, cv2.CV_64F).var() >= 60
    bright = (small >= 240).mean() <= 0.18
    return sharp and bright


def main(folder):
    cascade = cv2.CascadeClassifier(CASCADE)
    if cascade.empty():
        print(f"no Haar cascade at {CASCADE}: apt-get install opencv-data", file=sys.stderr)
        return 2
    documents = collections.defaultdict(lambda: [0, 0])
    faces = collections.defaultdict(lambda: [0, 0, 0])
    for path in sorted(pathlib.Path(folder).glob("*.jpg")):
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        name = path.stem
        if name.startswith("face-"):
            label = name.split("-")[1]
            found = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60))
            one = len(found) == 1
            faces[label][0] += 1
            faces[label][1] += one
            faces[label][2] += one and simple_rules(grey)
        else:
            label = name.split("-")[0]
            documents[label][0] += 1
            documents[label][1] += simple_rules(grey)
    print("documents: class, frames, judged usable by the simple rules")
    for label, (frames, usable) in sorted(documents.items()):
        print(f"  {label:<14} {frames:>4} {100 * usable / frames:6.1f}%")
    print("faces: class, frames, usable by Haar (exactly one face), by Haar and the simple rules")
    for label, (frames, haar, both) in sorted(faces.items()):
        print(f"  {label:<14} {frames:>4} {100 * haar / frames:6.1f}% {100 * both / frames:6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/eval"))
