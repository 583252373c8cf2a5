"""mediatag report in a real browser (Debian's headless Chromium): the bundled
sample analysed with the local engines (thumbnails kept, --report), plus
result files written here (a transcript with key phrases and entities, a
document with tables and fields, error documents, a label that is a script,
5,000 sightings, results in S3 served by moto). The page's DOM must hold what
the results hold, the screenshot must not be blank, the console must stay
silent and no request may leave the page."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import mtfixtures

TOOL = mtfixtures.TOOL
SAMPLE_VIDEO = os.path.join(mtfixtures.SOURCE_ROOT, "data", "sample.mp4")
SAMPLE_IMAGE = os.path.join(mtfixtures.SOURCE_ROOT, "data", "sample.jpg")
ARTEFACTS = os.path.join(mtfixtures.BUILD_ROOT, "artefacts", "report")
CHROMIUM = shutil.which("chromium")
XSS = "<script>alert(1)</script>"
XSS_ASSET = 'file:///media/"><img src=x onerror=alert(2)>.jpg'


def tool(*args, env=None):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True,
                          env=env or mtfixtures.gst_env(), timeout=300)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_jsonl(path, docs):
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")


def transcript_docs():
    asset = "file:///media/call.wav"
    seg = lambda i, t, e, text, **kw: dict(
        id="seg-%d" % i, asset=asset, analysis="transcript", engine="local:pocketsphinx",
        name=text, text=text, confidence=91.0, timestamp=t, end=e, language="en-US",
        detail={"words": [{"word": w, "start": t + 300 * k, "end": t + 300 * k + 250,
                           "confidence": 90.0} for k, w in enumerate(text.split())]}, **kw)
    cp = lambda kind, name, src, **kw: dict(
        id="%s-%s" % (kind, name), asset=asset, analysis=kind, engine="local:comprehend",
        name=name, confidence=80.0, source=src, **kw)
    return [
        seg(1, 0, 4200, "please call the customer service department before noon tomorrow"),
        seg(2, 4500, 9000, "Alice Johnson will visit Paris on Monday", speaker="spk_1"),
        cp("keyphrase", "customer service department", "seg-1", timestamp=900, end=2400),
        cp("entity", "Alice Johnson", "seg-2", type="PERSON", timestamp=4500, end=5100),
        cp("entity", "Paris", "seg-2", type="LOCATION", timestamp=6000, end=6300),
        cp("sentiment", "NEUTRAL", "seg-1"),
    ]


def document_docs():
    asset = "file:///docs/invoice.pdf"
    d = lambda kind, page, **kw: dict(dict(asset=asset, analysis=kind, engine="local:tesseract",
                                           page=page, confidence=95.0), **kw)
    return [
        d("document", 1, name="page 1", text="Invoice INV-0042"),
        d("text", 1, name="Invoice INV-0042", text="Invoice INV-0042",
          box={"left": 0.1, "top": 0.05, "width": 0.3, "height": 0.04}),
        d("table", 1, name="table 1", detail={"title": "Items", "columns": 3, "rows": [
            ["Item", "Qty", "Price"], ["Widget", "2", "9.50"],
            ["Gadget & Co <b>bold</b>", "1", "20.00"]]}),
        d("field", 1, name="Invoice number", value="INV-0042"),
        d("expense", 1, name="TOTAL", value="39.00", label="Total due", currency="USD"),
        d("expense", 1, name="LINE_ITEMS", value=1, detail={"LineItems": [
            {"ITEM": "Widget", "QUANTITY": "2", "PRICE": "19.00"}]}),
        d("identity", 2, name="FIRST_NAME", value="ANNA"),
        d("error", 2, engine="aws:textract:AnalyzeID",
          error="AnalyzeID failed: ProvisionedThroughputExceededException (HTTP 400)"),
    ]


def xss_docs():
    box = {"left": 0.2, "top": 0.2, "width": 0.4, "height": 0.5}
    return [
        dict(asset=XSS_ASSET, analysis="label", engine="local:centernet", name=XSS,
             confidence=97.5, timestamp=0, box=box),
        dict(asset=XSS_ASSET, analysis="text", engine="local:tesseract",
             name="</title><script>alert(3)</script>", confidence=88.0, timestamp=0,
             box={"left": 0.1, "top": 0.75, "width": 0.5, "height": 0.1}),
    ]


def many_docs(n=5000):
    """n label sightings over an hour (a frame every 2 s), with the track
    documents rekognitionsink would add, and three error documents."""
    asset = "file:///media/long.mp4"
    names = ["Person", "Car", "Tree", "Dog", "Building", "Sky", "Road", "Bicycle",
             "Cat", "Boat", "Chair", "Table", "Phone", "Bird", "Horse", "Bus"]
    docs, per_name, i = [], {}, 0
    while len(docs) < n:
        t = (i % 1800) * 2000
        for k, name in enumerate(names):
            if len(docs) < n and (i // (k + 2) + k) % 3 == 0:
                docs.append(dict(asset=asset, analysis="label", engine="local:centernet",
                                 name=name, confidence=80 + k, timestamp=t, frame=t * 25 // 1000,
                                 box={"left": 0.05 * (k % 8), "top": 0.1, "width": 0.2,
                                      "height": 0.3}))
                per_name.setdefault(name, []).append(t)
        i += 1
    for name, times in per_name.items():
        times = sorted(set(times))
        begin = prev = times[0]
        count = 1
        for t in times[1:] + [None]:
            if t is not None and t - prev < 2400:
                prev, count = t, count + 1
                continue
            docs.append(dict(asset=asset, analysis="track", kind="label", name=name,
                             engine="local:centernet", timestamp=begin, end=prev,
                             track={"name": name, "begin": begin, "end": prev,
                                    "count": count, "confidence": 85.0}))
            if t is not None:
                begin = prev = t
                count = 1
    for k in range(3):
        docs.append(dict(asset=asset, analysis="error", engine="local:centernet",
                         timestamp=100000 * (k + 1), error="frame %d could not be decoded" % k))
    return docs


def peer_env():
    """Chromium and Debian's Python are peers, not code under test: no
    sanitizer runtime in them."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def chromium(url, tmp, *extra):
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--user-data-dir=" + tempfile.mkdtemp(dir=tmp),
            "--enable-logging=stderr", "--v=0"] + list(extra) + [url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=90, env=peer_env())


