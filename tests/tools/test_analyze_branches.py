"""mediatag analyze runs the audio, document and comprehend branches (issues
12, 13, 14, "In the main job"): speech in a WAV and in a video's audio track
(the video's frames analysed in the same pipeline), subtitles with the word
times, a ruled table in a PDF and in a photo written as CSV, comprehend's
documents pointing at the transcript, the aiOptions fields of those
branches, a truncated WAV kept as incomplete with exit status 3, and the
summary lines. All media is made here (flite speech, a hand-written PDF)."""
import json
import os
import pty
import random
import re
import subprocess
import tempfile
import unittest
import wave

import mtfixtures

TOOL = mtfixtures.TOOL
MEDIA = tempfile.mkdtemp(prefix="mediatag-branches-")
CONVERT = "/usr/bin/convert"  # ImageMagick's own, not a stand-in on PATH
SPEECH = ("Please call the customer service department before noon "
          "tomorrow. Sarah Chen flew to Paris on Monday.")
ROWS = [("Fruit", "Count", "Price"), ("Apples", "12", "3.50"),
        ("Pears", "7", "2.25"), ("Plums, red", "30", "9.00")]
# RFC 4180: CRLF, a field with a comma quoted.
CSV = (b"Fruit,Count,Price\r\nApples,12,3.50\r\nPears,7,2.25\r\n"
       b"\"Plums, red\",30,9.00\r\n")


def analyze(*args, timeout=300):
    return subprocess.run([TOOL, "analyze", "--backend", "local"] + list(args),
                          capture_output=True, text=True, env=mtfixtures.gst_env(),
                          timeout=timeout)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def path(name):
    return os.path.join(MEDIA, name)


def make_wav():
    wav = path("call.wav")
    subprocess.run(["flite", "-voice", "slt", "-t", SPEECH, "-o", wav], check=True)
    return wav


def make_clip(wav):
    """8 s of H.264 video with the flite speech as AAC."""
    clip = path("talk.mp4")
    mtfixtures.gst_launch(
        "videotestsrc num-buffers=200 pattern=ball ! video/x-raw,width=320,height=240,"
        "framerate=25/1 ! x264enc speed-preset=ultrafast key-int-max=25 ! h264parse "
        "! mp4mux faststart=true name=m ! filesink location=%s "
        "filesrc location=%s ! wavparse ! audioconvert ! audioresample ! avenc_aac ! m."
        % (clip, wav))
    return clip


def make_table_pdf(pdf, x0=72, y0=700, colw=(150, 100, 100), rowh=24):
    """A born-digital page (Helvetica) with a ruled table of ROWS."""
    ops = ["0.8 w"]
    width, n = sum(colw), len(ROWS)
    for r in range(n + 1):
        ops.append("%d %d m %d %d l S" % (x0, y0 - r * rowh, x0 + width, y0 - r * rowh))
    x = x0
    for w in list(colw) + [0]:
        ops.append("%d %d m %d %d l S" % (x, y0, x, y0 - n * rowh))
        x += w
    for r, row in enumerate(ROWS):
        x = x0
        for w, cell in zip(colw, row):
            ops.append("BT /F1 12 Tf %d %d Td (%s) Tj ET" % (x + 6, y0 - r * rowh - 17, cell))
            x += w
    mtfixtures.write_pdf(pdf, ["\n".join(ops).encode()])


def cues(text, sep):
    """[(start ms, end ms, text)] of a WebVTT (sep '.') or SRT (sep ',') file."""
    pat = r"(\d\d):(\d\d):(\d\d)%s(\d{3}) --> (\d\d):(\d\d):(\d\d)%s(\d{3})\n(.+)" % (sep, sep)
    ms = lambda h, m, s, f: ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f)
    return [(ms(*g[:4]), ms(*g[4:8]), g[8]) for g in re.findall(pat, text)]


def word_errors(hyp, ref):
    """Word-level edit distance, case and punctuation aside."""
    h = re.sub(r"[^a-z' ]", "", hyp.lower()).split()
    r = re.sub(r"[^a-z' ]", "", ref.lower()).split()
    d = list(range(len(r) + 1))
    for i in range(1, len(h) + 1):
        prev, d[0] = d[:], i
        for j in range(1, len(r) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (h[i - 1] != r[j - 1]))
    return d[len(r)]


