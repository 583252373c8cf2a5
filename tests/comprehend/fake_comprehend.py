#!/usr/bin/env python3
"""A loopback fake of Amazon Comprehend for comprehend's tests.

    fake_comprehend.py PORT [--log FILE] [--throttle-first N] [--fail-first N]
                       [--text-size-limit] [--unsupported LANG ...]
                       [--item-error-once SUBSTR] [--item-error-always SUBSTR]
                       [--latency MS]

moto has no DetectEntities and no Batch* calls, so this answers them.
Every request is checked against botocore's service model for Comprehend
(JSON 1.1 framing, X-Amz-Target, a SigV4 Authorization header, and the body
with botocore.validate.ParamValidator) and against the service's documented
limits (25 texts a batch call, 5,000 bytes UTF-8 a text); an invalid one is
answered 400 ValidationException (or the service's own exception for a
limit) and logged as invalid.

Answers are deterministic functions of the text, shaped as the model's
output shapes say (ResultList items with Index, ErrorList):
- key phrases: every word of 7 letters or more, Score 0.99;
- entities: every capitalised word not first in its sentence, PERSON,
  Score 0.95, and every number, QUANTITY, Score 0.90;
- sentiment: POSITIVE / NEGATIVE / NEUTRAL by counting good/great/love
  against bad/terrible/hate;
- dominant language: "ja" for kana, "ru" for Cyrillic, "de" for German
  function words, else "en".
Offsets count characters (code points), as the service does.

Faults: --throttle-first N answers the first N calls 400 ThrottlingException,
--fail-first N then 500 InternalServerException; --text-size-limit answers
every detection call TextSizeLimitExceededException; --unsupported LANG
answers calls in LANG UnsupportedLanguageException; --item-error-once S puts
the first item whose text contains S in the ErrorList (INTERNAL_SERVER_ERROR)
and answers it when it comes again; --item-error-always S always does.

--log FILE gets one JSON line per request: op, valid, errors, status,
n_texts, max_bytes, language, time.
"""
import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

MODEL = ServiceModel(Loader().load_service_model("comprehend", "service-2"), "comprehend")
PREFIX = MODEL.metadata["targetPrefix"] + "."
MAX_BATCH = 25
MAX_BYTES = 5000
LANGUAGES = MODEL.shape_for("LanguageCode").enum
BATCH_OPS = {"BatchDetectKeyPhrases", "BatchDetectEntities", "BatchDetectSentiment",
             "BatchDetectDominantLanguage"}
SINGLE_OPS = {"DetectKeyPhrases", "DetectEntities", "DetectSentiment", "DetectDominantLanguage"}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ---- answers ----

def key_phrases(text):
    return {"KeyPhrases": [{"Score": 0.99, "Text": m.group(0), "BeginOffset": m.start(),
                            "EndOffset": m.end()} for m in re.finditer(r"\w{7,}", text)]}


def entities(text):
    out = []
    for m in re.finditer(r"\b[0-9][0-9.,]*\b|\b[A-Z]\w+", text):
        before = text[:m.start()].rstrip()
        if m.group(0)[0].isdigit():
            out.append({"Score": 0.90, "Type": "QUANTITY", "Text": m.group(0),
                        "BeginOffset": m.start(), "EndOffset": m.end()})
        elif before and before[-1] not in ".!?":
            out.append({"Score": 0.95, "Type": "PERSON", "Text": m.group(0),
                        "BeginOffset": m.start(), "EndOffset": m.end()})
    return {"Entities": out}


def sentiment(text):
    words = re.findall(r"\w+", text.lower())
    pos = sum(w in ("good", "great", "love") for w in words)
    neg = sum(w in ("bad", "terrible", "hate") for w in words)
    name = "POSITIVE" if pos > neg else "NEGATIVE" if neg > pos else "NEUTRAL"
    scores = {"Positive": 0.05, "Negative": 0.05, "Neutral": 0.05, "Mixed": 0.05}
    scores[name.capitalize()] = 0.85
    return {"Sentiment": name, "SentimentScore": scores}


def language(text):
    if re.search(r"[\u3040-\u30ff]", text):
        code = "ja"
    elif re.search(r"[\u0400-\u04ff]", text):
        code = "ru"
    elif len(re.findall(r"\b(der|die|das|und|ist|nicht)\b", text.lower())) >= 2:
        code = "de"
    else:
        code = "en"
    return {"Languages": [{"LanguageCode": code, "Score": 0.98}]}


ANSWER = {"KeyPhrases": key_phrases, "Entities": entities, "Sentiment": sentiment,
          "DominantLanguage": language}


