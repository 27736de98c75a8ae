#!/usr/bin/python3
"""Writes the fuzz targets' seed inputs into fuzz/seeds/<target>/, from the repository's real
files: small versions of the EXIF test photo (tests/fixtures/exif-orientation, MIT) in every
format the kiosk decodes, the API's example answers (tests/fixtures), the example config, and
camera frames in each layout. Needs Pillow (Debian python3-pil). Run from anywhere: /usr/bin/python3 fuzz/make-seeds.py"""
import io
import json
import pathlib
import struct

from PIL import Image

root = pathlib.Path(__file__).resolve().parent.parent
seeds = root / "fuzz" / "seeds"


def write(target, name, data):
    folder = seeds / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


photo_path = root / "tests/fixtures/exif-orientation/Landscape_6.jpg"
photo = Image.open(photo_path)
exif = photo.info.get("exif", b"")
small = photo.convert("RGB").resize((48, 32))

# image_decode: the photo's own formats, small, with its EXIF orientation where the format has it.
for name, fmt, options in [
    ("photo-exif.jpg", "JPEG", {"quality": 80, "exif": exif}),
    ("photo-progressive.jpg", "JPEG", {"quality": 60, "progressive": True}),
    ("photo.png", "PNG", {}),
    ("photo.gif", "GIF", {}),
    ("photo.bmp", "BMP", {}),
    ("photo.tiff", "TIFF", {}),
    ("photo.webp", "WEBP", {"quality": 70}),
]:
    out = io.BytesIO()
    small.save(out, fmt, **options)
    write("image_decode", name, out.getvalue())
grey = io.BytesIO()
small.convert("L").save(grey, "JPEG", quality=70)
write("image_decode", "photo-grey.jpg", grey.getvalue())
whole = io.BytesIO()
small.save(whole, "JPEG", quality=80)
write("image_decode", "photo-truncated.jpg", whole.getvalue()[: len(whole.getvalue()) // 2])

# api_answers: two bytes of status, then a body.
def answer(name, status, body):
    write("api_answers", name, struct.pack(">H", status - 100) + body)

for fixture in ["token-response-full.json", "token-response-defaults.json"]:
    answer(fixture, 200, (root / "tests/fixtures" / fixture).read_bytes())
answer("process-accepted.json", 200, b'{"status": 200}')
answer("process-ok-with-error.json", 200, json.dumps({"message": "Document was not detected in the photo.", "identifier": "DOCUMENT_NOT_DETECTED"}).encode())
answer("token-not-valid.json", 400, json.dumps({"message": "Token is not valid.", "identifier": "TOKEN_NOT_VALID", "documentation": "https://github.com/markid/Documentation", "severity": "NOT_SEVERE"}).encode())
answer("unauthorized.json", 401, b'{"message": "Invalid authorization credentials"}')
answer("nginx-502.html", 502, b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")

# config_parse: the example config and small ones.
write("config_parse", "config.example.toml", (root / "assets/config.example.toml").read_bytes())
write("config_parse", "empty.toml", b"")
write("config_parse", "demo.toml", b'[api]\nbase_url = "http://127.0.0.1:8080"\nkey = "demo-key"\nsecret = "demo-secret"\n[logs]\nformat = "json"\n')

# camera_frames: 4 header bytes (layout, width, height, reduction), then the frame.
rgb = small.tobytes()
width, height = small.size
luma = small.convert("L").tobytes()
def frame(name, layout, data, reduction=0):
    write("camera_frames", name, bytes([layout, width, height, reduction]) + data)

mjpeg = io.BytesIO()
small.save(mjpeg, "JPEG", quality=70)
frame("mjpeg-two-frames", 0, mjpeg.getvalue() * 2)
yuyv = bytearray()
for y in range(height):
    for x in range(0, width, 2):
        yuyv += bytes([luma[y * width + x], 128, luma[y * width + x + 1], 128])
frame("yuyv", 1, bytes(yuyv), 1)
frame("nv12", 2, luma + bytes([128]) * (width * height // 2))
frame("rgb24", 3, rgb, 2)
frame("gray8", 4, luma)
print("seeds written to", seeds)
