"""A failure is never reported as success (issue 11): mediatag's exit status,
what it says and which file names it writes when units fail (moto has no
DetectFaces), media is cut short (MP4 with and without audio, JPEG, PNG, cut
at several points), a signal stops it (SIGTERM, SIGHUP, twice), an image is
a decompression bomb, inputs share a name, options are wrong, the engine
cannot do a feature, the tool runs from its build tree without any plugin
path, and faces index / aws say what they do. Media is made here."""
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

import mtfixtures

TOOL = mtfixtures.TOOL
SAMPLE_VIDEO = os.path.join(mtfixtures.SOURCE_ROOT, "data", "sample.mp4")
SAMPLE_IMAGE = os.path.join(mtfixtures.SOURCE_ROOT, "data", "sample.jpg")
UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
MEDIA = tempfile.mkdtemp(prefix="mediatag-failures-")


def run_tool(*args, env=None, timeout=300, **kw):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True,
                          env=env or mtfixtures.gst_env(), timeout=timeout, **kw)


def analyze(*args, **kw):
    return run_tool("analyze", *args, **kw)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def make_clip(name, audio):
    """12 s of 320x240 H.264 (with AAC audio or without), moov at the front."""
    path = os.path.join(MEDIA, name)
    line = ("videotestsrc num-buffers=300 pattern=ball ! video/x-raw,width=320,height=240,"
            "framerate=25/1 ! x264enc speed-preset=ultrafast key-int-max=25 ! h264parse "
            "! mp4mux faststart=true name=m ! filesink location=%s" % path)
    if audio:
        line += " audiotestsrc num-buffers=517 ! audioconvert ! avenc_aac ! m."
    mtfixtures.gst_launch(line)
    return path


def cut(path, fraction, name):
    with open(path, "rb") as f:
        data = f.read()
    out = os.path.join(MEDIA, name)
    with open(out, "wb") as f:
        f.write(data[:int(len(data) * fraction)])
    return out


