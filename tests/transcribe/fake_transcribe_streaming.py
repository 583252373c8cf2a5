#!/usr/bin/env python3
"""A loopback fake of Amazon Transcribe streaming's WebSocket API
(StartStreamTranscription on /stream-transcription-websocket) for
transcribesink's tests.

    fake_transcribe_streaming.py PORT --script FILE [--log FILE]
        [--secret KEY] [--exception NAME --exception-after SECONDS]
        [--silent] [--max-audio SECONDS] [--latency-ms MS]

What it checks, as the service does:
- the presigned URL: its SigV4 query signature recomputed with botocore's
  SigV4QueryAuth (service "transcribe", the credential scope's region,
  X-Amz-Date as the signing time) with the secret of --secret (default
  "testing"), and its expiry; a bad one is refused with HTTP 403;
- the query parameters against the documented WebSocket parameters
  (botocore ships no transcribe-streaming model: see PARAMS), refused with
  HTTP 400 when unknown, malformed or contradictory;
- every frame: an event-stream message decoded with botocore.eventstream,
  whose :chunk-signature chains on the previous signature from the URL's
  (the SigV4 event signing); its payload an AudioEvent message
  (:message-type event, :event-type AudioEvent, :content-type
  application/octet-stream) of PCM at the URL's sample-rate. An empty
  AudioEvent (or an empty signed frame) ends the stream.

What it answers, scripted by the test (--script, JSON):
    {"utterances": [{"speaker": "0", "words": [
        {"content": "Hello", "start": 0.5, "end": 0.9, "confidence": 0.99},
        {"content": ",", "type": "punctuation"}, ...]}, ...]}
with times in seconds of the whole media: over several streams of one
session (a long media split by the client; streams that carry the same
session-id) the fake keeps the audio received on the earlier ones and
answers each stream with times relative to its own start, as the service
does, so the client must stitch. An utterance gets a
partial result (its first half, IsPartial true) once the audio reaches its
middle, and its final result once the audio passes its end (or at the end
of the stream). Empty TranscriptEvents go out once per second of audio, as
the service sends them during silence. After the client's end of stream
the remaining results go out and the fake closes with 1000.

Faults: --exception NAME after --exception-after seconds of audio sends
that exception (BadRequestException, LimitExceededException,
InternalFailureException, ConflictException, ServiceUnavailableException)
as an event-stream exception message and closes; --silent accepts the
stream and never answers; --max-audio S answers a stream longer than S
seconds with BadRequestException (the service's stream length limit);
--latency-ms delays each result.

--log FILE gets one JSON line per connection: query, signature_ok,
signature_error, events, audio_bytes, chunk_signatures_ok, ended,
event_ms (durations of the audio events), refused (status), and
first_audio_at / result_times (monotonic seconds, for the benchmark).
"""
import argparse
import binascii
import datetime
import hashlib
import hmac
import json
import os
import struct
import sys
import threading
import time
import uuid
from unittest import mock
from urllib.parse import quote

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core"))
import ws_server  # noqa: E402

from botocore.auth import SigV4QueryAuth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.eventstream import EventStreamBuffer  # noqa: E402

ACCESS_KEY = "testing"

# The WebSocket query parameters of StartStreamTranscription as the
# Transcribe developer guide documents them ("Setting up a WebSocket
# stream"), with what each takes.
LANGUAGES = {"en-US", "en-GB", "en-AU", "en-IN", "en-IE", "en-NZ", "en-AB", "en-ZA", "en-WL",
             "es-US", "es-ES", "fr-FR", "fr-CA", "de-DE", "de-CH", "it-IT", "pt-BR", "pt-PT",
             "ja-JP", "ko-KR", "zh-CN", "zh-HK", "zh-TW", "hi-IN", "th-TH", "nl-NL", "sv-SE",
             "da-DK", "ar-SA", "ar-AE", "he-IL", "id-ID", "ms-MY", "pl-PL", "ru-RU", "tr-TR",
             "vi-VN", "fa-IR", "af-ZA"}
BOOL = {"true", "false"}
PARAMS = {
    "language-code": LANGUAGES,
    "media-encoding": {"pcm", "ogg-opus", "flac"},
    "sample-rate": "int",
    "session-id": "str",
    "vocabulary-name": "name",
    "vocabulary-filter-name": "name",
    "vocabulary-filter-method": {"remove", "mask", "tag"},
    "language-model-name": "name",
    "show-speaker-label": BOOL,
    "enable-channel-identification": BOOL,
    "number-of-channels": "int",
    "enable-partial-results-stabilization": BOOL,
    "partial-results-stability": {"high", "medium", "low"},
    "content-identification-type": {"PII"},
    "content-redaction-type": {"PII"},
    "pii-entity-types": "str",
    "identify-language": BOOL,
    "identify-multiple-languages": BOOL,
    "language-options": "languages",
    "preferred-language": LANGUAGES,
    "vocabulary-names": "str",
    "vocabulary-filter-names": "str",
}
SIGNING = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
           "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}

