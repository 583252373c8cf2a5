"""transcribesink backend=local in real graphs, through GObject introspection
(Debian's /usr/bin/python3), on speech made here with flite: the words come
out in order with times in ms of stream time; 8 kHz, stereo 48 kHz, silence,
a truncated WAV, a video's audio track through decodebin; a wrong language
is a clear error; ids are stable across runs; and the word error rate on a
small flite set stays under a generous bound.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import wave

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

FOX = "the quick brown fox jumps over the lazy dog"
CALL = "please call the customer service department before noon tomorrow"
WEATHER = "the weather will be sunny and warm this afternoon"
ORDER = "i would like to cancel my order"

CONVERT = "audioconvert ! audioresample"


def word_errors(hyp, ref):
    """Word-level edit distance."""
    h, r = hyp.split(), ref.split()
    d = list(range(len(r) + 1))
    for i in range(1, len(h) + 1):
        prev, d[0] = d[:], i
        for j in range(1, len(r) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (h[i - 1] != r[j - 1]))
    return d[len(r)]


class Run:
    """One pipeline run to EOS or error, with what a user would look at."""

    def __init__(self, launch, timeout=60):
        self.errors, self.warnings, self.infos, self.partials = [], [], [], []
        self.summary = None
        pipeline = Gst.parse_launch(launch)
        bus = pipeline.get_bus()
        pipeline.set_state(Gst.State.PLAYING)
        while True:
            msg = bus.timed_pop_filtered(timeout * Gst.SECOND, Gst.MessageType.ANY)
            if msg is None:
                pipeline.set_state(Gst.State.NULL)
                raise AssertionError("no EOS within %ds: %s" % (timeout, launch))
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                self.errors.append("%s (%s)" % (err.message, dbg))
                break
            if msg.type == Gst.MessageType.WARNING:
                self.warnings.append(msg.parse_warning()[0].message)
            if msg.type == Gst.MessageType.INFO:
                self.infos.append(msg.parse_info()[0].message)
            if msg.type == Gst.MessageType.EOS:
                break
            if msg.type == Gst.MessageType.ELEMENT:
                s = msg.get_structure()
                if s.get_name() == "transcribesink-partial":
                    self.partials.append(json.loads(s.get_string("result")))
                elif s.get_name() == "mediatag-summary":
                    self.summary = s
        pipeline.set_state(Gst.State.NULL)


class TranscribeSinkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="test-transcribesink-")
        if Gst.ElementFactory.find("transcribesink") is None:
            raise unittest.SkipTest("transcribesink is not built")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def flite(self, text, voice="slt", name=None):
        out = self.path(name or "%s-%d.wav" % (voice, abs(hash(text))))
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", out], check=True)
        return out

    def with_silence(self, wav, before, after, name):
        """The WAV with `before` and `after` seconds of silence around it."""
        with wave.open(wav) as w:
            params, frames = w.getparams(), w.readframes(w.getnframes())
        out = self.path(name)
        pad = lambda s: b"\0" * (int(params.framerate * s) * params.sampwidth)
        with wave.open(out, "wb") as w:
            w.setparams(params)
            w.writeframes(pad(before) + frames + pad(after))
        return out

    def transcribe(self, source, extra="", name=None):
        """Runs source ! transcribesink backend=local; returns (run, docs)."""
        loc = self.path((name or "out") + ".jsonl")
        if os.path.exists(loc):
            os.unlink(loc)
        run = Run("%s ! transcribesink backend=local location=%s %s" % (source, loc, extra))
        docs = []
        if os.path.exists(loc):
            with open(loc) as f:
                docs = [json.loads(line) for line in f if line.strip()]
        return run, docs

    def wav_source(self, wav):
        return "filesrc location=%s ! wavparse ! %s" % (wav, CONVERT)

    def check_segments(self, docs, duration_ms):
        """Every segment well-formed, words in order inside it; returns the
        words as one string."""
        words, last = [], 0
        for d in docs:
            self.assertEqual(d["analysis"], "transcript")
            self.assertEqual(d["engine"], "local:pocketsphinx")
            self.assertEqual(d["language"], "en-US")
            self.assertEqual(d["name"], d["text"])
            self.assertTrue(0 <= d["confidence"] <= 100)
            self.assertLessEqual(last, d["timestamp"])
            self.assertLess(d["timestamp"], d["end"])
            self.assertLessEqual(d["end"], duration_ms + 50)
            seg_words = d["detail"]["words"]
            self.assertEqual(" ".join(w["word"] for w in seg_words), d["text"])
            for w in seg_words:
                self.assertLessEqual(last, w["start"])
                self.assertLess(w["start"], w["end"])
                self.assertGreaterEqual(w["start"], d["timestamp"])
                self.assertLessEqual(w["end"], d["end"])
                self.assertTrue(0 <= w["confidence"] <= 100)
                last = w["end"]
                words.append(w["word"])
        return " ".join(words)

    def test_words_in_order_with_stream_times(self):
        wav = self.with_silence(self.flite(CALL), 2.0, 1.0, "call.wav")
        run, docs = self.transcribe(self.wav_source(wav))
        self.assertEqual(run.errors, [])
        heard = self.check_segments(docs, 1000 * 2 + 4965)
        self.assertLessEqual(word_errors(heard, CALL), 1, heard)
        # After 2 s of silence: the first word is at 2 s, in ms.
        self.assertGreaterEqual(docs[0]["timestamp"], 1950)
        self.assertLess(docs[0]["timestamp"], 2500)
        # Partial hypotheses were bus messages only, never in the file.
        self.assertGreater(len(run.partials), 0)
        self.assertTrue(all(p["analysis"] == "transcript" for p in run.partials))
        self.assertEqual(run.summary.get_value("results"), len(docs))

    def test_telephone_8khz(self):
        # 8 kHz speech: flite's kal voice (8 kHz itself) and rms brought
        # down to 8 kHz. The engine fills the empty upper band by
        # spectral folding (the 16 kHz model heard ~100 % wrong without);
        # measured over more speech about 31 % word error, which the user is
        # told with a warning. A clean upsampling alone is far above the bound.
        errors = words = 0
        for voice in ("kal", "rms"):
            for i, text in enumerate((FOX, CALL)):
                wav = self.with_silence(self.flite(text, voice), 1.0, 0.5, "%s8k-%d.wav" % (voice, i))
                with wave.open(wav) as w:
                    duration_ms = 1000 * w.getnframes() // w.getframerate()
                run, docs = self.transcribe(
                    "filesrc location=%s ! wavparse ! audioresample ! audio/x-raw,rate=8000" % wav,
                    name="tel")
                self.assertEqual(run.errors, [])
                self.assertTrue(any(w.startswith("8 kHz audio: offline accuracy is low (measured ~")
                                    and "backend=aws is better for calls" in w
                                    for w in run.warnings), run.warnings)
                self.check_segments(docs, duration_ms)
                self.assertGreaterEqual(docs[0]["timestamp"], 950)
                errors += word_errors(" ".join(d["text"] for d in docs), text)
                words += len(text.split())
        wer = 100.0 * errors / words
        print("8 kHz flite set WER %.1f%% (%d/%d)" % (wer, errors, words), file=sys.stderr)
        self.assertLessEqual(wer, 50.0)

    def test_stereo_48khz_through_convert(self):
        mono = self.flite(WEATHER)
        stereo = self.path("stereo48.wav")
        Run("filesrc location=%s ! wavparse ! audioconvert ! audioresample ! "
            "audio/x-raw,channels=2,rate=48000 ! wavenc ! filesink location=%s" % (mono, stereo))
        with wave.open(stereo) as w:
            self.assertEqual((w.getnchannels(), w.getframerate()), (2, 48000))
        run, docs = self.transcribe(self.wav_source(stereo), name="stereo")
        self.assertEqual(run.errors, [])
        heard = self.check_segments(docs, 4000)
        self.assertLessEqual(word_errors(heard, WEATHER), 1, heard)
        # Without audioconvert/audioresample it is a clear negotiation error.
        run, docs = self.transcribe("filesrc location=%s ! wavparse" % stereo, name="stereo2")
        self.assertEqual(len(run.errors), 1)
        self.assertIn("not-negotiated", run.errors[0])

    def test_silence_only(self):
        wav = self.path("silence.wav")
        Run("audiotestsrc wave=silence num-buffers=100 samplesperbuffer=1600 ! "
            "audio/x-raw,rate=16000,channels=1 ! wavenc ! filesink location=%s" % wav)
        run, docs = self.transcribe(self.wav_source(wav), name="silence")
        self.assertEqual(run.errors, [])
        self.assertEqual(docs, [])
        self.assertTrue(os.path.exists(self.path("silence.jsonl")))
        self.assertIn("No speech found", run.infos)
        self.assertEqual(run.summary.get_value("results"), 0)

    def test_truncated_wav_kept(self):
        full = self.flite(CALL, name="full.wav")
        cut = self.path("cut.wav")
        with open(full, "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            # The header still announces the whole file.
            f.write(data[:len(data) // 2 + 1])
        run, docs = self.transcribe(self.wav_source(cut), name="cut")
        self.assertEqual(run.errors, [])
        heard = self.check_segments(docs, 2100)
        # The first half of the sentence is kept.
        self.assertIn("customer", heard.split())
        self.assertNotIn("tomorrow", heard.split())

    def test_wrong_language(self):
        wav = self.flite(ORDER)
        run, docs = self.transcribe(self.wav_source(wav), "language-code=fr-FR", name="fr")
        self.assertEqual(len(run.errors), 1, run.errors)
        self.assertIn("fr-FR", run.errors[0])
        self.assertIn("installed are en-US", run.errors[0])
        self.assertEqual(docs, [])

    def test_ids_stable_across_runs(self):
        wav = self.with_silence(self.flite(ORDER), 0.5, 0.5, "order.wav")
        _, first = self.transcribe(self.wav_source(wav), name="ids1")
        _, second = self.transcribe(self.wav_source(wav), name="ids2")
        self.assertGreater(len(first), 0)
        self.assertEqual([d["id"] for d in first], [d["id"] for d in second])
        self.assertEqual(len({d["id"] for d in first}), len(first))

    def test_audio_track_of_a_video(self):
        wav = self.with_silence(self.flite(CALL), 1.0, 0.5, "video-audio.wav")
        video = self.path("clip.mkv")
        Run("videotestsrc num-buffers=150 ! video/x-raw,width=320,height=240,framerate=25/1 ! "
            "x264enc speed-preset=ultrafast ! h264parse ! queue ! matroskamux name=m ! "
            "filesink location=%s filesrc location=%s ! wavparse ! audioconvert ! "
            "vorbisenc ! queue ! m." % (video, wav))
        run, docs = self.transcribe(
            "filesrc location=%s ! decodebin name=d d. ! queue ! videoconvert ! fakesink "
            "d. ! queue ! %s" % (video, CONVERT), name="video")
        self.assertEqual(run.errors, [])
        heard = self.check_segments(docs, 6500)
        self.assertLessEqual(word_errors(heard, CALL), 2, heard)
        self.assertGreaterEqual(docs[0]["timestamp"], 950)

    def test_word_error_rate_flite_set(self):
        """Clear synthetic speech: the issue's goal is <= 15 %; a broken
        engine (wrong rate, wrong times, words dropped) is far above 30 %."""
        errors = words = 0
        for voice in ("slt", "rms", "awb"):
            for i, text in enumerate((FOX, CALL)):
                wav = self.flite(text, voice, "%s-%d.wav" % (voice, i))
                run, docs = self.transcribe(self.wav_source(wav), name="wer")
                self.assertEqual(run.errors, [])
                heard = " ".join(d["text"] for d in docs)
                errors += word_errors(heard, text)
                words += len(text.split())
        wer = 100.0 * errors / words
        print("flite set WER %.1f%% (%d/%d)" % (wer, errors, words), file=sys.stderr)
        self.assertLessEqual(wer, 30.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
