"""transcribesink's AWS engine as a user runs it (gst-launch-1.0):
streaming against a loopback fake of Transcribe streaming's WebSocket API
(fake_transcribe_streaming.py: presigned URL checked with botocore's
SigV4QueryAuth, event-stream frames and their chained signatures, scripted
TranscriptEvents and exceptions), batch against moto (S3 and the
transcription job API), with the transcript object put by the test since
moto writes none. Servers listen on 127.0.0.1 and are stopped by pid.
"""
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
import wave

import mtfixtures as fx

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_transcribe_streaming.py")
for _k in [k for k, v in os.environ.items() if k.startswith("AWS_") and not v]:
    del os.environ[_k]
CREDS = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
CAPS = "audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=16000"

# What the fake says for the flite sentence below, in media seconds.
SCRIPT = {"utterances": [
    {"speaker": "0", "words": [
        {"content": "Hello", "start": 0.12, "end": 0.48, "confidence": 0.99},
        {"content": "world", "start": 0.52, "end": 0.95, "confidence": 0.95},
        {"content": ".", "type": "punctuation"}]},
    {"speaker": "1", "words": [
        {"content": "This", "start": 1.35, "end": 1.52, "confidence": 0.9},
        {"content": "is", "start": 1.55, "end": 1.66, "confidence": 0.92},
        {"content": "a", "start": 1.7, "end": 1.74, "confidence": 0.8},
        {"content": "test", "start": 1.78, "end": 2.2, "confidence": 0.97},
        {"content": ".", "type": "punctuation"}]},
]}


def have_element(name):
    return subprocess.run(["gst-inspect-1.0", name], env=fx.gst_env(),
                          capture_output=True).returncode == 0


def tone_wav(path, spans, total, rate=16000):
    """A WAV of a 300 Hz tone over `spans` [(start, end)] seconds, silence
    elsewhere: voice-like energy where the script says words are."""
    n = int(total * rate)
    samples = bytearray(2 * n)
    for start, end in spans:
        for i in range(int(start * rate), min(n, int(end * rate))):
            struct.pack_into("<h", samples, 2 * i, int(8000 * math.sin(2 * math.pi * 300 * i / rate)))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(samples))


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


HAVE_SINK = have_element("transcribesink")