EXCEPTIONS = {"BadRequestException", "LimitExceededException", "InternalFailureException",
              "ConflictException", "ServiceUnavailableException"}


# --- event-stream encoding (botocore only decodes) ---

def _header(name, htype, value):
    n = name.encode()
    out = bytes([len(n)]) + n + bytes([htype])
    if htype == 7:
        v = value.encode()
        return out + struct.pack(">H", len(v)) + v
    if htype == 8:
        return out + struct.pack(">q", value)
    raise ValueError(htype)


def encode_message(headers, payload):
    hb = b"".join(_header(n, t, v) for n, t, v in headers)
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hb))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    msg = prelude + hb + payload
    return msg + struct.pack(">I", binascii.crc32(msg) & 0xFFFFFFFF)


def event_message(event_type, body):
    return encode_message([(":message-type", 7, "event"), (":event-type", 7, event_type),
                           (":content-type", 7, "application/json")],
                          json.dumps(body).encode())


def exception_message(name, text):
    return encode_message([(":message-type", 7, "exception"), (":exception-type", 7, name),
                           (":content-type", 7, "application/json")],
                          json.dumps({"Message": text}).encode())


# --- checks ---

class Refused(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check_params(query):
    names = [n for n, _ in query]
    if len(set(names)) != len(names):
        raise Refused(400, "BadRequestException", "a query parameter is repeated")
    q = dict(query)
    for name, value in q.items():
        if name in SIGNING:
            continue
        kind = PARAMS.get(name)
        if kind is None:
            raise Refused(400, "BadRequestException", "unknown parameter %s" % name)
        if isinstance(kind, set) and value not in kind:
            raise Refused(400, "BadRequestException", "%s=%s is not one of %s" % (name, value, sorted(kind)))
        if kind == "int" and not value.isdigit():
            raise Refused(400, "BadRequestException", "%s must be a number" % name)
        if kind == "name" and not (1 <= len(value) <= 200):
            raise Refused(400, "BadRequestException", "%s has a bad length" % name)
        if kind == "languages":
            langs = value.split(",")
            if len(langs) < 2 or any(lang not in LANGUAGES for lang in langs):
                raise Refused(400, "BadRequestException", "language-options needs two or more languages")
    if q.get("media-encoding") is None or q.get("sample-rate") is None:
        raise Refused(400, "BadRequestException", "media-encoding and sample-rate are required")
    if not 8000 <= int(q["sample-rate"]) <= 48000:
        raise Refused(400, "BadRequestException", "sample-rate must be 8000 to 48000")
    identify = q.get("identify-language") == "true"
    if identify == ("language-code" in q):
        raise Refused(400, "BadRequestException", "give either language-code or identify-language")
    if identify and "language-options" not in q:
        raise Refused(400, "BadRequestException", "identify-language needs language-options")
    if "vocabulary-filter-method" in q and "vocabulary-filter-name" not in q:
        raise Refused(400, "BadRequestException", "vocabulary-filter-method needs a filter")
    if "partial-results-stability" in q and q.get("enable-partial-results-stabilization") != "true":
        raise Refused(400, "BadRequestException", "partial-results-stability needs stabilization")
    return q


def check_signature(conn, secret):
    """Recomputes the presigned URL's signature with botocore; returns the
    signature (the seed of the chunk signatures) and the signing scope."""
    q = dict(conn.query)
    for n in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
              "X-Amz-SignedHeaders", "X-Amz-Signature"):
        if n not in q:
            raise Refused(403, "AccessDeniedException", "missing %s" % n)
    key, date, region, service, term = q["X-Amz-Credential"].split("/")
    if key != ACCESS_KEY or service != "transcribe" or term != "aws4_request":
        raise Refused(403, "UnrecognizedClientException", "bad credential scope")
    when = datetime.datetime.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    age = (datetime.datetime.utcnow() - when).total_seconds()
    if age > int(q["X-Amz-Expires"]) or age < -300:
        raise Refused(403, "AccessDeniedException", "the presigned URL has expired")
    # The query without the signature's own parameters, in the order sent.
    rest = "&".join("%s=%s" % (quote(n, safe="-_.~"), quote(v, safe="-_.~"))
                    for n, v in conn.query if n not in SIGNING)
    url = "http://%s%s?%s" % (conn.headers.get("host", ""), conn.path, rest)
    request = AWSRequest(method="GET", url=url)
    signer = SigV4QueryAuth(Credentials(ACCESS_KEY, secret, q.get("X-Amz-Security-Token")),
                            "transcribe", region, expires=int(q["X-Amz-Expires"]))
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(request)
    expected = dict(p.split("=", 1) for p in request.url.split("?", 1)[1].split("&"))["X-Amz-Signature"]
    if not hmac.compare_digest(expected, q["X-Amz-Signature"]):
        raise Refused(403, "InvalidSignatureException",
                      "The request signature we calculated does not match the signature you provided.")
    return q["X-Amz-Signature"], (date, region, service), secret