def words_of(docs):
    return [w for d in docs if d["analysis"] == "transcript" for w in d["detail"]["words"]]


class Speech(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wav = make_wav()

    def check_subtitles(self, out, name, docs):
        words = words_of(docs)
        with open(os.path.join(out, name + ".transcript.vtt")) as f:
            vtt = f.read()
        with open(os.path.join(out, name + ".transcript.srt")) as f:
            srt = f.read()
        self.assertTrue(vtt.startswith("WEBVTT\n\n"))
        v, s = cues(vtt, r"\."), cues(srt, ",")
        self.assertEqual(v, s, "the same cues in both files")
        self.assertTrue(srt.startswith("1\n"))
        # Cues are the words in order, with the words' own times.
        self.assertEqual(" ".join(c[2] for c in v), " ".join(w["word"] for w in words))
        self.assertEqual(v[0][0], words[0]["start"])
        self.assertEqual(v[-1][1], words[-1]["end"])
        self.assertTrue(all(len(c[2]) <= 42 for c in v), v)
        self.assertTrue(all(a[1] <= b[0] for a, b in zip(v, v[1:])), v)

    def check_comprehend(self, docs):
        ids = [d["id"] for d in docs]
        self.assertEqual(len(ids), len(set(ids)), "every document once")
        transcripts = {d["id"] for d in docs if d["analysis"] == "transcript"}
        nlp = [d for d in docs if d["analysis"] in ("keyphrase", "entity", "sentiment")]
        self.assertTrue({"keyphrase", "sentiment"} <= {d["analysis"] for d in nlp}, nlp)
        for d in nlp:
            self.assertIn(d["source"], transcripts)

    def test_wav(self):
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(self.wav, "--out", out)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertNotIn("not supported", cp.stderr)
        docs = read_jsonl(os.path.join(out, "call.jsonl"))
        said = " ".join(w["word"] for w in words_of(docs))
        for word in ("customer", "service", "department", "tomorrow"):
            self.assertIn(word, said)
        self.check_subtitles(out, "call", docs)
        self.check_comprehend(docs)
        # The summary: first words and length of the transcript.
        m = re.search(r"Transcript: (\d+) segments?, (\d+) words, ([\d.]+) s of speech: "
                      r"\"(.*)\"", cp.stdout)
        self.assertTrue(m, cp.stdout)
        self.assertEqual(int(m.group(2)), len(words_of(docs)))
        self.assertTrue(m.group(4).startswith(words_of(docs)[0]["word"]))
        self.assertIn("Key phrases: ", cp.stdout)
        self.assertEqual(sorted(os.listdir(out)),
                         ["call.jsonl", "call.transcript.srt", "call.transcript.vtt"])

    def test_video_with_speech(self):
        clip = make_clip(self.wav)
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(clip, "--out", out, "--features", "labels", "--frame-capture-mode",
                     "1f-every-5s", "--print-pipeline")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        # One pipeline, both branches.
        lines = [l for l in cp.stdout.splitlines() if l.startswith("gst-launch-1.0")]
        self.assertEqual(len(lines), 1, cp.stdout)
        self.assertIn("rekognitionsink", lines[0])
        self.assertIn("transcribesink", lines[0])
        docs = read_jsonl(os.path.join(out, "talk.jsonl"))
        # The whole speech, from its first words to its last: the audio
        # branch has its own source, so framesampler's seeks (1f-every-5s
        # seeks past 5 s of a shared decodebin) cannot skip any of it, however
        # far behind the speech analysis is (once, under load, only "... earn
        # some money", the end, was left).
        words = words_of(docs)
        said = " ".join(w["word"] for w in words)
        self.assertTrue(said.startswith("please call the customer service"), said)
        self.assertIn("department before noon tomorrow", said)
        self.assertLessEqual(word_errors(said, SPEECH), len(SPEECH.split()) // 4, said)
        self.assertLess(words[0]["start"], 1000)
        with wave.open(self.wav) as w:
            speech_ms = 1000 * w.getnframes() // w.getframerate()
        self.assertGreater(words[-1]["end"], speech_ms - 1500)
        self.check_subtitles(out, "talk", docs)
        self.check_comprehend(docs)

    def test_progress_of_long_audio(self):
        # 30 s, the speech 3 s in, a quiet room after it: the progress line
        # follows the audio the speech analysis has taken (not only its
        # segments, which come once a sentence has ended), with an ETA, and
        # ends at the duration with the segments counted.
        with wave.open(self.wav) as w:
            params, speech = w.getparams(), w.readframes(w.getnframes())
        rate = params.framerate
        speech_s = len(speech) / 2 / rate
        rnd = random.Random(3)
        noise = b"".join(rnd.randint(-30, 30).to_bytes(2, "little", signed=True)
                         for _ in range(rate))
        quiet = lambda s: (noise * (int(s) + 1))[:int(rate * s) * 2]
        long_wav = path("long.wav")
        with wave.open(long_wav, "wb") as w:
            w.setparams(params)
            w.writeframes(quiet(3) + speech + quiet(30 - 3 - speech_s))
        out = tempfile.mkdtemp(dir=MEDIA)
        master, slave = pty.openpty()
        proc = subprocess.Popen([TOOL, "analyze", "--backend", "local", long_wav, "--out", out],
                                stdout=subprocess.PIPE, stderr=slave, env=mtfixtures.gst_env())
        os.close(slave)
        term = b""
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not data:
                break
            term += data
        os.close(master)
        stdout = proc.communicate(timeout=300)[0].decode()
        self.assertEqual(proc.returncode, 0, term.decode(errors="replace"))
        pat = re.compile(r"\] +(\d+)%  (\d+):(\d\d\.\d) / 0:(\d\d\.\d)  (\d+) segments"
                         r"(  ETA \d+ s)?")
        shown = [(int(m.group(1)), int(m.group(2)) * 60 + float(m.group(3)), int(m.group(5)),
                  bool(m.group(6))) for m in pat.finditer(term.decode(errors="replace"))]
        self.assertEqual(len(shown), term.count(b"\r["), term)
        self.assertTrue(shown, term)
        positions = [p for _, p, _, _ in shown]
        self.assertEqual(positions, sorted(positions), "the position never goes back")
        # Moving while the sentence is heard, before its segment is out.
        during = [p for _, p, n, _ in shown if 3.5 < p < 3 + speech_s and n == 0]
        self.assertGreaterEqual(len(set(during)), 2, shown)
        self.assertTrue(any(eta for *_, eta in shown), shown)
        docs = [d for d in read_jsonl(os.path.join(out, "long.jsonl"))
                if d["analysis"] == "transcript"]
        self.assertTrue(docs)
        self.assertEqual(shown[-1][0], 100)
        self.assertAlmostEqual(shown[-1][1], 30.0, delta=0.15)
        self.assertEqual(shown[-1][2], len(docs))
        self.assertIn("Transcript: %d segment" % len(docs), stdout)

    def test_truncated_wav(self):
        with open(self.wav, "rb") as f:
            data = f.read()
        cut = path("cut.wav")
        with open(cut, "wb") as f:
            f.write(data[:len(data) * 6 // 10])
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(cut, "--out", out)
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertIn("the file is truncated", cp.stderr)
        files = sorted(os.listdir(out))
        self.assertIn("cut.incomplete.jsonl", files)
        self.assertNotIn("cut.jsonl", files)
        self.assertNotIn("cut.transcript.vtt", files)
        self.assertIn("Incomplete", cp.stdout)

    def test_ai_options(self):
        ai = path("ai.json")
        with open(ai, "w") as f:
            json.dump({"input": {"aiOptions": {
                "transcribe": True, "languageCode": "en-US", "customVocabulary": "shop-words",
                "customLanguageModel": "shop-model", "textract": True,
                "keyphrase": True, "entity": False, "sentiment": False}}}, f)
        cp = analyze(self.wav, "--ai-options", ai, "--dry-run")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertNotIn("not analysed", cp.stderr)
        line = cp.stdout
        self.assertIn('language-code="en-US"', line)
        self.assertIn('vocabulary-name="shop-words"', line)
        self.assertIn('language-model-name="shop-model"', line)
        self.assertIn("comprehend features=keyphrases ", line)
        # Turned off, the asset's only analysis is an error, not success.
        with open(ai, "w") as f:
            json.dump({"transcribe": False}, f)
        cp = analyze(self.wav, "--ai-options", ai, "--out", MEDIA)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("transcribe false", cp.stderr)
        with open(ai, "w") as f:
            json.dump({"keyphrase": False, "entity": False, "sentiment": False}, f)
        cp = analyze(self.wav, "--ai-options", ai, "--dry-run")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertNotIn("comprehend", cp.stdout)


class Documents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pdf = path("fruit.pdf")
        make_table_pdf(cls.pdf)

    def test_pdf_table(self):
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(self.pdf, "--out", out)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        with open(os.path.join(out, "fruit.p1.t1.csv"), "rb") as f:
            self.assertEqual(f.read(), CSV)
        docs = read_jsonl(os.path.join(out, "fruit.jsonl"))
        kinds = {d["analysis"] for d in docs}
        self.assertTrue({"document", "table", "text"} <= kinds, kinds)
        self.assertTrue(kinds & {"keyphrase", "entity", "sentiment"}, kinds)
        ids = [d["id"] for d in docs]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertIn("Document: 1 page with text, 1 table, 0 fields", cp.stdout)

    def test_features_the_local_engine_cannot_do_are_named(self):
        # The local engine reads text but finds no signatures or layout:
        # the run is partial (exit 3) and says what was not analysed, as
        # for frames.
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(self.pdf, "--out", out, "--features", "text+signatures+layout",
                     "--backend", "local")
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertIn("not analysed: signatures, layout (the local engine cannot do them",
                      cp.stderr)
        self.assertIn("Not analysed (the engine cannot do them): signatures, layout", cp.stdout)
        self.assertTrue(any(d["analysis"] == "text"
                            for d in read_jsonl(os.path.join(out, "fruit.jsonl"))))

    def test_encrypted_pdf_with_a_password_file(self):
        locked = path("locked.pdf")
        subprocess.run(["qpdf", "--encrypt", "s3cret-pw", "s3cret-pw", "256", "--",
                        self.pdf, locked], check=True)
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(locked, "--out", out)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("The PDF is encrypted", cp.stderr)
        self.assertIn("--pdf-password-file", cp.stderr)
        pw = path("pw.txt")
        with open(pw, "w") as f:
            f.write("s3cret-pw\n")
        cp = analyze(locked, "--out", out, "--pdf-password-file", pw, "-p")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertNotIn("s3cret-pw", cp.stdout + cp.stderr)
        with open(os.path.join(out, "locked.p1.t1.csv"), "rb") as f:
            self.assertEqual(f.read(), CSV)
        cp = analyze(locked, "--out", out, "--pdf-password-file", path("none.txt"))
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("--pdf-password-file", cp.stderr)

    def test_photo_with_tables_feature(self):
        png = path("fruit")
        subprocess.run(["pdftoppm", "-r", "150", "-singlefile", "-png", self.pdf, png],
                       check=True)
        photo = path("shelf.jpg")
        subprocess.run([CONVERT, png + ".png", "-quality", "92", photo], check=True)
        # Without a document feature a photo is a picture: no textractsink.
        cp = analyze(photo, "--dry-run")
        self.assertNotIn("textractsink", cp.stdout)
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = analyze(photo, "--out", out, "--features", "tables", "-p")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("textractsink", cp.stdout)
        self.assertNotIn("rekognitionsink", cp.stdout)
        with open(os.path.join(out, "shelf.p1.t1.csv"), "rb") as f:
            self.assertEqual(f.read(), CSV)

    def test_tiff_is_a_document(self):
        tiff = path("scan.tiff")
        subprocess.run([CONVERT, "-size", "200x100", "xc:white", tiff], check=True)
        cp = analyze(tiff, "--dry-run")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("typefind ! textractsink", cp.stdout)
        self.assertNotIn("decodebin", cp.stdout)
        # A PDF is known by its header: typefind is told, as a large
        # uncompressed PDF full of text scores higher as text/plain.
        cp = analyze(self.pdf, "--dry-run")
        self.assertIn('typefind force-caps="application/pdf" ! textractsink', cp.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
