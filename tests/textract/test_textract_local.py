#!/usr/bin/env python3
"""textractsink's offline engine on documents made by other tools.

- The shapes the engine composes (Blocks, ExpenseDocuments,
  IdentityDocuments) are checked against botocore's own Textract service
  model (ParamValidator on AnalyzeDocument/AnalyzeExpense/AnalyzeID
  responses), and every relationship must point at a block of the page.
- A real born-digital manual from /usr/share/doc: its text layer (Poppler),
  and the same page rendered with pdftoppm and made image-only with img2pdf
  (Tesseract), both against pdftotext's words.
- An invoice and an ID card drawn with ImageMagick: expense fields, line
  items, MRZ fields with their check digits.
- textractsink itself with backend=local in a launch line: result
  documents of each kind, and a blank page giving none.

Run by meson with the engine's test program as argument (its --dump mode
prints one page's shapes as JSON).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import botocore.loaders
import botocore.model
import botocore.validate

DUMP = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(
    os.environ.get("MEDIATAG_BUILD_ROOT", "build"), "tests", "textract",
    "test-textract-local")
MANUAL = "/usr/share/doc/libtasn1-doc/libtasn1.pdf"
CONVERT = "/usr/bin/convert"  # ImageMagick's own, not a stand-in on PATH
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
ALL = 0xFF
TEXT, TABLES, FORMS, QUERIES, EXPENSE, IDENTITY = 1, 2, 4, 8, 64, 128

# Other programs run without the sanitizer runtime a sanitized test run
# preloads (img2pdf aborts under it).
TOOL_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

MODEL = botocore.model.ServiceModel(
    botocore.loaders.Loader().load_service_model("textract", "service-2"))


def validate(obj, shape):
    report = botocore.validate.ParamValidator().validate(
        obj, MODEL.shape_for(shape))
    if report.has_errors():
        raise AssertionError(report.generate_report())


def dump(path, page=1, features=ALL):
    out = subprocess.run([DUMP, "--dump", path, str(page), str(features)],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"--dump {path} failed: {out.stderr}")
    return json.loads(out.stdout)


def words_of(blocks):
    return [b["Text"] for b in blocks if b["BlockType"] == "WORD"]


def joined(words):
    """Words with line-end hyphenation undone, as pdftotext gives them."""
    out = []
    for w in words:
        if out and out[-1].endswith("-") and w[:1].islower():
            out[-1] = out[-1][:-1] + w
        else:
            out.append(w)
    return out


def pdftotext_words(path, page):
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page),
                          path, "-"], capture_output=True, text=True,
                         check=True, env=TOOL_ENV)
    return out.stdout.split()


def recall(found, truth):
    """Share of the true words found, as multisets."""
    pool = {}
    for w in found:
        pool[w] = pool.get(w, 0) + 1
    hits = 0
    for w in truth:
        if pool.get(w, 0):
            pool[w] -= 1
            hits += 1
    return hits / max(len(truth), 1)


def draw(path, size, items, background="white", fill="black"):
    """An image with text items (font, pointsize, x, y, text)."""
    args = [CONVERT, "-size", size, f"xc:{background}", "-fill", fill]
    for font, points, x, y, text in items:
        args += ["-font", font, "-pointsize", str(points), "-draw",
                 f"text {x},{y} '{text}'"]
    subprocess.run(args + [path], check=True, timeout=60, env=TOOL_ENV)


class Shapes:
    def check_blocks(self, blocks):
        validate({"Blocks": blocks}, "AnalyzeDocumentResponse")
        ids = {b["Id"] for b in blocks}
        self.assertEqual(len(ids), len(blocks), "block ids are unique")
        for b in blocks:
            for rel in b.get("Relationships", []):
                for i in rel["Ids"]:
                    self.assertIn(i, ids, f"{b['BlockType']} -> {i}")
            box = b.get("Geometry", {}).get("BoundingBox")
            if box:
                self.assertGreaterEqual(box["Left"], -1e-6)
                self.assertLessEqual(box["Top"] + box["Height"], 1 + 1e-6)
        self.assertEqual(sum(b["BlockType"] == "PAGE" for b in blocks), 1)


@unittest.skipUnless(os.path.exists(MANUAL), "no " + MANUAL)
class ManualTest(unittest.TestCase, Shapes):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="textract-local-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_text_layer(self):
        got = dump(MANUAL, 2, TEXT | TABLES | FORMS)
        self.assertEqual(got["Engine"], "local:poppler")
        self.check_blocks(got["Blocks"])
        r = recall(joined(words_of(got["Blocks"])),
                   pdftotext_words(MANUAL, 2))
        self.assertGreaterEqual(r, 0.99, "text layer against pdftotext")

    def test_turned_text_layer(self):
        """A page shown turned (/Rotate 90): its text runs down the page;
        words and lines still come out whole."""
        page = os.path.join(self.tmp, "page2.pdf")
        turned = os.path.join(self.tmp, "turned.pdf")
        subprocess.run(["qpdf", "--empty", "--pages", MANUAL, "2", "--",
                        page], check=True, env=TOOL_ENV)
        subprocess.run(["qpdf", "--rotate=+90", page, turned], check=True,
                       env=TOOL_ENV)
        got = dump(turned, 1, TEXT)
        self.check_blocks(got["Blocks"])
        r = recall(joined(words_of(got["Blocks"])),
                   pdftotext_words(MANUAL, 2))
        self.assertGreaterEqual(r, 0.99)
        lines = [b for b in got["Blocks"] if b["BlockType"] == "LINE"]
        straight = [b for b in dump(page, 1, TEXT)["Blocks"]
                    if b["BlockType"] == "LINE"]
        self.assertLessEqual(len(lines), len(straight) + 3)
        long_lines = [b["Geometry"]["BoundingBox"] for b in lines
                      if len(b["Text"]) > 30]
        self.assertTrue(long_lines)
        self.assertTrue(all(b["Height"] > b["Width"] for b in long_lines))

    def test_image_only_pdf(self):
        base = os.path.join(self.tmp, "p")
        subprocess.run(["pdftoppm", "-r", "200", "-f", "2", "-l", "2",
                        "-png", MANUAL, base], check=True, env=TOOL_ENV)
        png = [f for f in os.listdir(self.tmp) if f.endswith(".png")][0]
        pdf = os.path.join(self.tmp, "scanned.pdf")
        subprocess.run(["img2pdf", os.path.join(self.tmp, png), "-o", pdf],
                       check=True, env=TOOL_ENV)
        got = dump(pdf, 1, TEXT)
        self.assertEqual(got["Engine"], "local:tesseract",
                         "an image-only page is OCRed")
        self.check_blocks(got["Blocks"])
        r = recall(joined(words_of(got["Blocks"])),
                   pdftotext_words(MANUAL, 2))
        self.assertGreaterEqual(r, 0.9, "OCR against pdftotext")


class ComposedTest(unittest.TestCase, Shapes):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="textract-local-")
        cls.invoice = os.path.join(cls.tmp, "invoice.png")
        rows = [("Item", "Quantity", "Price", "Total"),
                ("Oak desk", "1", "900.00", "900.00"),
                ("Office chair", "2", "125.00", "250.00"),
                ("Lamp", "4", "25.00", "100.00")]
        items = [(SANS, 40, 60, 90, "Northwind Traders"),
                 (SANS, 28, 60, 190, "Invoice Number: NW-7781"),
                 (SANS, 28, 60, 235, "Invoice Date: 12/01/2025"),
                 (SANS, 28, 60, 280, "PO Number: 4410")]
        for r, row in enumerate(rows):
            for x, cell in zip((60, 520, 760, 1000), row):
                items.append((SANS, 28, x, 400 + r * 55, cell))
        items += [(SANS, 28, 760, 680, "Subtotal"),
                  (SANS, 28, 1000, 680, "1,250.00"),
                  (SANS, 28, 760, 730, "Tax"),
                  (SANS, 28, 1000, 730, "100.00"),
                  (SANS, 30, 760, 790, "Total Due"),
                  (SANS, 30, 1000, 790, "$1,350.00")]
        draw(cls.invoice, "1240x880", items)
        cls.card = os.path.join(cls.tmp, "card.png")
        draw(cls.card, "1000x640", [
            (SANS, 34, 40, 70, "UTOPIA IDENTITY CARD"),
            (MONO, 36, 40, 470, "I<UTOD231458907<<<<<<<<<<<<<<<"),
            (MONO, 36, 40, 530, "7408122F1204159UTO<<<<<<<<<<<6"),
            (MONO, 36, 40, 590, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")])
        cls.dark = os.path.join(cls.tmp, "dark.png")
        draw(cls.dark, "1240x400", [
            (SANS, 30, 60, 120, "Light text on a dark page"),
            (SANS, 30, 60, 200, "is read after inverting it")],
            background="black", fill="white")
        cls.blank = os.path.join(cls.tmp, "blank.png")
        draw(cls.blank, "800x1000", [])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def summary(self, got):
        doc = got["ExpenseDocuments"][0]
        return {f["Type"]["Text"]: f["ValueDetection"]["Text"]
                for f in doc["SummaryFields"]}

    def test_invoice(self):
        got = dump(self.invoice, 1, EXPENSE | TABLES | FORMS)
        self.check_blocks(got["Blocks"])
        validate({"ExpenseDocuments": got["ExpenseDocuments"]},
                 "AnalyzeExpenseResponse")
        s = self.summary(got)
        self.assertEqual(s.get("AMOUNT_DUE"), "$1,350.00")
        self.assertEqual(s.get("SUBTOTAL"), "1,250.00")
        self.assertEqual(s.get("TAX"), "100.00")
        self.assertEqual(s.get("INVOICE_RECEIPT_ID"), "NW-7781")
        self.assertEqual(s.get("INVOICE_RECEIPT_DATE"), "12/01/2025")
        self.assertEqual(s.get("PO_NUMBER"), "4410")
        self.assertEqual(s.get("VENDOR_NAME"), "Northwind Traders")
        groups = got["ExpenseDocuments"][0]["LineItemGroups"]
        items = [{f["Type"]["Text"]: f["ValueDetection"]["Text"]
                  for f in i["LineItemExpenseFields"]}
                 for i in groups[0]["LineItems"]]
        self.assertEqual([i.get("ITEM") for i in items],
                         ["Oak desk", "Office chair", "Lamp"])
        self.assertEqual([i.get("QUANTITY") for i in items], ["1", "2", "4"])
        self.assertEqual([i.get("PRICE") for i in items],
                         ["900.00", "250.00", "100.00"])

    def test_id_card_td1(self):
        got = dump(self.card, 1, IDENTITY)
        validate({"IdentityDocuments": got["IdentityDocuments"]},
                 "AnalyzeIDResponse")
        fields = {f["Type"]["Text"]: f["ValueDetection"]
                  for f in got["IdentityDocuments"][0]
                  ["IdentityDocumentFields"]}
        self.assertEqual(fields["DOCUMENT_NUMBER"]["Text"], "D23145890")
        self.assertEqual(fields["LAST_NAME"]["Text"], "ERIKSSON")
        self.assertEqual(fields["FIRST_NAME"]["Text"], "ANNA MARIA")
        self.assertEqual(fields["DATE_OF_BIRTH"]["NormalizedValue"],
                         {"Value": "1974-08-12T00:00:00", "ValueType": "Date"})
        self.assertEqual(fields["EXPIRATION_DATE"]["NormalizedValue"]["Value"],
                         "2012-04-15T00:00:00")
        # Every check digit held.
        self.assertGreaterEqual(fields["DOCUMENT_NUMBER"]["Confidence"], 99)

    def test_white_on_black(self):
        got = dump(self.dark, 1, TEXT)
        lines = [b["Text"] for b in got["Blocks"] if b["BlockType"] == "LINE"]
        self.assertIn("Light text on a dark page", lines)

    def test_blank(self):
        got = dump(self.blank, 1, ALL)
        self.assertNotIn("Blocks", got)


class ElementTest(unittest.TestCase):
    """meson registers this test only where the local engine is built: an
    element that does not load is a failure, not a skip."""

    @classmethod
    def setUpClass(cls):
        out = subprocess.run(["gst-inspect-1.0", "textractsink"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError("textractsink does not load: " + out.stderr)
        ComposedTest.setUpClass.__func__(cls)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_element(self, path, features, extra=()):
        out = os.path.join(self.tmp, "out.jsonl")
        if os.path.exists(out):
            os.remove(out)
        cmd = ["gst-launch-1.0", "-q", "filesrc", f"location={path}", "!",
               "typefind", "!", "textractsink", "backend=local",
               f"features={features}", f"location={out}", *extra]
        res = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=240)
        self.assertEqual(res.returncode, 0, res.stderr + res.stdout)
        with open(out) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_invoice(self):
        docs = self.run_element(self.invoice, "text+tables+expense+queries",
                                ["queries=What is the PO number?"])
        kinds = {d["analysis"] for d in docs}
        self.assertTrue({"text", "document", "table", "expense"} <= kinds,
                        kinds)
        expense = {d["name"]: d["value"] for d in docs
                   if d["analysis"] == "expense" and "value" in d}
        self.assertEqual(expense.get("AMOUNT_DUE"), "$1,350.00")
        table = [d for d in docs if d["analysis"] == "table"][0]
        self.assertEqual(table["detail"]["rows"][0],
                         ["Item", "Quantity", "Price", "Total"])
        self.assertIn(["Lamp", "4", "25.00", "100.00"],
                      table["detail"]["rows"])
        answers = {d["name"]: d["value"] for d in docs
                   if d["analysis"] == "answer"}
        self.assertEqual(answers.get("What is the PO number?"), "4410")
        self.assertTrue(all(d["engine"] == "local:tesseract" for d in docs))

    def test_checkboxes(self):
        form = os.path.join(self.tmp, "checkboxes.png")
        subprocess.run([
            CONVERT, "-size", "1240x400", "xc:white", "-fill", "none",
            "-stroke", "black", "-strokewidth", "3",
            "-draw", "rectangle 60,100 92,132",
            "-draw", "line 66,106 86,126", "-draw", "line 86,106 66,126",
            "-draw", "rectangle 600,100 632,132",
            "-fill", "black", "-stroke", "none", "-font", SANS,
            "-pointsize", "30", "-draw", "text 110,128 'Express delivery'",
            "-draw", "text 650,128 'Gift wrap'",
            "-draw", "text 60,250 'Order: 5521'", form],
            check=True, env=TOOL_ENV)
        docs = self.run_element(form, "forms+queries",
                                ["queries=Is express delivery selected?"])
        fields = {d["name"]: d["value"] for d in docs
                  if d["analysis"] == "field"}
        self.assertEqual(fields, {"Express delivery": "SELECTED",
                                  "Gift wrap": "NOT_SELECTED",
                                  "Order": "5521"})
        answers = [d["value"] for d in docs if d["analysis"] == "answer"]
        self.assertEqual(answers, ["SELECTED"])

    def test_identity(self):
        docs = self.run_element(self.card, "identity")
        ident = {d["name"]: d["value"] for d in docs
                 if d["analysis"] == "identity"}
        self.assertEqual(ident.get("DATE_OF_BIRTH"), "1974-08-12")
        self.assertEqual(ident.get("DOCUMENT_NUMBER"), "D23145890")

    @unittest.skipUnless(os.path.exists(MANUAL), "no " + MANUAL)
    def test_pdf_pages(self):
        docs = self.run_element(MANUAL, "text", ["pages=1-2"])
        pages = {d["page"] for d in docs if d["analysis"] == "document"}
        self.assertEqual(pages, {1, 2})
        self.assertTrue(all(d["engine"] == "local:poppler" for d in docs))

    def test_multipage_tiff(self):
        tiff = os.path.join(self.tmp, "two.tif")
        subprocess.run([CONVERT, self.dark, self.card, tiff], check=True,
                       env=TOOL_ENV)
        docs = self.run_element(tiff, "text")
        text = {d["page"]: d["text"] for d in docs
                if d["analysis"] == "document"}
        self.assertIn("Light text on a dark page", text.get(1, ""))
        self.assertIn("UTOPIA IDENTITY CARD", text.get(2, ""))

    def test_pages_in_parallel(self):
        """Two OCR threads on one PDF (one Poppler lock, two Tesseract
        handles): every page read, results in page order, the blank page
        giving nothing."""
        pdf = os.path.join(self.tmp, "three.pdf")
        subprocess.run(["img2pdf", self.card, self.blank, self.dark,
                        "-o", pdf], check=True, env=TOOL_ENV)
        docs = self.run_element(pdf, "text", ["max-in-flight=2"])
        pages = [d["page"] for d in docs]
        self.assertEqual(pages, sorted(pages))
        text = {d["page"]: d["text"] for d in docs
                if d["analysis"] == "document"}
        self.assertEqual(set(text), {1, 3})
        self.assertIn("UTOPIA IDENTITY CARD", text[1])
        self.assertIn("Light text on a dark page", text[3])

    def test_raw_video_frame(self):
        out = os.path.join(self.tmp, "frame.jsonl")
        cmd = ["gst-launch-1.0", "-q", "filesrc", f"location={self.dark}",
               "!", "pngdec", "!", "videoconvert", "!",
               "video/x-raw,format=I420", "!", "textractsink",
               "backend=local", "features=text", f"location={out}"]
        res = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr + res.stdout)
        with open(out) as f:
            lines = [json.loads(l)["text"] for l in f
                     if json.loads(l)["analysis"] == "text"]
        self.assertIn("is read after inverting it", lines)

    def test_blank_page(self):
        docs = self.run_element(self.blank, "text+tables+forms")
        self.assertEqual(docs, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