def kind(op):
    return op.replace("Batch", "").replace("Detect", "")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.calls = 0
        self.failed_once = set()
        self.log = open(args.log, "a") if args.log else None

    def write_log(self, entry):
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()

    def next_call(self):
        with self.lock:
            self.calls += 1
            return self.calls

    def item_fails(self, text):
        a = self.args
        if a.item_error_always and a.item_error_always in text:
            return True
        if a.item_error_once and a.item_error_once in text:
            with self.lock:
                if text not in self.failed_once:
                    self.failed_once.add(text)
                    return True
        return False


def check_limits(op, req):
    texts = req.get("TextList") if op in BATCH_OPS else [req.get("Text", "")]
    if op in BATCH_OPS and len(texts) > MAX_BATCH:
        raise ApiError(400, "BatchSizeLimitExceededException",
                       "The number of documents in the request exceeds the limit of 25.")
    for t in texts:
        if len(t.encode("utf-8")) > MAX_BYTES:
            raise ApiError(400, "TextSizeLimitExceededException",
                           "Input text size exceeds limit. Max length of request text "
                           "allowed is 5000 bytes while in this request the text size "
                           "is %d bytes" % len(t.encode("utf-8")))
    lang = req.get("LanguageCode")
    if lang is not None and lang not in LANGUAGES:
        raise ApiError(400, "UnsupportedLanguageException", "Unsupported language: %s" % lang)
    return texts


def answer(st, op, req):
    a = st.args
    texts = check_limits(op, req)
    lang = req.get("LanguageCode")
    if a.text_size_limit and op != "BatchDetectDominantLanguage":
        raise ApiError(400, "TextSizeLimitExceededException", "Input text size exceeds limit.")
    if lang and lang in (a.unsupported or []):
        raise ApiError(400, "UnsupportedLanguageException",
                       "Amazon Comprehend can't process the language of the input text: %s" % lang)
    fn = ANSWER[kind(op)]
    if op in SINGLE_OPS:
        return fn(texts[0])
    results, errors = [], []
    for i, text in enumerate(texts):
        if st.item_fails(text):
            errors.append({"Index": i, "ErrorCode": "INTERNAL_SERVER_ERROR",
                           "ErrorMessage": "Unknown error while processing the document"})
        else:
            item = fn(text)
            item["Index"] = i
            results.append(item)
    return {"ResultList": results, "ErrorList": errors}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, body, code=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "fake-%d" % int(time.monotonic() * 1e6))
        if code:
            self.send_header("X-Amzn-ErrorType", code)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        op = target[len(PREFIX):] if target.startswith(PREFIX) else None
        entry = {"op": op, "valid": True, "errors": None, "time": time.time()}
        try:
            req = self.validate(op, body)
            entry.update(n_texts=len(req.get("TextList", [req.get("Text")])),
                         max_bytes=max(len(t.encode()) for t in req.get("TextList", [req.get("Text", "")])),
                         language=req.get("LanguageCode"))
            n = st.next_call()
            if n <= st.args.throttle_first:
                raise ApiError(400, "ThrottlingException", "Rate exceeded")
            if n <= st.args.throttle_first + st.args.fail_first:
                raise ApiError(500, "InternalServerException", "Internal server error")
            if st.args.latency:
                time.sleep(st.args.latency / 1000.0)
            out = answer(st, op, req)
            entry["status"] = 200
            st.write_log(entry)
            self.send_json(200, out)
        except ApiError as e:
            entry.update(status=e.status, errors=e.code)
            if e.code == "ValidationException":
                entry["valid"] = False
                entry["errors"] = e.message
            st.write_log(entry)
            self.send_json(e.status, {"__type": e.code, "Message": e.message}, e.code)

    def validate(self, op, body):
        if op not in BATCH_OPS | SINGLE_OPS:
            raise ApiError(400, "ValidationException", "unknown or missing X-Amz-Target %r"
                           % self.headers.get("X-Amz-Target"))
        if not self.headers.get("Content-Type", "").startswith("application/x-amz-json-1.1"):
            raise ApiError(400, "ValidationException", "Content-Type is not application/x-amz-json-1.1")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 Credential=") or "/comprehend/aws4_request" not in auth:
            raise ApiError(400, "ValidationException", "missing or malformed SigV4 Authorization")
        try:
            req = json.loads(body)
        except ValueError as e:
            raise ApiError(400, "ValidationException", "body is not JSON: %s" % e)
        report = ParamValidator().validate(req, MODEL.operation_model(op).input_shape)
        if report.has_errors():
            raise ApiError(400, "ValidationException", report.generate_report())
        return req


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--log")
    ap.add_argument("--throttle-first", type=int, default=0)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--text-size-limit", action="store_true")
    ap.add_argument("--unsupported", action="append")
    ap.add_argument("--item-error-once")
    ap.add_argument("--item-error-always")
    ap.add_argument("--latency", type=float, default=0)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