def make_bomb():
    """20000x20000 1-bit PNG: 49 KB on disk, 400 Mpx once decoded."""
    w = h = 20000

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    idat = zlib.compress(b"\x00" * ((w // 8 + 1) * h), 9)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0))
           + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    path = os.path.join(MEDIA, "bomb.png")
    with open(path, "wb") as f:
        f.write(png)
    return path


def run_measured(argv, limit_as=None):
    """Runs argv; returns (exit status, stdout, stderr, peak RSS in KiB of
    that process alone)."""
    def limit():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=mtfixtures.gst_env(),
                             preexec_fn=limit)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss


def outputs(d):
    """What a run left in d, but the frame thumbnails (<asset>.thumbs/)."""
    return sorted(f for f in os.listdir(d) if not f.endswith(".thumbs"))


def results_files(d):
    return [f for f in outputs(d) if f.endswith(".jsonl")]


def final_tracks(d):
    return [f for f in outputs(d) if f.endswith(".vtt") and not f.endswith(".incomplete.vtt")]


class Options(unittest.TestCase):
    """Every bad value is one line naming the option, the value and what is
    allowed, exit 2, before any input is looked at (the input here does not
    exist, and the error is still about the option)."""

    def assert_usage(self, cp, *words):
        self.assertEqual(cp.returncode, 2, cp.stderr)
        lines = [l for l in cp.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, cp.stderr)
        for w in words:
            self.assertIn(w, lines[0])
        self.assertNotIn("no such file", cp.stderr)

    def ai_file(self, text):
        fd, path = tempfile.mkstemp(suffix=".json", dir=MEDIA)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def test_values(self):
        cases = [
            (["-c", "-5"], ["--min-confidence -5", "0 to 100"]),
            (["--min-confidence", "eighty"], ["--min-confidence eighty", "0 to 100"]),
            (["--text-roi", "9,10"], ["--text-roi 9,10", "0", "8"]),
            (["--features", "bogus"], ["--features bogus", '"bogus"', "labels", "faces",
                                       "celebrities", "ppe", "tables", "identity",
                                       "keyphrases", "sentiment"]),
            (["--pages", "abc"], ["--pages abc", "e.g. 1-5,9"]),
            (["--pages", "3-1"], ["--pages 3-1"]),
            (["--pages", "0"], ["--pages 0"]),
            (["--max-tps", "fast"], ["--max-tps fast", "requests per second"]),
            (["--features", "labels+Faces"], ['"Faces"']),
            (["--frame-capture-mode", "7"], ["--frame-capture-mode 7", "1002"]),
            (["--backend", "cloud"], ["--backend cloud", "auto, aws or local"]),
            (["--max-pixels", "lots"], ["--max-pixels lots"]),
            (["--features", "face-search"], ["face-search", "--collection-id"]),
        ]
        for args, words in cases:
            with self.subTest(args=args):
                self.assert_usage(analyze("/nonexistent/x.jpg", *args), *words)

    def test_ai_options(self):
        cases = [
            ('{"label": true, "minConfidence": 500}', ['"minConfidence"', "500", "0 to 100"]),
            ('{"label": "yes"}', ['"label"', '"yes"', "true or false"]),
            ('{"label": true, "textROI": [true, 1]}', ['"textROI"']),
            ('{\n  "label": true,\n  "minConfidence": 60\n',
             ["not valid JSON", "line 1, column 1", "never closed", "'}'"]),
            ('{"label": true, "x": [1, 2}\n', ["line 1, column 27", "'[' opened at line 1, "
                                                "column 22 needs ']'"]),
        ]
        for text, words in cases:
            with self.subTest(text=text):
                path = self.ai_file(text)
                self.assert_usage(analyze("/nonexistent/x.jpg", "--ai-options", path),
                                  "--ai-options %s" % path, *words)

    def test_inputs(self):
        d = tempfile.mkdtemp(dir=MEDIA)
        loop = os.path.join(d, "loop.jpg")
        os.symlink(os.path.join(d, "loop2.jpg"), loop)
        os.symlink(loop, os.path.join(d, "loop2.jpg"))
        cp = analyze(loop, "--out", d)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("Too many levels of symbolic links", cp.stderr)
        self.assertNotIn("no such file", cp.stderr)
        # The content decides: a PDF named .jpg is a document (this one has
        # no page, which is an error, not "nothing found").
        pdf = os.path.join(d, "scan.jpg")
        with open(pdf, "wb") as f:
            f.write(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        cp = analyze(pdf, "--out", d, "--backend", "local")
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("scan.jpg: document", cp.stderr)
        self.assertNotIn("Nothing found", cp.stdout)
        self.assertEqual([f for f in outputs(d) if f.endswith(".jsonl")], [])

    def test_help_documents_exit_status(self):
        cp = analyze("--help")
        self.assertEqual(cp.returncode, 0)
        for w in ("Exit status", "3 partial", "2 usage", "incomplete.jsonl", "SHA-256"):
            self.assertIn(w, cp.stdout)


@unittest.skipUnless(mtfixtures.HAVE_MODELS, "vision models missing: run tools/fetch-models")
class Media(unittest.TestCase):
    """Truncated media is analysed as far as it goes, kept under an
    incomplete name, named as such, and exit 3; whole media is not."""

    @classmethod
    def setUpClass(cls):
        cls.with_audio = make_clip("clip-audio.mp4", True)
        cls.no_audio = make_clip("clip-noaudio.mp4", False)

    def run_local(self, path, *extra):
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(path, "--backend", "local", "--features", "labels",
                     "--frame-capture-mode", "1f-every-5s", "--out", out, *extra)
        return cp, out

    def test_gif_bmp_and_cmyk_jpeg_images(self):
        # Images decodebin hands to decoders that hang (libav's GIF demuxer
        # never ends) or fail (libav BMP: no frame; jpegdec: CMYK): each is
        # analysed whole, within the timeout, exit 0 (one run: the models
        # load once).
        paths = []
        for fmt, args in (("gif", []), ("bmp", []), ("jpg", ["-colorspace", "CMYK"])):
            paths.append(os.path.join(MEDIA, "photo-%s.%s" % (fmt, fmt)))
            subprocess.run([mtfixtures.CONVERT, SAMPLE_IMAGE] + args + [paths[-1]], check=True)
        cp, out = self.run_local(*paths)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        names = [os.path.basename(p)[:-4] for p in paths]
        self.assertEqual(results_files(out), sorted(n + ".jsonl" for n in names))
        for name in names:
            with self.subTest(image=name):
                self.assertTrue(any(d["analysis"] == "label" for d in
                                    read_jsonl(os.path.join(out, name + ".jsonl"))))

    def test_whole_clips(self):
        for path in (self.with_audio, self.no_audio):
            with self.subTest(path=os.path.basename(path)):
                cp, out = self.run_local(path)
                name = os.path.basename(path)[:-4]
                self.assertEqual(cp.returncode, 0, cp.stderr)
                self.assertEqual(results_files(out), [name + ".jsonl"])
                self.assertNotIn("incomplete", " ".join(outputs(out)))
                self.assertNotIn("Incomplete", cp.stdout)
                self.assertNotIn("incomplete", cp.stderr)

    def test_truncated_clips(self):
        # 90 %: only the container says it is cut (the last sample's time
        # is within one sampling interval of the stated end).
        for src, fraction in ((self.with_audio, 0.3), (self.no_audio, 0.9)):
            with self.subTest(audio=src == self.with_audio, fraction=fraction):
                name = "cut%d-%s" % (fraction * 100, os.path.basename(src)[:-4])
                cp, out = self.run_local(cut(src, fraction, name + ".mp4"))
                self.assertEqual(cp.returncode, 3, cp.stderr)
                self.assertEqual(results_files(out), [name + ".incomplete.jsonl"])
                self.assertEqual(final_tracks(out), [])
                self.assertIn("the file is truncated", cp.stderr)
                self.assertNotIn("Nothing found.", cp.stdout)
                self.assertIn("Incomplete", cp.stdout)
                if fraction < 0.5:
                    # Where it stopped, against the duration the file states
                    # (a sparse mode's last sample may be one interval early).
                    self.assertRegex(cp.stderr, r"stopped at 0:0\d\.\d of 0:12\.0")

    def test_clip_cut_before_its_index_says_so(self):
        # moov at the end, cut off: nothing can be played, and the error
        # says first that the file is cut short.
        path = os.path.join(MEDIA, "moov-last.mp4")
        mtfixtures.gst_launch("videotestsrc num-buffers=50 ! video/x-raw,width=160,height=120,"
                              "framerate=25/1 ! x264enc speed-preset=ultrafast ! h264parse ! "
                              "mp4mux ! filesink location=%s" % path)
        cp, out = self.run_local(cut(path, 0.5, "moov-last-cut.mp4"))
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertRegex(cp.stderr, r"moov-last-cut\.mp4: the file is truncated: it has \d+ of "
                                    r"the \d+ bytes its MP4 header declares; cannot read")
        self.assertEqual(results_files(out), [])

    def test_truncated_video_tracks_are_not_final(self):
        cp, out = self.run_local(cut(SAMPLE_VIDEO, 0.5, "halfsample.mp4"),
                                 "--frame-capture-mode", "1fps")
        self.assertEqual(cp.returncode, 3, cp.stderr)
        files = outputs(out)
        self.assertIn("halfsample.incomplete.jsonl", files)
        self.assertTrue([f for f in files if f.endswith(".incomplete.vtt")], files)
        self.assertEqual([f for f in files if f.endswith(".vtt")
                          and not f.endswith(".incomplete.vtt")], [])
        self.assertNotIn("halfsample.jsonl", files)

    def test_truncated_images(self):
        png = os.path.join(MEDIA, "sample.png")
        subprocess.run([mtfixtures.CONVERT, SAMPLE_IMAGE, png], check=True)
        for src, fraction, missing in ((SAMPLE_IMAGE, 0.6, "end-of-image"),
                                       (png, 0.5, "IEND")):
            with self.subTest(src=os.path.basename(src), fraction=fraction):
                name = "cut%d%s" % (fraction * 100, os.path.basename(src).replace(".", "-"))
                cp, out = self.run_local(cut(src, fraction, name + os.path.splitext(src)[1]))
                self.assertEqual(cp.returncode, 3, cp.stderr)
                self.assertEqual(outputs(out), [name + ".incomplete.jsonl"])
                self.assertIn(missing, cp.stderr)
                self.assertNotIn("Nothing found.", cp.stdout)

    def test_same_names_do_not_overwrite(self):
        a = os.path.join(MEDIA, "a")
        os.makedirs(a, exist_ok=True)
        local = os.path.join(a, "dog.jpg")
        subprocess.run([mtfixtures.CONVERT, SAMPLE_IMAGE, "-resize", "50%", local], check=True)
        with mtfixtures.start_moto() as moto:
            s3 = mtfixtures.boto_client("s3", moto.url)
            s3.create_bucket(Bucket="bkt")
            s3.upload_file("/usr/share/darknet/data/dog.jpg", "bkt", "dog.jpg")
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=moto.url)
            out = tempfile.mkdtemp(dir=MEDIA)
            runs = []
            for _ in range(2):
                cp = analyze(local, "s3://bkt/dog.jpg", "--backend", "local", "--features",
                             "labels", "--out", out, "-q", env=env)
                self.assertEqual(cp.returncode, 0, cp.stderr)
                runs.append(outputs(out))
        files = runs[0]
        self.assertEqual(runs[0], runs[1])          # a rerun finds the same names
        self.assertEqual(len(files), 2, files)
        assets = set()
        for f in files:
            self.assertRegex(f, r"^dog-[0-9a-f]{8}\.jsonl$")
            docs = read_jsonl(os.path.join(out, f))
            self.assertTrue(docs, f)
            assets |= {d["asset"] for d in docs}
        self.assertEqual(assets, {"file://" + local, "s3://bkt/dog.jpg"})

    def test_quiet_prints_no_table(self):
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(SAMPLE_IMAGE, "--backend", "local", "--features", "labels", "--out", out,
                     "-q")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "")
        self.assertEqual(cp.stderr, "")
        self.assertTrue(read_jsonl(os.path.join(out, "sample.jsonl")))

    def test_features_the_engine_cannot_do(self):
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(SAMPLE_IMAGE, "--backend", "local", "--features", "ppe+celebrities",
                     "--out", out)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("cannot do any of them", cp.stderr)
        self.assertNotIn("Nothing found.", cp.stdout)
        self.assertEqual(outputs(out), [])
        cp = analyze(SAMPLE_IMAGE, "--backend", "local", "--features", "labels+ppe",
                     "--out", out)
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertIn("Not analysed (the engine cannot do them): ppe", cp.stdout)
        self.assertIn("Dog", cp.stdout)


class Bomb(unittest.TestCase):
    def test_refused_before_decoding(self):
        bomb = make_bomb()
        self.assertLess(os.path.getsize(bomb), 400 * 1024)
        out = tempfile.mkdtemp(dir=MEDIA)
        status, _, err, peak_kb = run_measured(
            [TOOL, "analyze", bomb, "--backend", "local", "--out", out],
            limit_as=None if UNDER_ASAN else 1 << 30)
        self.assertEqual(status, 1, err)
        self.assertIn("20000x20000 (400.0 Mpx), above the limit of 80.0 Mpx", err)
        self.assertIn("--max-pixels", err)
        self.assertEqual(outputs(out), [])
        if not UNDER_ASAN:
            self.assertLess(peak_kb, 200 * 1024)
        # A lower limit refuses an ordinary photo the same way, by its header.
        cp = analyze(SAMPLE_IMAGE, "--max-pixels", "0.1M", "--out", out)
        self.assertEqual(cp.returncode, 2, cp.stderr)
        cp = analyze(SAMPLE_IMAGE, "--max-pixels", "100000", "--out", out)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("above the limit of 0.1 Mpx", cp.stderr)
        # 0 is no limit, for the element too (it has a default of its own);
        # a negative number is refused, not read as 2^64 - 5.
        cp = analyze(SAMPLE_IMAGE, "--max-pixels", "0", "--dry-run", "--out", out)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn(" max-pixels=0 ", cp.stdout)
        cp = analyze(SAMPLE_IMAGE, "--max-pixels", "-5", "--out", out)
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("--max-pixels -5: not allowed", cp.stderr)

    @unittest.skipIf(UNDER_ASAN, "address-space limits do not apply under ASan")
    @unittest.skipUnless(mtfixtures.HAVE_MODELS, "vision models missing")
    def test_ordinary_analysis_fits_in_1gb(self):
        big = os.path.join(MEDIA, "big.jpg")
        subprocess.run([mtfixtures.CONVERT, SAMPLE_IMAGE, "-resize", "3000x2000!", big],
                       check=True)
        out = tempfile.mkdtemp(dir=MEDIA)
        status, _, err, peak_kb = run_measured(
            [TOOL, "analyze", big, "--backend", "local", "--features", "labels+faces",
             "--out", out, "-q"], limit_as=1 << 30)
        self.assertEqual(status, 0, err)
        self.assertLess(peak_kb, 1024 * 1024)
        self.assertTrue(read_jsonl(os.path.join(out, "big.jsonl")))


@unittest.skipUnless(mtfixtures.HAVE_MODELS, "vision models missing: run tools/fetch-models")
class Signals(unittest.TestCase):
    def start(self, out):
        p = subprocess.Popen([TOOL, "analyze", SAMPLE_VIDEO, "--backend", "local", "--out", out,
                              "--frame-capture-mode", "all", "--features", "labels", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=mtfixtures.gst_env())
        parts = [os.path.join(out, "sample.jsonl.part"), os.path.join(out, "sample.jsonl.part.part")]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                os.path.exists(p) and os.path.getsize(p) > 0 for p in parts):
            time.sleep(0.1)
        time.sleep(1)
        return p

    def check_kept(self, out, err):
        self.assertIn("incomplete", err)
        self.assertEqual(results_files(out), ["sample.incomplete.jsonl"])
        self.assertEqual(final_tracks(out), [])
        self.assertFalse([f for f in outputs(out) if f.endswith(".part")], outputs(out))
        return read_jsonl(os.path.join(out, "sample.incomplete.jsonl"))  # whole lines only

    def test_sigterm_and_sighup_drain_and_keep(self):
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                out = tempfile.mkdtemp(dir=MEDIA)
                p = self.start(out)
                p.send_signal(sig)
                _, err = p.communicate(timeout=120)
                self.assertEqual(p.returncode, 128 + sig, err)
                docs = self.check_kept(out, err)
                frames = sorted({d["frame"] for d in docs if "frame" in d})
                self.assertTrue(frames)
                self.assertLess(frames[-1], 299)

    def test_second_signal_stops_at_once(self):
        out = tempfile.mkdtemp(dir=MEDIA)
        p = self.start(out)
        p.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 143, err)
        self.assertIn("stopping at once", err)
        self.check_kept(out, err)


