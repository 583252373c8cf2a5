"""textractsink as a user runs it (gst-launch-1.0 filesrc ! typefind !
textractsink), with backend=aws against a loopback Textract fake
(fake_textract.py: every request validated with botocore's ParamValidator,
answers in Textract's documented shapes) and moto S3 for the asynchronous
path. Documents are made here: PNG pages of different sizes (ImageMagick),
a PDF of them (img2pdf), a multi-page TIFF, an encrypted PDF (qpdf), a
damaged and a page-less PDF. The fake's first line of every page says what
it was given ("png 300x400"), so each page's documents can be matched to
the page they must be of.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

import mtfixtures as fx

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_textract.py")
CREDS = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
# Page k of the test documents is (200 + 100 k) x 400 points; at dpi=72 a
# rendered page is that many pixels.
SIZES = [(300, 400), (400, 400), (500, 400)]
ALL = "text+tables+forms+queries+signatures+layout+expense+identity"
QUERIES = "What is the total?|Who is the vendor?"


def run(argv):
    """Runs a tool that makes test documents: a peer, not code under test,
    so without the sanitizer runtime."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    subprocess.run(argv, check=True, capture_output=True, env=env)


def make_documents(tmp):
    paths = {}
    pngs = []
    for i, (w, h) in enumerate(SIZES):
        p = os.path.join(tmp, "p%d.png" % (i + 1))
        run([fx.CONVERT, "-size", "%dx%d" % (w, h), "xc:white", "-fill", "black",
             "-draw", "rectangle 20,20 %d,60" % (w - 20), "-density", "72", "-units",
             "PixelsPerInch", p])
        pngs.append(p)
    paths["png"] = pngs[0]
    paths["jpeg"] = os.path.join(tmp, "page.jpeg")
    run([fx.CONVERT, pngs[1], "-quality", "90", paths["jpeg"]])
    paths["pdf"] = os.path.join(tmp, "doc.pdf")
    run(["img2pdf", "--imgsize", "72dpi"] + pngs + ["-o", paths["pdf"]])
    paths["pdf1"] = os.path.join(tmp, "one.pdf")
    run(["img2pdf", "--imgsize", "72dpi", pngs[0], "-o", paths["pdf1"]])
    paths["tiff"] = os.path.join(tmp, "scan.tiff")
    run([fx.CONVERT] + pngs + [paths["tiff"]])
    paths["pdf_as_jpg"] = os.path.join(tmp, "named.jpg")
    shutil.copy(paths["pdf"], paths["pdf_as_jpg"])
    paths["encrypted"] = os.path.join(tmp, "locked.pdf")
    run(["qpdf", "--encrypt", "s3cret-pw", "s3cret-pw", "256", "--", paths["pdf"],
         paths["encrypted"]])
    paths["corrupt"] = os.path.join(tmp, "corrupt.pdf")
    with open(paths["corrupt"], "wb") as f:
        f.write(b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    paths["corrupt_tiff"] = os.path.join(tmp, "corrupt.tiff")
    with open(paths["corrupt_tiff"], "wb") as f:
        f.write(b"II*\0\x08\0\0\0" + b"\xff" * 4000)
    paths["empty"] = os.path.join(tmp, "empty.pdf")
    with open(paths["empty"], "wb") as f:
        f.write(page_less_pdf())
    paths["huge"] = os.path.join(tmp, "huge.png")
    with open(paths["huge"], "wb") as f:
        f.write(png_header_only(20000, 20000))
    return paths


def png_header_only(width, height):
    """A PNG that says it is width x height; its pixels must never be
    needed (they are not there)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def page_less_pdf():
    """A well-formed PDF whose page tree has no page."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, o)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


class TextractSinkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-textract-")
        cls.docs = make_documents(cls.tmp)
        cls.log = os.path.join(cls.tmp, "fake.log")
        cls.fake = fx.start_python_server(FAKE, "--log", cls.log)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def requests(self, log=None):
        with open(log or self.log) as f:
            return [json.loads(line) for line in f]

    def sink(self, src, props="", fake=None, check=True, extra_env=None, quiet=True):
        """Runs `src ! typefind ! textractsink`; returns (documents, process).
        quiet=False: gst-launch-1.0 also prints warnings."""
        out = os.path.join(self.tmp, "out-%s.jsonl" % self.id().rsplit(".", 1)[1])
        if os.path.exists(out):
            os.remove(out)
        env = fx.gst_env(AWS_ENDPOINT_URL_TEXTRACT=(fake or self.fake).url, **CREDS)
        env.update(extra_env or {})
        line = "%s ! typefind ! textractsink backend=aws dpi=72 location=%s %s" % (src, out, props)
        if quiet:
            cp = fx.gst_launch(line, env=env, timeout=120, check=check)
        else:
            cp = subprocess.run(["gst-launch-1.0", "-e"] + fx.pipeline_args(line), env=env,
                                capture_output=True, text=True, timeout=120)
        docs = []
        if os.path.exists(out):
            with open(out) as f:
                docs = [json.loads(x) for x in f]
        return docs, cp

    def file_src(self, key):
        return "filesrc location=%s" % self.docs[key]

    def first_lines(self, docs):
        """page -> what the fake was given, from each page's document."""
        return {d["page"]: d["text"].split("\n")[0] for d in docs if d["analysis"] == "document"}

    def assert_valid_requests(self, since=0):
        reqs = self.requests()[since:]
        self.assertTrue(reqs, "no request reached the fake")
        self.assertEqual([r for r in reqs if not r["valid"] or r.get("fake_error")], [])
        return reqs

    def test_multi_page_pdf_page_by_page(self):
        n = len(self.requests())
        docs, _ = self.sink(self.file_src("pdf"), "features=text")
        # Each page rendered at 72 dpi to a PNG of the page's own size.
        self.assertEqual(self.first_lines(docs), {
            k + 1: "png %dx%d page 1" % s for k, s in enumerate(SIZES)})
        self.assertEqual([d["page"] for d in docs if d["analysis"] == "document"], [1, 2, 3])
        reqs = self.assert_valid_requests(n)
        self.assertEqual(sorted(r["op"] for r in reqs), ["DetectDocumentText"] * 3)
        texts = [d for d in docs if d["analysis"] == "text"]
        self.assertEqual(len(texts), 3 * 5)
        self.assertTrue(all(d["engine"] == "aws:textract:DetectDocumentText" for d in texts))

    def test_pdf_named_jpg_and_pages_range(self):
        docs, _ = self.sink(self.file_src("pdf_as_jpg"), "features=text pages=2-3")
        self.assertEqual(self.first_lines(docs), {2: "png 400x400 page 1", 3: "png 500x400 page 1"})

    def test_single_page_pdf_goes_whole(self):
        docs, _ = self.sink(self.file_src("pdf1"), "features=text")
        first = self.first_lines(docs)
        self.assertEqual(list(first), [1])
        self.assertRegex(first[1], r"^pdf \d+ bytes page 1$")

    def test_multi_page_tiff(self):
        docs, _ = self.sink(self.file_src("tiff"), "features=text")
        self.assertEqual(self.first_lines(docs), {
            k + 1: "png %dx%d page 1" % s for k, s in enumerate(SIZES)})

    def test_png_and_jpeg_go_as_they_are(self):
        docs, _ = self.sink(self.file_src("png"), "features=text")
        self.assertEqual(self.first_lines(docs), {1: "png 300x400 page 1"})
        docs, _ = self.sink(self.file_src("jpeg"), "features=text")
        self.assertEqual(self.first_lines(docs), {1: "jpeg 400x400 page 1"})

    def test_every_kind_of_document(self):
        n = len(self.requests())
        docs, _ = self.sink(self.file_src("png"), "features=%s queries=\"%s\"" % (ALL, QUERIES))
        reqs = self.assert_valid_requests(n)
        self.assertEqual(sorted(r["op"] for r in reqs), ["AnalyzeDocument", "AnalyzeExpense", "AnalyzeID"])
        analyze = [r for r in reqs if r["op"] == "AnalyzeDocument"][0]
        self.assertEqual(analyze["features"], ["TABLES", "FORMS", "QUERIES", "SIGNATURES", "LAYOUT"])
        self.assertEqual(analyze["queries"], QUERIES.split("|"))
        kinds = {d["analysis"] for d in docs}
        self.assertEqual(kinds, {"document", "text", "table", "field", "answer", "signature", "layout",
                                 "expense", "identity"})
        self.assertTrue(all(d["page"] == 1 for d in docs))
        for d in docs:
            box = d.get("box")
            if box:
                self.assertTrue(0 <= box["left"] <= 1 and 0 <= box["top"] <= 1, d)
                self.assertTrue(box["left"] + box["width"] <= 1 + 1e-9, d)
        table = [d for d in docs if d["analysis"] == "table"][0]
        self.assertEqual(table["detail"]["rows"], [["Item", "Qty", "Price"], ["Widget", "3", "12.50"],
                                                   ["Widget", "5", "18.00"]])
        self.assertAlmostEqual(table["box"]["width"], 0.6)
        fields = {d["name"]: d["value"] for d in docs if d["analysis"] == "field"}
        self.assertEqual(fields, {"Name": "Jane Doe", "Paid": "SELECTED"})
        answers = {d["name"]: d["value"] for d in docs if d["analysis"] == "answer"}
        self.assertEqual(answers, {"What is the total?": "answer 1", "Who is the vendor?": "answer 2"})
        expense = {d["name"]: d for d in docs if d["analysis"] == "expense"}
        self.assertEqual(expense["TOTAL"]["value"], "55.50")
        self.assertAlmostEqual(expense["TOTAL"]["box"]["top"], 0.9)
        self.assertEqual(expense["VENDOR_NAME"]["value"], "ACME Tools")
        self.assertEqual([i["ITEM"] for i in expense["LINE_ITEMS"]["detail"]["LineItems"]],
                         ["Widget A", "Widget B"])
        identity = {d["name"]: d["value"] for d in docs if d["analysis"] == "identity"}
        self.assertEqual(identity["DATE_OF_BIRTH"], "1990-06-15")
        self.assertEqual(identity["EXPIRATION_DATE"], "2031-01-02")
        self.assertNotIn("MIDDLE_NAME", identity)
        page = [d for d in docs if d["analysis"] == "document"][0]
        types = {b["BlockType"] for b in page["detail"]["Blocks"]}
        self.assertTrue({"PAGE", "LINE", "WORD", "TABLE", "CELL", "MERGED_CELL", "KEY_VALUE_SET",
                         "SELECTION_ELEMENT", "QUERY", "QUERY_RESULT"} <= types)

    def test_ids_stable_across_runs(self):
        a, _ = self.sink(self.file_src("pdf"), "features=text+tables")
        b, _ = self.sink(self.file_src("pdf"), "features=text+tables")
        self.assertEqual([d["id"] for d in a], [d["id"] for d in b])
        self.assertEqual(len({d["id"] for d in a}), len(a))

    def test_max_size(self):
        docs, cp = self.sink(self.file_src("pdf"), "max-size=1000", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("larger than max-size", cp.stderr)

    def test_encrypted_pdf(self):
        docs, cp = self.sink(self.file_src("encrypted"), "features=text", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("encrypted: give its password", cp.stderr)
        docs, cp = self.sink(self.file_src("encrypted"), "features=text password=wrong", check=False)
        self.assertIn("does not open it", cp.stderr)
        docs, _ = self.sink(self.file_src("encrypted"), "features=text password=s3cret-pw")
        self.assertEqual(sorted(self.first_lines(docs)), [1, 2, 3])

    def test_damaged_and_page_less_documents(self):
        _, cp = self.sink(self.file_src("corrupt"), check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("could not be read", cp.stderr)
        _, cp = self.sink(self.file_src("corrupt_tiff"), check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("The TIFF could not be read", cp.stderr)
        _, cp = self.sink(self.file_src("empty"), check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("The PDF has no pages", cp.stderr)

    def test_bad_pages_property(self):
        _, cp = self.sink(self.file_src("pdf"), "pages=3-1", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("is not a page range", cp.stderr)
        _, cp = self.sink(self.file_src("pdf"), "pages=7-9", check=False)
        self.assertIn("names no page of this document, which has 3", cp.stderr)

    def test_faults(self):
        log = os.path.join(self.tmp, "faults.log")
        fake = fx.start_python_server(FAKE, "--log", log, "--fault",
                                      "DetectDocumentText=ThrottlingException:1", "--fault",
                                      "AnalyzeExpense=BadDocumentException")
        try:
            # Throttled once, then answered: the page is not lost.
            docs, _ = self.sink(self.file_src("png"), "features=text", fake=fake)
            self.assertEqual(self.first_lines(docs), {1: "png 300x400 page 1"})
            # A permanent error: an error document naming action and code.
            docs, cp = self.sink(self.file_src("png"), "features=expense", fake=fake)
            errors = [d for d in docs if d["analysis"] == "error"]
            self.assertEqual(len(errors), 1)
            self.assertEqual(errors[0]["action"], "AnalyzeExpense")
            self.assertEqual(errors[0]["code"], "BadDocumentException")
            self.assertIn("BadDocumentException", errors[0]["error"])
        finally:
            fake.stop()
        ops = [(r["op"], r["status"]) for r in self.requests(log)]
        self.assertEqual(ops[:2], [("DetectDocumentText", 400), ("DetectDocumentText", 200)])

    def test_over_sync_limit_reencoded(self):
        noise = os.path.join(self.tmp, "noise.png")
        run([fx.CONVERT, "-size", "2000x2000", "xc:", "+noise", "Random", "-depth", "8", noise])
        self.assertGreater(os.path.getsize(noise), 10 * 1024 * 1024)
        n = len(self.requests())
        docs, _ = self.sink("filesrc location=%s" % noise, "features=text")
        reqs = self.assert_valid_requests(n)
        # Re-encoded as JPEG under the 10 MB limit of the synchronous calls.
        self.assertEqual([(r["format"], r["size"] <= 10 * 1024 * 1024) for r in reqs], [("jpeg", True)])
        self.assertEqual(list(self.first_lines(docs)), [1])

    def test_huge_image_refused_before_decoding(self):
        n = len(self.requests())
        docs, cp = self.sink(self.file_src("huge"), "features=text", quiet=False)
        self.assertEqual(cp.returncode, 0)
        self.assertIn("20000x20000 (400.0 Mpx), above max-pixels", cp.stderr + cp.stdout)
        self.assertEqual(docs, [])
        self.assertEqual(self.requests()[n:], [])

    def test_queries_without_questions(self):
        _, cp = self.sink(self.file_src("png"), "features=queries", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("needs the questions", cp.stderr)


class AsyncS3Test(unittest.TestCase):
    """Multi-page documents in S3 go to the asynchronous API."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-textract-s3-")
        cls.docs = make_documents(cls.tmp)
        cls.moto = fx.start_moto()
        s3 = fx.boto_client("s3", cls.moto.url)
        s3.create_bucket(Bucket="docs")
        s3.upload_file(cls.docs["pdf"], "docs", "in/doc.pdf")
        cls.log = os.path.join(cls.tmp, "fake.log")
        cls.fake = fx.start_python_server(FAKE, "--log", cls.log, "--s3", cls.moto.url,
                                          "--page-size", "40", "--job-polls", "2")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.moto.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_async_analysis_and_expense(self):
        out = os.path.join(self.tmp, "async.jsonl")
        env = fx.gst_env(AWS_ENDPOINT_URL_TEXTRACT=self.fake.url, AWS_ENDPOINT_URL_S3=self.moto.url,
                         **CREDS)
        fx.gst_launch("s3src uri=s3://docs/in/doc.pdf ! typefind ! textractsink backend=aws "
                      "features=text+tables+expense+identity dpi=72 location=%s" % out, env=env,
                      timeout=120)
        with open(out) as f:
            docs = [json.loads(x) for x in f]
        with open(self.log) as f:
            reqs = [json.loads(x) for x in f]
        self.assertEqual([r for r in reqs if not r["valid"] or r.get("fake_error")], [])
        ops = [r["op"] for r in reqs]
        self.assertEqual(ops[0], "StartDocumentAnalysis")
        self.assertEqual(reqs[0].get("s3"), {"Bucket": "docs", "Name": "in/doc.pdf"}, reqs[:2])
        self.assertEqual(reqs[0]["s3"], {"Bucket": "docs", "Name": "in/doc.pdf"})
        # Polled while IN_PROGRESS, then paged with NextToken.
        gets = [r for r in reqs if r["op"] == "GetDocumentAnalysis"]
        self.assertGreaterEqual(len(gets), 4)
        self.assertTrue(any(r.get("next_token") for r in gets))
        self.assertIn("StartExpenseAnalysis", ops)
        self.assertNotIn("AnalyzeDocument", ops)
        pages = {d["page"]: d["text"].split("\n")[0] for d in docs if d["analysis"] == "document"}
        self.assertEqual(pages, {p: "pdf s3 3 pages page %d" % p for p in (1, 2, 3)})
        self.assertEqual([d["page"] for d in docs], sorted(d["page"] for d in docs))
        self.assertEqual(len([d for d in docs if d["analysis"] == "table"]), 3)
        totals = [d for d in docs if d["analysis"] == "expense" and d["name"] == "TOTAL"]
        self.assertEqual([d["page"] for d in totals], [1, 2, 3])
        # AnalyzeID has no asynchronous form: each page rendered and sent.
        ids = [r for r in reqs if r["op"] == "AnalyzeID"]
        self.assertEqual(sorted(tuple(r["dims"]) for r in ids), [(300, 400), (400, 400), (500, 400)])
        births = [d for d in docs if d["analysis"] == "identity" and d["name"] == "DATE_OF_BIRTH"]
        self.assertEqual([(d["page"], d["value"]) for d in births],
                         [(1, "1990-06-15"), (2, "1990-06-15"), (3, "1990-06-15")])
        self.assertTrue(all(d["engine"].startswith("aws:textract:Start")
                            for d in docs if d["analysis"] != "identity"))


    def test_failed_job_is_an_error_document(self):
        log = os.path.join(self.tmp, "failed.log")
        fake = fx.start_python_server(FAKE, "--log", log, "--s3", self.moto.url, "--job-polls", "0",
                                      "--job-status", "FAILED")
        out = os.path.join(self.tmp, "failed.jsonl")
        env = fx.gst_env(AWS_ENDPOINT_URL_TEXTRACT=fake.url, AWS_ENDPOINT_URL_S3=self.moto.url, **CREDS)
        try:
            fx.gst_launch("s3src uri=s3://docs/in/doc.pdf ! typefind ! textractsink backend=aws "
                          "features=text location=%s" % out, env=env, timeout=120)
        finally:
            fake.stop()
        with open(out) as f:
            docs = [json.loads(x) for x in f]
        self.assertEqual([d["analysis"] for d in docs], ["error"])
        self.assertEqual(docs[0]["action"], "GetDocumentTextDetection")
        self.assertIn("ended FAILED: fake: the job failed", docs[0]["error"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