class AwsTest(unittest.TestCase):
    def setUp(self):
        if not HAVE_SINK:
            self.skipTest("transcribesink is not built")
        self.tmp = tempfile.mkdtemp(prefix="mt-transcribe-aws-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def speech(self):
        wav = self.path("speech.wav")
        if not os.path.exists(wav):
            subprocess.run(["flite", "-t", "Hello world. This is a test.", "-o", wav], check=True)
        return wav


class StreamingTest(AwsTest):
    def start_fake(self, *args, script=SCRIPT):
        with open(self.path("script.json"), "w") as f:
            json.dump(script, f)
        self.log = self.path("fake.jsonl")
        if os.path.exists(self.log):
            os.unlink(self.log)
        srv = fx.start_python_server(FAKE, "--script", self.path("script.json"), "--log", self.log, *args)
        self.servers.append(srv)
        return srv

    def run_sink(self, srv, wav, props="", env=None, check=True, timeout=120):
        out = self.path("out.jsonl")
        for old in (out, self.log):
            if os.path.exists(old):
                os.unlink(old)
        e = fx.gst_env(AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING=srv.url, **CREDS)
        e.update(env or {})
        line = ("gst-launch-1.0 -m -e filesrc location=%s ! wavparse ! %s ! "
                "transcribesink backend=aws location=%s %s" % (wav, CAPS, out, props))
        cp = subprocess.run(line.split(), env=e, capture_output=True, text=True, timeout=timeout)
        if check and cp.returncode != 0:
            self.fail("pipeline failed (%d):\n%s\n%s" % (cp.returncode, line, cp.stderr[-3000:]))
        return cp, read_lines(out), read_lines(self.log)

    def test_words_times_partials(self):
        srv = self.start_fake()
        cp, docs, log = self.run_sink(srv, self.speech(), "show-speaker-labels=true")
        self.assertEqual([d["text"] for d in docs], ["Hello world.", "This is a test."])
        first, second = docs
        self.assertEqual((first["timestamp"], first["end"]), (120, 950))
        self.assertEqual((second["timestamp"], second["end"]), (1350, 2200))
        self.assertEqual([(w["word"], w["start"], w["end"]) for w in first["detail"]["words"]],
                         [("Hello", 120, 480), ("world.", 520, 950)])
        self.assertAlmostEqual(first["detail"]["words"][0]["confidence"], 99.0)
        self.assertAlmostEqual(first["confidence"], 97.0)
        self.assertEqual((first["speaker"], second["speaker"]), ("spk_0", "spk_1"))
        self.assertEqual(first["language"], "en-US")
        self.assertEqual(first["engine"], "aws:transcribe:StartStreamTranscription")
        items = first["detail"]["Result"]["Alternatives"][0]["Items"]
        self.assertEqual([i["Content"] for i in items], ["Hello", "world", "."])
        self.assertFalse(first["detail"]["Result"]["IsPartial"])
        # Partial results: bus messages only, never documents.
        self.assertIn("transcribesink-partial", cp.stdout)
        self.assertNotIn("IsPartial\":true", json.dumps(docs))
        # The stream as the service saw it.
        self.assertEqual(len(log), 1)
        conn = log[0]
        self.assertTrue(conn["signature_ok"])
        self.assertTrue(conn["chunk_signatures_ok"])
        self.assertTrue(conn["ended"], "no empty AudioEvent at the end")
        self.assertEqual(conn["query"]["sample-rate"], "16000")
        self.assertEqual(conn["query"]["media-encoding"], "pcm")
        self.assertEqual(conn["query"]["show-speaker-label"], "true")
        self.assertTrue(all(50 <= ms <= 200 for ms in conn["event_ms"][:-1]), conn["event_ms"])
        with wave.open(self.speech()) as w:
            seconds = w.getnframes() / w.getframerate()
        self.assertAlmostEqual(conn["audio_bytes"] / 32000.0, seconds, delta=0.05)
        # The same audio again gives the same ids.
        _, again, _ = self.run_sink(srv, self.speech(), "show-speaker-labels=true")
        self.assertEqual([d["id"] for d in again], [d["id"] for d in docs])

    def test_parameters_reach_the_service(self):
        srv = self.start_fake()
        _, docs, log = self.run_sink(
            srv, self.speech(), "language-code=de-DE vocabulary-name=brands "
            "vocabulary-filter-name=rude vocabulary-filter-method=tag "
            "language-model-name=medical results-stability=high")
        q = log[0]["query"]
        self.assertEqual((q["language-code"], q["vocabulary-name"], q["vocabulary-filter-name"],
                          q["vocabulary-filter-method"], q["language-model-name"],
                          q["enable-partial-results-stabilization"], q["partial-results-stability"]),
                         ("de-DE", "brands", "rude", "tag", "medical", "true", "high"))
        self.assertEqual(docs[0]["language"], "de-DE")
        _, docs, log = self.run_sink(srv, self.speech(),
                                     "identify-language=true language-options=fr-FR,en-US")
        q = log[0]["query"]
        self.assertEqual((q["identify-language"], q["language-options"]), ("true", "fr-FR,en-US"))
        self.assertNotIn("language-code", q)
        self.assertEqual(docs[0]["language"], "fr-FR")      # the result's LanguageCode

    def test_wrong_secret_is_refused(self):
        srv = self.start_fake("--secret", "the-real-secret")
        cp, docs, log = self.run_sink(srv, self.speech(), check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertEqual(log[0]["refused"], 403)
        self.assertFalse(log[0]["signature_ok"])
        self.assertRegex(cp.stderr, r"403")
        self.assertIn("signature", cp.stderr)
        # The presigned query (signature, credential) stays out of messages.
        self.assertNotIn("X-Amz-", cp.stderr)
        self.assertEqual(docs, [])

    def test_no_secret_in_debug_log(self):
        # The presigned URL carries the session token: no debug level of
        # GStreamer or GLib may show it, nor the secret key.
        secret, token = "wJalrXUtnFEMI-secret-4711", "FwoGZXIvYXdz-token-0815"
        srv = self.start_fake("--secret", secret)
        env = {"AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token,
               "GST_DEBUG": "*:9", "G_MESSAGES_DEBUG": "all"}
        cp, docs, log = self.run_sink(srv, self.speech(), env=env)
        self.assertTrue(log[0]["signature_ok"])
        self.assertEqual(log[0]["query"]["X-Amz-Security-Token"], token)
        self.assertEqual([d.get("text") for d in docs], ["Hello world.", "This is a test."], docs)
        self.assertGreater(len(cp.stderr), 100000)     # the log was written
        for text in (cp.stderr, cp.stdout):
            self.assertNotIn(secret, text)
            self.assertNotIn(token, text)

    def test_exceptions_are_named(self):
        for name in ("BadRequestException", "LimitExceededException", "InternalFailureException",
                     "ConflictException", "ServiceUnavailableException"):
            with self.subTest(exception=name):
                srv = self.start_fake("--exception", name, "--exception-after", "1.0")
                cp, docs, _ = self.run_sink(srv, self.speech(), "on-error=fail", check=False)
                self.assertNotEqual(cp.returncode, 0)
                self.assertIn(name, cp.stderr)
                srv.stop()
                if name not in ("BadRequestException", "ServiceUnavailableException"):
                    continue
                # With on-error=skip, an error document names it instead.
                srv = self.start_fake("--exception", name, "--exception-after", "1.0")
                cp, docs, _ = self.run_sink(srv, self.speech(), "on-error=skip", check=False)
                errors = [d for d in docs if d["analysis"] == "error"]
                self.assertEqual(len(errors), 1, docs)
                self.assertIn(name, json.dumps(errors[0]))
                # What was final before the exception is kept.
                self.assertEqual([d["text"] for d in docs if d["analysis"] == "transcript"],
                                 ["Hello world."])
                srv.stop()

    def test_silent_service_times_out(self):
        srv = self.start_fake("--silent")
        t0 = time.monotonic()
        cp, docs, log = self.run_sink(srv, self.speech(), "request-timeout=1500 on-error=fail",
                                      check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("sent nothing for 1500 ms", cp.stderr)
        self.assertLess(time.monotonic() - t0, 30)

    def test_stop_is_prompt_while_waiting(self):
        # Stopping the pipeline (SIGINT without -e: to NULL) while the
        # engine waits on a silent service ends it at once, not after the
        # 30 s idle timeout.
        srv = self.start_fake("--silent")
        e = fx.gst_env(AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING=srv.url, **CREDS)
        line = ("gst-launch-1.0 filesrc location=%s ! wavparse ! %s ! transcribesink backend=aws "
                "request-timeout=30000" % (self.speech(), CAPS))
        proc = subprocess.Popen(line.split(), env=e, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        self.assertIsNone(proc.poll(), "the pipeline should still wait on the service")
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - t0, 5)

    def test_long_media_is_split_and_stitched(self):
        # Speech-like bursts with pauses; the fake refuses streams over
        # 2.2 s, the client is told streams end by 2 s (at a pause when it
        # can): four streams, whose results must come back in media time.
        spans = [(0.3, 1.4), (2.2, 3.3), (4.3, 5.4), (6.2, 7.3)]
        wav = self.path("bursts.wav")
        tone_wav(wav, spans, 8.0)
        script = {"utterances": [
            {"words": [{"content": "w%d" % i, "start": s + 0.05, "end": e - 0.05, "confidence": 0.9},
                       {"content": ".", "type": "punctuation"}]}
            for i, (s, e) in enumerate(spans)]}
        srv = self.start_fake("--max-audio", "2.2", script=script)
        _, docs, log = self.run_sink(srv, wav, env={"MEDIATAG_TRANSCRIBE_STREAM_LIMIT": "2"})
        self.assertGreaterEqual(len(log), 4)
        self.assertTrue(all(c["signature_ok"] and c["ended"] for c in log), log)
        self.assertTrue(all(c["audio_bytes"] <= 2.0 * 32000 for c in log))
        self.assertAlmostEqual(sum(c["audio_bytes"] for c in log) / 32000.0, 8.0, delta=0.01)
        self.assertEqual([(d["text"], d["timestamp"], d["end"]) for d in docs],
                         [("w%d." % i, round((s + 0.05) * 1000), round((e - 0.05) * 1000))
                          for i, (s, e) in enumerate(spans)])

    def test_no_limit_no_split(self):
        # Under the service's limit the same audio is one stream.
        srv = self.start_fake()
        wav = self.path("bursts.wav")
        tone_wav(wav, [(0.3, 1.4)], 3.0)
        _, _, log = self.run_sink(srv, wav)
        self.assertEqual(len(log), 1)


class BatchTest(AwsTest):
    @classmethod
    def setUpClass(cls):
        if not HAVE_SINK:
            raise unittest.SkipTest("transcribesink is not built")
        cls.moto = fx.start_moto()
        # Jobs move on a state a second, so the test can write the
        # transcript moto does not before the job says it is there.
        body = json.dumps({"model_name": "transcribe::transcriptionjob",
                           "transition": {"progression": "time", "seconds": 1}}).encode()
        urllib.request.urlopen(urllib.request.Request(
            cls.moto.url + "/moto-api/state-manager/set-transition", data=body, method="POST"))
        cls.s3 = fx.boto_client("s3", cls.moto.url)
        cls.transcribe = fx.boto_client("transcribe", cls.moto.url)
        cls.s3.create_bucket(Bucket="media")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        super().setUp()
        self.prefix = "jobs-%s/" % self.id().rsplit(".", 1)[-1]

    def put_transcript_when_uploaded(self, transcript, stop):
        """Writes the job's transcript as soon as its audio is in S3, at
        the key the job names (PREFIX<job>.json)."""
        def run():
            while not stop.is_set():
                keys = [o["Key"] for o in self.s3.list_objects_v2(
                    Bucket="media", Prefix=self.prefix).get("Contents", [])]
                wavs = [k for k in keys if k.endswith(".wav")]
                if wavs:
                    self.s3.put_object(Bucket="media", Key=wavs[0][:-4] + ".json",
                                       Body=json.dumps(transcript).encode())
                    return
                time.sleep(0.05)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def run_batch(self, transcript, props=""):
        out = self.path("out.jsonl")
        stop = threading.Event()
        t = self.put_transcript_when_uploaded(transcript, stop)
        line = ("gst-launch-1.0 -e filesrc location=%s ! wavparse ! %s ! transcribesink backend=aws "
                "mode=batch bucket=media prefix=%s location=%s %s" % (self.speech(), CAPS, self.prefix, out,
                                                                  props))
        cp = subprocess.run(line.split(), env=fx.gst_env(AWS_ENDPOINT_URL=self.moto.url, **CREDS),
                            capture_output=True, text=True, timeout=120)
        stop.set()
        t.join()
        self.assertEqual(cp.returncode, 0, cp.stderr[-3000:])
        return read_lines(out)

    @staticmethod
    def item(i, content, start=None, end=None, conf="0.98", speaker=None):
        it = {"id": i, "type": "punctuation" if start is None else "pronunciation",
              "alternatives": [{"confidence": conf if start is not None else "0.0", "content": content}]}
        if start is not None:
            it["start_time"], it["end_time"] = start, end
        if speaker:
            it["speaker_label"] = speaker
        return it

    def transcript(self, segments=True):
        items = [self.item(0, "Hello", "0.12", "0.48", speaker="spk_0"),
                 self.item(1, "world", "0.52", "0.95", "0.9", speaker="spk_0"),
                 self.item(2, "."),
                 self.item(3, "This", "1.35", "1.52", speaker="spk_1"),
                 self.item(4, "is", "1.55", "1.66", speaker="spk_1"),
                 self.item(5, "a", "1.7", "1.74", speaker="spk_1"),
                 self.item(6, "test", "1.78", "2.2", speaker="spk_1"),
                 self.item(7, "?")]
        results = {"transcripts": [{"transcript": "Hello world. This is a test?"}], "items": items}
        if segments:
            results["audio_segments"] = [
                {"id": 0, "transcript": "Hello world.", "start_time": "0.12", "end_time": "0.95",
                 "speaker_label": "spk_0", "items": [0, 1, 2]},
                {"id": 1, "transcript": "This is a test?", "start_time": "1.35", "end_time": "2.2",
                 "speaker_label": "spk_1", "items": [3, 4, 5, 6, 7]}]
        return {"jobName": "x", "accountId": "123456789012", "status": "COMPLETED", "results": results}

    def check_docs(self, docs):
        self.assertNotIn("error", [d["analysis"] for d in docs], docs)
        self.assertEqual([(d["text"], d["timestamp"], d["end"]) for d in docs],
                         [("Hello world.", 120, 950), ("This is a test?", 1350, 2200)])
        self.assertEqual([(w["word"], w["start"], w["end"]) for w in docs[0]["detail"]["words"]],
                         [("Hello", 120, 480), ("world.", 520, 950)])
        self.assertAlmostEqual(docs[0]["confidence"], 94.0)
        self.assertEqual(docs[0]["engine"], "aws:transcribe:StartTranscriptionJob")
        self.assertEqual([i["id"] for i in docs[1]["detail"]["items"]], [3, 4, 5, 6, 7])

    def test_job_with_audio_segments(self):
        # moto checks that the vocabulary exists, as the service does.
        self.transcribe.create_vocabulary(VocabularyName="brands", LanguageCode="en-US",
                                          Phrases=["mediatag"])
        docs = self.run_batch(self.transcript(), "show-speaker-labels=true vocabulary-name=brands")
        self.check_docs(docs)
        self.assertEqual([d["speaker"] for d in docs], ["spk_0", "spk_1"])
        # The job as moto holds it, and the audio as uploaded.
        name = self.s3.list_objects_v2(Bucket="media", Prefix=self.prefix)["Contents"][0]["Key"]
        name = name[len(self.prefix):].rsplit(".", 1)[0]
        job = self.transcribe.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]
        self.assertEqual((job["MediaFormat"], job["MediaSampleRateHertz"], job["LanguageCode"]),
                         ("wav", 16000, "en-US"))
        self.assertEqual(job["Media"]["MediaFileUri"], "s3://media/%s%s.wav" % (self.prefix, name))
        self.assertEqual((job["Settings"]["VocabularyName"], job["Settings"]["ShowSpeakerLabels"]),
                         ("brands", True))
        wav = self.path("uploaded.wav")
        self.s3.download_file("media", "%s%s.wav" % (self.prefix, name), wav)
        with wave.open(wav) as up, wave.open(self.speech()) as src:
            self.assertEqual((up.getnchannels(), up.getframerate(), up.getsampwidth()), (1, 16000, 2))
            self.assertAlmostEqual(up.getnframes() / 16000.0, src.getnframes() / src.getframerate(),
                                   delta=0.05)

    def test_job_split_at_sentences(self):
        docs = self.run_batch(self.transcript(segments=False))
        self.check_docs(docs)

    def test_no_bucket_is_a_clear_error(self):
        line = ("gst-launch-1.0 -e filesrc location=%s ! wavparse ! %s ! transcribesink backend=aws "
                "mode=batch" % (self.speech(), CAPS))
        cp = subprocess.run(line.split(), env=fx.gst_env(AWS_ENDPOINT_URL=self.moto.url, **CREDS),
                            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("bucket", cp.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
