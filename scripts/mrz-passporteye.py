#!/usr/bin/env python3
"""The PassportEye baseline for the MRZ evaluation (README, "MRZ reader").

    pip install passporteye        # with Debian's tesseract-ocr
    python3 scripts/mrz-passporteye.py tests/fixtures/mrz
    python3 scripts/mrz-passporteye.py /tmp/mrz-frames   # frames written by the imaging test

Reads every image named in DIR/expected.txt with PassportEye and compares with the zone typed
into that file. A read counts as "valid" when PassportEye says every check digit agrees
(valid_score 100), and as "valid and right" when, in addition, every field it parsed equals
the typed zone's. Prints one line per image and the totals; nothing is written."""
import os
import sys
import time

from passporteye import read_mrz


def expected(path):
    zones, name = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "." in line:
            name = line
            zones[name] = []
        else:
            zones[name].append(line)
    return zones


def fields_of(lines):
    """The fields PassportEye reports, sliced from the typed zone."""
    if len(lines) == 3:
        a, b, c = lines
        return dict(type=a[0:2], country=a[2:5], number=a[5:14], date_of_birth=b[0:6],
                    sex=b[7], expiration_date=b[8:14], nationality=b[15:18], names_line=c)
    a, b = lines
    return dict(type=a[0:2], country=a[2:5], number=b[0:9], date_of_birth=b[13:19],
                sex=b[20], expiration_date=b[21:27], nationality=b[10:13], names_line=a[5:])


def main():
    folder = sys.argv[1]
    zones = expected(os.path.join(folder, "expected.txt"))
    valid = right = wrong = 0
    times = []
    for name, lines in zones.items():
        started = time.time()
        try:
            mrz = read_mrz(os.path.join(folder, name))
        except Exception as error:  # PassportEye raises on some images
            mrz = None
            print(name, "error", error)
        times.append(1000 * (time.time() - started))
        if mrz is None:
            print(f"{name:28} not found")
            continue
        d = mrz.to_dict()
        truth = fields_of(lines)
        names_line = (lines[2] if len(lines) == 3 else lines[0][5:])
        got = dict(type=d["type"].ljust(2, "<")[:2], country=d["country"].ljust(3, "<"),
                   number=d["number"].ljust(9, "<")[:9], date_of_birth=d["date_of_birth"],
                   sex=d["sex"] if d["sex"] in "MFX" else "<", expiration_date=d["expiration_date"],
                   nationality=d["nationality"].ljust(3, "<"))
        ok = d["valid_score"] == 100
        same = all(got[k] == truth[k] for k in got) and d["names"].replace(" ", "<") in names_line \
            and d["surname"].replace(" ", "<") in names_line
        valid += ok
        right += ok and same
        wrong += ok and not same
        print(f"{name:28} {'valid' if ok else 'invalid':8} {'right' if same else 'differs'}")
    print(f"PassportEye: {right} valid and right, {wrong} valid but wrong, of {len(zones)}; "
          f"mean {sum(times) / len(times):.0f} ms")


if __name__ == "__main__":
    main()