def _hmac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def chunk_signature(secret, scope, prev_sig_hex, date_header_bytes, payload, when):
    date, region, service = scope
    k = _hmac(("AWS4" + secret).encode(), when.strftime("%Y%m%d").encode())
    k = _hmac(_hmac(_hmac(k, region.encode()), service.encode()), b"aws4_request")
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", when.strftime("%Y%m%dT%H%M%SZ"),
                     "%s/%s/%s/aws4_request" % (when.strftime("%Y%m%d"), region, service),
                     prev_sig_hex, hashlib.sha256(date_header_bytes).hexdigest(),
                     hashlib.sha256(payload).hexdigest()])
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


# --- the service ---

class Media:
    """Audio received so far over the earlier streams of each session
    (session-id -> seconds)."""
    lock = threading.Lock()
    done = {}


class Session:
    def __init__(self, conn, args, script, q, seed, scope, secret):
        self.conn, self.args, self.q = conn, args, q
        self.rate = int(q["sample-rate"])
        self.seed, self.scope, self.secret = seed, scope, secret
        self.prev_sig = seed
        self.session = q.get("session-id")
        with Media.lock:
            self.offset = Media.done.get(self.session, 0.0) if self.session else 0.0
        self.audio = 0.0
        self.utts = [u for u in script.get("utterances", [])
                     if self._start(u) >= self.offset - 1e-6]
        self.partial_sent, self.final_sent = set(), set()
        self.last_empty = 0.0
        self.log = {"query": q, "signature_ok": True, "events": 0, "audio_bytes": 0,
                    "chunk_signatures_ok": True, "ended": False, "event_ms": [],
                    "offset": self.offset, "result_times": []}
        self.exception_sent = False

    @staticmethod
    def _start(u):
        return min(w["start"] for w in u["words"] if "start" in w)

    @staticmethod
    def _end(u):
        return max(w["end"] for w in u["words"] if "end" in w)

    def _send(self, data):
        self.conn.send(data)

    def result(self, u, partial):
        words = u["words"]
        if partial:
            prons = [i for i, w in enumerate(words) if w.get("type", "pronunciation") == "pronunciation"]
            words = words[:prons[max(0, len(prons) // 2 - 1)] + 1]
        items, prev_end = [], None
        stable = self.q.get("enable-partial-results-stabilization") == "true"
        for w in words:
            punct = w.get("type") == "punctuation"
            st = (prev_end if punct else w["start"]) - self.offset
            en = (prev_end if punct else w["end"]) - self.offset
            item = {"Content": w["content"], "StartTime": round(st, 3), "EndTime": round(en, 3),
                    "Type": "punctuation" if punct else "pronunciation",
                    "VocabularyFilterMatch": False}
            if not punct:
                item["Confidence"] = w.get("confidence", 0.9)
                prev_end = w["end"]
            if self.q.get("show-speaker-label") == "true":
                item["Speaker"] = u.get("speaker", "0")
            if stable:
                item["Stable"] = not partial
            items.append(item)
        text = ""
        for it in items:
            text += it["Content"] if it["Type"] == "punctuation" or not text else " " + it["Content"]
        res = {"ResultId": str(uuid.uuid5(uuid.NAMESPACE_OID, json.dumps(u))),
               "StartTime": round(self._start(u) - self.offset, 3),
               "EndTime": round(self._end(u) - self.offset, 3),
               "IsPartial": partial, "ChannelId": "ch_0",
               "Alternatives": [{"Transcript": text, "Items": items}]}
        if self.q.get("identify-language") == "true":
            res["LanguageCode"] = self.q["language-options"].split(",")[0]
        return res

    def send_results(self, results):
        if self.args.latency_ms:
            time.sleep(self.args.latency_ms / 1000.0)
        self._send(event_message("TranscriptEvent", {"Transcript": {"Results": results}}))
        if any(not r["IsPartial"] for r in results):
            self.log["result_times"].append(time.monotonic())

    def advance(self, final=False):
        now = self.offset + self.audio
        for i, u in enumerate(self.utts):
            if i in self.final_sent:
                continue
            start, end = self._start(u), self._end(u)
            if now >= end or (final and end <= now + 1e-6):
                self.final_sent.add(i)
                self.send_results([self.result(u, False)])
            elif now >= (start + end) / 2 and i not in self.partial_sent:
                self.partial_sent.add(i)
                self.send_results([self.result(u, True)])
        if self.audio - self.last_empty >= 1.0:
            self.last_empty = self.audio
            self._send(event_message("TranscriptEvent", {"Transcript": {"Results": []}}))

    def check_chunk(self, msg):
        h = msg.headers
        sig = h.get(":chunk-signature")
        date_ms = h.get(":date")
        if sig is None or date_ms is None:
            self.log["chunk_signatures_ok"] = False
            return
        when = datetime.datetime.utcfromtimestamp(date_ms / 1000.0)
        date_bytes = _header(":date", 8, date_ms)
        want = chunk_signature(self.secret, self.scope, self.prev_sig, date_bytes, msg.payload, when)
        if want != bytes(sig).hex():
            self.log["chunk_signatures_ok"] = False
        self.prev_sig = bytes(sig).hex()

    def audio_event(self, payload):
        """Returns False once the stream has ended."""
        if not payload:
            self.log["ended"] = True
            return False
        buf = EventStreamBuffer()
        buf.add_data(payload)
        for inner in buf:
            h = inner.headers
            if (h.get(":message-type"), h.get(":event-type"), h.get(":content-type")) != \
                    ("event", "AudioEvent", "application/octet-stream"):
                raise Refused(400, "BadRequestException", "not an AudioEvent: %r" % h)
            if not inner.payload:
                self.log["ended"] = True
                return False
            if self.log["events"] == 0:
                self.log["first_audio_at"] = time.monotonic()
            self.log["events"] += 1
            self.log["audio_bytes"] += len(inner.payload)
            secs = len(inner.payload) / (2.0 * self.rate)
            self.log["event_ms"].append(round(secs * 1000))
            self.audio += secs
        return True

    def fault(self):
        a = self.args
        if a.exception and not self.exception_sent and self.audio >= a.exception_after:
            self.exception_sent = True
            self._send(exception_message(a.exception, "scripted %s" % a.exception))
            return True
        if a.max_audio and self.audio > a.max_audio:
            self._send(exception_message(
                "BadRequestException", "Your stream is too long: the limit is %gs" % a.max_audio))
            return True
        return False

    def run(self):
        buf = EventStreamBuffer()
        while True:
            data = self.conn.recv()
            if isinstance(data, str):
                raise Refused(400, "BadRequestException", "text frame")
            buf.add_data(data)
            for msg in buf:
                self.check_chunk(msg)
                going = self.audio_event(msg.payload)
                if self.args.silent:
                    continue
                if self.fault():
                    close_gracefully(self.conn)
                    return
                self.advance(final=not going)
                if not going:
                    close_gracefully(self.conn)
                    return


def close_gracefully(conn):
    """Close frame, then read (and drop) what the client still sends until
    its close frame: closing the socket on unread data would reset the
    connection and lose our last messages on the client's side."""
    conn.close(1000, "")
    conn.sock.settimeout(5)
    try:
        while True:
            conn.recv()
    except (ws_server.Closed, OSError, ValueError):
        pass


def write_log(args, entry):
    if args.log:
        with open(args.log, "a") as f:
            f.write(json.dumps(entry, default=str) + "\n")


def handler_for(args, script):
    def handle(conn):
        entry = {"path": conn.path}
        try:
            if conn.path != "/stream-transcription-websocket":
                raise Refused(404, "NotFound", "no such path")
            q = check_params(conn.query)
            seed, scope, secret = check_signature(conn, args.secret)
        except Refused as e:
            entry.update({"refused": e.status, "code": e.code, "signature_ok": e.status != 403,
                          "signature_error": e.message if e.status == 403 else None})
            write_log(args, entry)
            conn.refuse(e.status, json.dumps({"message": e.message}).encode())
            return
        conn.accept()
        session = Session(conn, args, script, q, seed, scope, secret)
        try:
            session.run()
        except ws_server.Closed:
            pass
        except Refused as e:
            session.log["error"] = e.message
            session._send(exception_message(e.code, e.message))
            close_gracefully(conn)
        finally:
            if session.session:
                with Media.lock:
                    Media.done[session.session] = session.offset + session.audio
            entry.update(session.log)
            write_log(args, entry)
    return handle


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--script", required=True)
    p.add_argument("--log")
    p.add_argument("--secret", default="testing")
    p.add_argument("--exception", choices=sorted(EXCEPTIONS))
    p.add_argument("--exception-after", type=float, default=0.0)
    p.add_argument("--silent", action="store_true")
    p.add_argument("--max-audio", type=float, default=0.0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    args = p.parse_args()
    with open(args.script) as f:
        script = json.load(f)
    ws_server.serve(args.port, handler_for(args, script))


if __name__ == "__main__":
    main()