class FailedUnits(unittest.TestCase):
    """moto answers DetectFaces with a 500: every unit fails."""

    def test_failures_are_counted_and_named(self):
        with mtfixtures.start_moto() as moto:
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=moto.url)
            out = tempfile.mkdtemp(dir=MEDIA)
            cp = analyze("/usr/share/darknet/data/eagle.jpg", "--backend", "aws", "--features",
                         "faces", "--out", out, env=env)
            docs = read_jsonl(os.path.join(out, "eagle.jsonl"))
            ok = analyze("/usr/share/darknet/data/eagle.jpg", "--backend", "aws", "--features",
                         "labels", "--out", out, "-q", env=env)
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertNotIn("Nothing found.", cp.stdout)
        self.assertIn("1 of 1 units failed", cp.stdout)
        self.assertRegex(cp.stderr, r"1 of 1 units failed: DetectFaces: InternalError \(HTTP 500\)")
        self.assertEqual({d["analysis"] for d in docs}, {"error"})
        # The same asset, a feature moto answers: all done, exit 0.
        self.assertEqual(ok.returncode, 0, ok.stderr)

    def test_nothing_found_only_when_all_was_analysed(self):
        blank = os.path.join(MEDIA, "blank.png")
        subprocess.run([mtfixtures.CONVERT, "-size", "320x240", "xc:gray", blank], check=True)
        if not mtfixtures.HAVE_MODELS:
            self.skipTest("vision models missing")
        cp = analyze(blank, "--backend", "local", "--features", "labels", "--out",
                     tempfile.mkdtemp(dir=MEDIA))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "Nothing found.\n")

    def test_models_list_names_the_action(self):
        port = mtfixtures.free_port()
        server = mtfixtures.Server([sys.executable, "-m", "http.server", str(port), "--bind",
                                    "127.0.0.1"], port)
        with server:
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=server.url)
            cp = run_tool("models", "list", env=env, timeout=120)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("DescribeProjects: ", cp.stderr)
        self.assertIn("HTTP 501", cp.stderr)


