#!/usr/bin/env python3
"""textractsink's offline engine finds no table in photos and still finds
a real one.

Photos no one here made (Debian's darknet data, the face-api and Human
demo pictures fetched by tools/fetch-models, an OpenCV sample) have dark
areas, edges and texture that once made a "ruled table" of dozens of
cells with one OCR word copied across them, or a checkbox labelled "|". A printed ruled table, photographed as a JPEG
(ImageMagick draws it) and pasted into one of those photos, must still be
read cell for cell.

Run by meson with the engine's test program as argument (its --dump mode
prints one page's shapes as JSON).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import mtfixtures

DUMP = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(
    mtfixtures.BUILD_ROOT, "tests", "textract", "test-textract-local")
CONVERT = mtfixtures.CONVERT
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TABLES_FORMS = 2 | 4

NPM = os.path.join(mtfixtures.MODELS_DIR, "npm")
PHOTOS = [
    "/usr/share/darknet/data/dog.jpg",
    "/usr/share/darknet/data/scream.jpg",
    os.path.join(NPM, "face-api-1.7.15", "package", "demo", "sample6.jpg"),
    os.path.join(NPM, "human-3.3.6", "package", "assets", "samples.jpg"),
    # A chessboard: its black squares are no checkboxes labelled "|".
    "/usr/share/doc/opencv-doc/examples/data/left12.jpg",
]

ROWS = [["Fruit", "Count", "Price"],
        ["Apples", "12", "3.50"],
        ["Pears", "7", "2.25"],
        ["Plums", "30", "9.00"]]


def dump(path):
    out = subprocess.run([DUMP, "--dump", path, "1", str(TABLES_FORMS)],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"--dump {path} failed: {out.stderr}")
    return json.loads(out.stdout)["Blocks"]


def tables(blocks):
    """Each TABLE as rows of cell texts (a cell's WORD children joined)."""
    by_id = {b["Id"]: b for b in blocks}

    def kids(b, kind="CHILD"):
        return [i for r in b.get("Relationships", []) if r["Type"] == kind
                for i in r["Ids"]]

    out = []
    for t in (b for b in blocks if b["BlockType"] == "TABLE"):
        cells = [by_id[i] for i in kids(t)]
        n_rows = max(c["RowIndex"] for c in cells)
        n_cols = max(c["ColumnIndex"] for c in cells)
        rows = [[""] * n_cols for _ in range(n_rows)]
        for c in cells:
            rows[c["RowIndex"] - 1][c["ColumnIndex"] - 1] = " ".join(
                by_id[w]["Text"] for w in kids(c))
        out.append(rows)
    return out


def fields(blocks):
    return [b for b in blocks if b["BlockType"] == "KEY_VALUE_SET"
            and "KEY" in b.get("EntityTypes", [])]


def draw_table(path, colw=(300, 200, 200), rowh=60, x0=40, y0=40):
    """A printed ruled table of ROWS, as an image."""
    width, height = sum(colw), rowh * len(ROWS)
    args = [CONVERT, "-size", f"{width + 2 * x0}x{height + 2 * y0}",
            "xc:white", "-fill", "none", "-stroke", "black",
            "-strokewidth", "2"]
    for r in range(len(ROWS) + 1):
        y = y0 + r * rowh
        args += ["-draw", f"line {x0},{y} {x0 + width},{y}"]
    x = x0
    for w in list(colw) + [0]:
        args += ["-draw", f"line {x},{y0} {x},{y0 + height}"]
        x += w
    args += ["-stroke", "none", "-fill", "black", "-font", SANS,
             "-pointsize", "32"]
    for r, row in enumerate(ROWS):
        x = x0
        for w, cell in zip(colw, row):
            args += ["-draw", f"text {x + 16},{y0 + r * rowh + 42} '{cell}'"]
            x += w
    subprocess.run(args + [path], check=True)


class PhotoTables(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-photo-tables-")

    def test_photos_have_no_table(self):
        found = [p for p in PHOTOS if os.path.exists(p)]
        if len(found) < 2:
            self.skipTest("fewer than 2 of the photos are installed: "
                          + ", ".join(PHOTOS))
        for photo in found:
            with self.subTest(photo=photo):
                blocks = dump(photo)
                self.assertEqual(tables(blocks), [],
                                 f"{photo}: a table in a photo")
                self.assertEqual(fields(blocks), [],
                                 f"{photo}: form fields in a photo")

    def test_photographed_table_is_read(self):
        png = os.path.join(self.tmp, "table.png")
        draw_table(png)
        jpg = os.path.join(self.tmp, "table.jpg")
        subprocess.run([CONVERT, png, "-quality", "92", jpg], check=True)
        self.assertEqual(tables(dump(jpg)), [ROWS])

    def test_table_pasted_into_a_photo_is_read(self):
        # The photo around it adds its texture to the page, not cells.
        photo = PHOTOS[0]
        if not os.path.exists(photo):
            self.skipTest(photo + " is not installed")
        png = os.path.join(self.tmp, "table.png")
        draw_table(png)
        jpg = os.path.join(self.tmp, "pasted.jpg")
        subprocess.run([CONVERT, photo, "-resize", "1600x", png,
                        "-gravity", "southeast", "-geometry", "+20+20",
                        "-composite", "-quality", "90", jpg], check=True)
        self.assertEqual(tables(dump(jpg)), [ROWS])


if __name__ == "__main__":
    unittest.main()