@unittest.skipUnless(CHROMIUM, "Debian chromium is not installed")
class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-report-")
        cls.res = os.path.join(cls.tmp, "results")
        cls.analyze = tool("analyze", SAMPLE_VIDEO, "--backend", "local",
                           "--frame-capture-mode", "1f-every-2s", "--out", cls.res, "-q",
                           "--report")
        syn = os.path.join(cls.tmp, "written")
        os.makedirs(syn)
        write_jsonl(os.path.join(syn, "call.jsonl"), transcript_docs())
        write_jsonl(os.path.join(syn, "invoice.jsonl"), document_docs())
        write_jsonl(os.path.join(syn, "xss.jsonl"), xss_docs())
        cls.big = os.path.join(cls.tmp, "long.jsonl")
        write_jsonl(cls.big, many_docs())
        cls.page = os.path.join(cls.tmp, "all.html")
        t0 = time.monotonic()
        cls.report = tool("report", cls.res, syn, cls.big, "-o", cls.page)
        cls.report_s = time.monotonic() - t0
        with open(cls.page, encoding="utf-8") as f:
            cls.html = f.read()
        netlog = os.path.join(cls.tmp, "netlog.json")
        t0 = time.monotonic()
        cls.dom_run = chromium("file://" + cls.page, cls.tmp, "--dump-dom",
                               "--log-net-log=" + netlog)
        cls.load_s = time.monotonic() - t0
        cls.dom = cls.dom_run.stdout
        with open(netlog) as f:
            cls.netlog = f.read()
        os.makedirs(ARTEFACTS, exist_ok=True)
        cls.png = os.path.join(ARTEFACTS, "report.png")
        if os.path.exists(cls.png):
            os.unlink(cls.png)
        cls.shot = chromium("file://" + cls.page, cls.tmp, "--screenshot=" + cls.png,
                            "--window-size=1280,2000", "--hide-scrollbars")
        shutil.copy(cls.page, os.path.join(ARTEFACTS, "report.html"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_analyze_keeps_thumbnails_and_writes_pages(self):
        self.assertEqual(self.analyze.returncode, 0, self.analyze.stderr)
        video = [p for p in glob.glob(os.path.join(self.res, "*.jsonl"))
                 if "sample.mp4" in read(p)][0]
        stem = video[:-len(".jsonl")]
        self.assertTrue(os.path.isfile(stem + ".html"))
        thumbs = sorted(int(n[:-4]) for n in os.listdir(stem + ".thumbs"))
        times = {d["timestamp"] for d in map(json.loads, read(video).splitlines()) if "box" in d}
        self.assertTrue(times and times <= set(thumbs), (times, thumbs))
        with open(os.path.join(stem + ".thumbs", "%d.jpg" % thumbs[0]), "rb") as f:
            head = f.read(4)
        self.assertEqual(head[:2], b"\xff\xd8")
        page = read(stem + ".html")
        self.assertEqual(page.count("data:image/jpeg;base64,"), len(times))

    def test_incomplete_results_get_an_incomplete_page(self):
        # A photo cut short: its results are <asset>.incomplete.jsonl, and
        # so is its page, which says it; the whole photo then gets
        # <asset>.html and the incomplete page goes with the incomplete
        # results.
        with open("/usr/share/darknet/data/dog.jpg", "rb") as f:
            data = f.read()
        out = os.path.join(self.tmp, "cut")
        photo = os.path.join(self.tmp, "dog.jpg")
        with open(photo, "wb") as f:
            f.write(data[:len(data) * 3 // 4])
        cp = tool("analyze", photo, "--backend", "local", "--features", "labels", "--report",
                  "--no-thumbnails", "--out", out)
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["dog.incomplete.html", "dog.incomplete.jsonl"])
        self.assertIn("<strong>Incomplete:</strong>", read(os.path.join(out, "dog.incomplete.html")))
        with open(photo, "wb") as f:
            f.write(data)
        cp = tool("analyze", photo, "--backend", "local", "--features", "labels", "--report",
                  "--no-thumbnails", "--out", out)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["dog.html", "dog.jsonl"])
        self.assertNotIn("Incomplete:", read(os.path.join(out, "dog.html")))

    def test_no_thumbnails_option(self):
        # The graph without the thumbnail branch (an analysis of its own
        # would double this test's time; boxes over placeholders are
        # checked on the written results below).
        cp = tool("analyze", SAMPLE_IMAGE, "--backend", "local", "--dry-run", "--out", self.tmp)
        self.assertIn("jpegenc", cp.stdout)
        self.assertIn("name=mtthumbs", cp.stdout)
        cp = tool("analyze", SAMPLE_IMAGE, "--backend", "local", "--dry-run", "--out", self.tmp,
                  "--no-thumbnails")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertNotIn("mtthumbs", cp.stdout)

    def test_dom_holds_labels_and_tracks(self):
        self.assertEqual(self.report.returncode, 0, self.report.stderr)
        docs = [json.loads(l) for p in glob.glob(os.path.join(self.res, "*.jsonl"))
                for l in read(p).splitlines()]
        labels = {d["name"] for d in docs if d["analysis"] == "label"}
        tracks = {d["track"]["name"] for d in docs if d["analysis"] == "track"}
        self.assertTrue(labels and tracks)
        for name in labels | tracks:
            self.assertIn(">%s<" % name, self.dom)
        rows = re.findall(r'<tr class="track"><td>([^<]*)</td>', self.dom)
        self.assertTrue(tracks <= set(rows), (tracks, rows))
        self.assertIn('class="bar"', self.dom)
        self.assertIn('id="filter"', self.dom)

    def test_dom_holds_transcript_with_highlights(self):
        self.assertIn("please call the <mark class=\"kp\" title=\"key phrase\">customer "
                      "service department</mark> before noon tomorrow", self.dom)
        self.assertIn('<mark class="ent" title="PERSON">Alice Johnson</mark>', self.dom)
        self.assertIn('<mark class="ent" title="LOCATION">Paris</mark>', self.dom)
        self.assertIn("<b>spk_1:</b>", self.dom)

    def test_dom_holds_tables_and_fields(self):
        table = re.search(r'<table class="doc-table"><caption>Items</caption>(.*?)</table>',
                          self.dom).group(1)
        self.assertIn("<th>Item</th><th>Qty</th><th>Price</th>", table)
        self.assertIn("<td>Gadget &amp; Co &lt;b&gt;bold&lt;/b&gt;</td>", table)
        self.assertIn("Invoice number</th><td>INV-0042</td>", self.dom)
        self.assertIn("TOTAL <small>(Total due)</small></th><td>39.00 USD</td>", self.dom)
        self.assertIn("<caption>Line items</caption>", self.dom)
        self.assertIn("FIRST_NAME</th><td>ANNA</td>", self.dom)
        self.assertIn("<h4>Page 2</h4>", self.dom)

    def test_errors_shown_and_counted(self):
        self.assertIn("4 failed units", self.dom)
        self.assertIn("3 units failed", self.dom)
        self.assertIn("1 unit failed", self.dom)
        self.assertIn("ProvisionedThroughputExceededException", self.dom)
        self.assertIn("frame 2 could not be decoded", self.dom)

    def test_script_in_results_is_text(self):
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", self.dom)
        self.assertNotIn(XSS, self.dom)
        self.assertNotIn("<script>alert(3)", self.dom)
        self.assertNotIn("<img src=x", self.dom)
        self.assertEqual(self.dom.count("<script"), 1)
        # Its box is drawn over a placeholder: no thumbnails for it.
        self.assertIn("no thumbnail", self.dom)

    def test_thousands_of_sightings_are_aggregated(self):
        page = os.path.join(self.tmp, "long.html")
        t0 = time.monotonic()
        cp = tool("report", self.big, "-o", page)
        took = time.monotonic() - t0
        self.assertEqual(cp.returncode, 0, cp.stderr)
        html = read(page)
        rects = html.count("<rect")
        print("\n5,000 sightings: report in %.2f s, %d KB, %d SVG rects, %d listed rows; "
              "whole test page %.2f s to write, %.2f s to load in Chromium"
              % (took, len(html) // 1024, rects, html.count("<tr data-t"), self.report_s,
                 self.load_s))
        self.assertLess(rects, 2500)
        self.assertLess(html.count("<tr data-t"), 16 * 200 + 1)
        for row in re.findall(r'<svg viewBox[^>]*aria-label="Timeline.*?</svg>', html):
            for name in set(re.findall(r'aria-label="([A-Za-z]+) \d', row)):
                self.assertLessEqual(row.count('aria-label="%s ' % name), 61)
        self.assertIn("3 units failed", html)

    @staticmethod
    def page_requests(netlog):
        """URLs the page asked for, from Chromium's net log: requests with an
        initiator (the browser's own update and time checks have none)."""
        log = json.loads(netlog)
        start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        return [e["params"].get("url") for e in log["events"]
                if e["type"] == start
                and e.get("params", {}).get("initiator", "not an origin") != "not an origin"]

    def test_no_request_leaves_the_page(self):
        self.assertEqual(re.findall(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//', self.html,
                                    re.I), [])
        self.assertIn("default-src 'none'", self.html)
        self.assertEqual(self.page_requests(self.netlog), [])
        # The same check sees a page that does fetch something.
        control = os.path.join(self.tmp, "control.html")
        with open(control, "w") as f:
            f.write('<img src="http://127.0.0.1:%d/x.png">' % mtfixtures.free_port())
        netlog = os.path.join(self.tmp, "control-netlog.json")
        chromium("file://" + control, self.tmp, "--dump-dom", "--log-net-log=" + netlog)
        with open(netlog) as f:
            self.assertEqual(len(self.page_requests(f.read())), 1)

    def test_console_is_silent(self):
        log = self.dom_run.stderr + self.shot.stderr
        bad = [l for l in log.splitlines()
               if "CONSOLE" in l or "Uncaught" in l or "Refused" in l]
        self.assertEqual(bad, [])

    def test_screenshot_is_not_blank(self):
        self.assertTrue(os.path.getsize(self.png) > 10000, self.shot.stderr)
        cp = subprocess.run(["/usr/bin/python3", "-c",
                             "import sys; from PIL import Image\n"
                             "im = Image.open(sys.argv[1]).convert('RGB')\n"
                             "print(im.size[0], im.size[1], len(im.getcolors(1 << 20)))",
                             self.png], capture_output=True, text=True, env=peer_env())
        w, h, colours = map(int, cp.stdout.split())
        self.assertEqual((w, h), (1280, 2000))
        self.assertGreater(colours, 200)

    def test_bars_and_filter_work_with_the_keyboard(self):
        # The page's own script, driven: Enter on a bar opens its sightings
        # for that span; typing in the filter hides the other assets.
        probe = ("document.querySelector('.bar').dispatchEvent(new KeyboardEvent('keydown',"
                 "{key:'Enter'}));var f=document.getElementById('filter');f.value='invoice';"
                 "f.dispatchEvent(new Event('input'));var p=document.querySelector('.panel:not([hidden])');"
                 "document.body.setAttribute('data-probe',JSON.stringify({panel:p?p.id:null,"
                 "rows:p?p.querySelectorAll('tr[data-t]:not([hidden])').length:0,"
                 "shown:document.querySelectorAll('section.asset:not([hidden])').length}));")
        html = re.sub(r"script-src '[^']*'", "script-src 'unsafe-inline'", self.html)
        html = html.replace("</body>", "<script>%s</script></body>" % probe)
        page = os.path.join(self.tmp, "probe.html")
        with open(page, "w") as f:
            f.write(html)
        dom = chromium("file://" + page, self.tmp, "--dump-dom").stdout
        probe = json.loads(re.search(r"data-probe=\"([^\"]*)\"", dom).group(1)
                           .replace("&quot;", '"'))
        self.assertIsNotNone(probe["panel"])
        self.assertGreater(probe["rows"], 0)
        self.assertEqual(probe["shown"], 1)

    def test_results_in_s3(self):
        with mtfixtures.start_moto() as moto:
            s3 = mtfixtures.boto_client("s3", moto.url)
            s3.create_bucket(Bucket="results")
            body = "".join(json.dumps(d) + "\n" for d in document_docs())
            s3.put_object(Bucket="results", Key="batch/invoice.jsonl", Body=body.encode())
            s3.put_object(Bucket="results", Key="batch/ledger.txt", Body=b"not results")
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=moto.url)
            page = os.path.join(self.tmp, "s3.html")
            cp = tool("report", "s3://results/batch/", "-o", page, env=env)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertIn("INV-0042", read(page))
            cp = tool("report", "s3://results/batch/missing.jsonl", "-o", page, env=env)
            self.assertEqual(cp.returncode, 1)
            self.assertIn("missing.jsonl", cp.stderr)

    def test_exit_status(self):
        self.assertEqual(tool("report").returncode, 2)
        self.assertEqual(tool("report", "--bogus", self.big).returncode, 2)
        cp = tool("report", "/nonexistent/x.jsonl", "-o", os.path.join(self.tmp, "x.html"))
        self.assertEqual(cp.returncode, 1)
        self.assertIn("/nonexistent/x.jsonl", cp.stderr)
        empty = os.path.join(self.tmp, "empty.jsonl")
        with open(empty, "w") as f:
            f.write("not json\n")
        cp = tool("report", empty, "-o", os.path.join(self.tmp, "x.html"))
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no result documents", cp.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