class BuildTree(unittest.TestCase):
    def test_runs_without_plugin_path(self):
        env = mtfixtures.gst_env()
        env.pop("GST_PLUGIN_PATH", None)
        env["GST_REGISTRY"] = os.path.join(tempfile.mkdtemp(dir=MEDIA), "registry.bin")
        cp = analyze(SAMPLE_VIDEO, "--dry-run", env=env)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("framesampler", cp.stdout)
        if mtfixtures.HAVE_MODELS:
            out = tempfile.mkdtemp(dir=MEDIA)
            cp = analyze(SAMPLE_VIDEO, "--backend", "local", "--features", "labels",
                         "--frame-capture-mode", "1f-every-5s", "--out", out, "-q", env=env)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertIn("Dog", {d.get("name") for d in read_jsonl(os.path.join(out,
                                                                              "sample.jsonl"))})


class OtherVerbs(unittest.TestCase):
    def test_aws_session_token_is_temporary(self):
        env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="x",
                                 AWS_SESSION_TOKEN="token", AWS_REGION="us-east-1")
        cp = run_tool("aws", env=env)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("temporary (session token)", cp.stdout)
        self.assertNotIn("long-term", cp.stdout)
        env.pop("AWS_SESSION_TOKEN")
        self.assertIn("long-term", run_tool("aws", env=env).stdout)

    @unittest.skipUnless(mtfixtures.HAVE_MODELS and os.path.exists(
        os.path.join(mtfixtures.FACE_DEMO, "sample1.jpg")), "face models or photos missing")
    def test_faces_index_refuses_a_group_under_one_name(self):
        coll = tempfile.mkdtemp(dir=MEDIA)
        group = os.path.join(mtfixtures.FACE_DEMO, "sample1.jpg")
        cp = run_tool("faces", "index", "people", group, "--external-id", "alice",
                      "--collections-dir", coll)
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertRegex(cp.stderr, r"holds \d faces; all of them would be indexed as \"alice\"")
        self.assertIn("--largest-face", cp.stderr)
        listed = run_tool("faces", "list", "people", "--collections-dir", coll)
        self.assertEqual(json.loads(listed.stdout or '{"Faces": []}')["Faces"], [])
        cp = run_tool("faces", "index", "people", group, "--external-id", "alice",
                      "--largest-face", "--collections-dir", coll)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(len(json.loads(cp.stdout)["FaceRecords"]), 1)


# meson runs the file as two tests so two cores share it: "media" (the
# analysis runs of truncated media and signals) and "rest" (every other
# class, new ones included). No argument: all of it.
MEDIA_PART = ("Media", "Signals")


def part_names(part):
    classes = [n for n, v in sorted(globals().items())
               if isinstance(v, type) and issubclass(v, unittest.TestCase)]
    if part == "media":
        return list(MEDIA_PART)
    return [n for n in classes if n not in MEDIA_PART]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("media", "rest"):
        sys.argv[1:2] = part_names(sys.argv[1])
    unittest.main(verbosity=2)
