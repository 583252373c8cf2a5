#!/usr/bin/env python3
"""A loopback fake of Amazon Textract for textractsink's tests.

    fake_textract.py PORT [--s3 URL] [--log FILE] [--fault OP=CODE[:N]]...
                     [--job-polls N] [--page-size N] [--latency MS]

moto answers Textract with empty Blocks and has no AnalyzeDocument,
AnalyzeExpense or AnalyzeID, so this fake answers every call itself.

Every request is checked as the service would: JSON 1.1 framing,
X-Amz-Target "Textract.<Op>", a SigV4 Authorization header for textract,
and the body against botocore's textract service model with
botocore.validate.ParamValidator (blobs base64-decoded first). An invalid
request is answered 400 ValidationException and logged as invalid.
Document.Bytes must be a PDF, PNG, JPEG or TIFF of at most 10 MB; a PDF or
TIFF of several pages is refused by the synchronous calls with
UnsupportedDocumentException, as the service does.

Answers are composed from the documented shapes (the output shapes of the
same model, and validated against them before they are sent): a PAGE with
LINEs and WORDs, a TABLE whose first column has a MERGED_CELL, KEY_VALUE_SET
pairs (one with a checkbox), QUERY/QUERY_RESULT for every question asked,
a SIGNATURE and LAYOUT_* blocks when asked, ExpenseDocuments with summary
fields and line items, IdentityDocuments with normalised dates. The first
LINE of every page says what the fake was given, "<format> WxH", so tests
can tell which page an answer is for (a rendered page's size follows the
page's size and the dpi).

Asynchronous jobs (Start*/Get*): the S3 object is read from --s3 (moto),
its pages counted (pdfinfo for PDFs, the IFD chain for TIFFs), the job
answers IN_PROGRESS for --job-polls Get calls, then SUCCEEDED with every
page's blocks (Page set), --page-size blocks per answer with NextToken.
A missing object is InvalidS3ObjectException; --job-status FAILED makes
every job end FAILED with a StatusMessage.

Faults: --fault OP=CODE[:N] answers the first N calls (default: all) of OP
("*": any) with CODE: ThrottlingException,
ProvisionedThroughputExceededException, InternalServerError (500),
InvalidParameterException, UnsupportedDocumentException,
BadDocumentException, AccessDeniedException.

--log FILE gets one JSON line per request: op, valid, errors, status,
format, size, dims, sha1, features, queries, s3, job, next_token.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

MODEL = ServiceModel(Loader().load_service_model("textract", "service-2"), "textract")
SYNC_LIMIT = 10 * 1024 * 1024
FAULTS = {
    "ThrottlingException": 400, "ProvisionedThroughputExceededException": 400,
    "InternalServerError": 500, "InvalidParameterException": 400,
    "UnsupportedDocumentException": 400, "BadDocumentException": 400,
    "AccessDeniedException": 400,
}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ---- documents ----

def doc_format(data):
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data[:4] in (b"II*\0", b"MM\0*"):
        return "tiff"
    return "unknown"


def image_dims(data):
    """(width, height) of a PNG or JPEG, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    i = 2
    while data.startswith(b"\xff\xd8") and i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + length
    return None


def tiff_pages(data):
    """The number of images (IFDs) in a TIFF."""
    order = "little" if data[:2] == b"II" else "big"
    off, n, seen = int.from_bytes(data[4:8], order), 0, set()
    while 0 < off < len(data) - 2 and off not in seen:
        seen.add(off)
        n += 1
        count = int.from_bytes(data[off:off + 2], order)
        nxt = off + 2 + 12 * count
        off = int.from_bytes(data[nxt:nxt + 4], order)
    return n


def pdf_pages(data):
    """Pages of a PDF, or None when it cannot be read (corrupt, encrypted)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        cp = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True)
    m = re.search(r"^Pages:\s+(\d+)", cp.stdout, re.M)
    return int(m.group(1)) if cp.returncode == 0 and m else None


def page_count(data):
    fmt = doc_format(data)
    if fmt == "pdf":
        return pdf_pages(data)
    if fmt == "tiff":
        return tiff_pages(data)
    return 1


def describe(data):
    """What the first line of an answer says: "png 2550x3300"."""
    fmt = doc_format(data)
    dims = image_dims(data)
    return "%s %dx%d" % (fmt, dims[0], dims[1]) if dims else "%s %d bytes" % (fmt, len(data))


def check_document(data, sync=True):
    if len(data) > SYNC_LIMIT:
        raise ApiError(400, "InvalidParameterException",
                       "Document size %d exceeds the 10 MB limit of synchronous operations" % len(data))
    fmt = doc_format(data)
    if fmt == "unknown":
        raise ApiError(400, "UnsupportedDocumentException", "Request has unsupported document format")
    if fmt == "jpeg" and not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        raise ApiError(400, "BadDocumentException", "Unable to read the document (truncated JPEG)")
    pages = page_count(data)
    if pages is None:
        raise ApiError(400, "BadDocumentException", "Unable to read the document")
    if sync and pages > 1:
        raise ApiError(400, "UnsupportedDocumentException",
                       "Synchronous operations take single-page documents; this one has %d" % pages)
    return fmt


# ---- answers composed from the documented shapes ----

def geometry(left, top, width, height):
    return {"BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
            "Polygon": [{"X": left, "Y": top}, {"X": left + width, "Y": top},
                        {"X": left + width, "Y": top + height}, {"X": left, "Y": top + height}]}


class Page:
    """Builds one page's Blocks with Ids unique to (job, page)."""

    def __init__(self, number, seed, with_page):
        self.number, self.seed, self.with_page = number, seed, with_page
        self.blocks, self.n = [], 0

    def block(self, block_type, box=None, **fields):
        self.n += 1
        b = {"BlockType": block_type,
             "Id": str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%d/%d" % (self.seed, self.number, self.n)))}
        if box:
            b["Geometry"] = geometry(*box)
        if self.with_page:
            b["Page"] = self.number
        b.update(fields)
        self.blocks.append(b)
        return b

    def words(self, text, box, confidence=99.0):
        left, top, width, height = box
        parts = text.split()
        step = width / max(len(parts), 1)
        return [self.block("WORD", (left + i * step, top, step * 0.9, height), Text=w,
                           Confidence=confidence, TextType="PRINTED")
                for i, w in enumerate(parts)]

    def line(self, text, box, confidence=99.0):
        words = self.words(text, box, confidence)
        return self.block("LINE", box, Text=text, Confidence=confidence,
                          Relationships=[child(words)])


def child(blocks):
    return {"Type": "CHILD", "Ids": [b["Id"] for b in blocks]}


LINES = ["Invoice INV-0042", "Name: Jane Doe", "Item Qty Price", "Widget 3 12.50"]


def table(pg):
    """3x3 with a header row and a merged first column in rows 2-3."""
    cells, texts = [], [["Item", "Qty", "Price"], ["Widget", "3", "12.50"], ["", "5", "18.00"]]
    for r in range(3):
        for c in range(3):
            box = (0.1 + 0.2 * c, 0.4 + 0.05 * r, 0.2, 0.05)
            words = pg.words(texts[r][c], box) if texts[r][c] else []
            extra = {"EntityTypes": ["COLUMN_HEADER"]} if r == 0 else {}
            cells.append(pg.block("CELL", box, RowIndex=r + 1, ColumnIndex=c + 1, RowSpan=1,
                                  ColumnSpan=1, Confidence=95.0,
                                  Relationships=[child(words)] if words else [], **extra))
    merged = pg.block("MERGED_CELL", (0.1, 0.45, 0.2, 0.1), RowIndex=2, ColumnIndex=1, RowSpan=2,
                      ColumnSpan=1, Confidence=95.0, Relationships=[child([cells[3], cells[6]])])
    pg.block("TABLE", (0.1, 0.4, 0.6, 0.15), Confidence=97.5, EntityTypes=["STRUCTURED_TABLE"],
             Relationships=[child(cells), {"Type": "MERGED_CELL", "Ids": [merged["Id"]]}])


def key_value(pg, key, value_blocks, key_box, value_box):
    value = pg.block("KEY_VALUE_SET", value_box, EntityTypes=["VALUE"], Confidence=93.0,
                     Relationships=[child(value_blocks)])
    pg.block("KEY_VALUE_SET", key_box, EntityTypes=["KEY"], Confidence=94.0,
             Relationships=[{"Type": "VALUE", "Ids": [value["Id"]]}, child(pg.words(key, key_box))])


def forms(pg):
    key_value(pg, "Name:", pg.words("Jane Doe", (0.3, 0.2, 0.2, 0.04)), (0.1, 0.2, 0.15, 0.04),
              (0.3, 0.2, 0.2, 0.04))
    box = pg.block("SELECTION_ELEMENT", (0.3, 0.3, 0.03, 0.03), SelectionStatus="SELECTED",
                   Confidence=98.0)
    key_value(pg, "Paid", [box], (0.1, 0.3, 0.1, 0.04), (0.3, 0.3, 0.03, 0.03))


def queries(pg, questions):
    for i, q in enumerate(questions):
        result = pg.block("QUERY_RESULT", (0.3, 0.1, 0.2, 0.04), Text="answer %d" % (i + 1),
                          Confidence=91.0)
        query = {"Text": q["Text"]}
        if "Alias" in q:
            query["Alias"] = q["Alias"]
        pg.block("QUERY", None, Query=query, Relationships=[{"Type": "ANSWER", "Ids": [result["Id"]]}])


def compose_page(number, seed, what, features, questions, with_page):
    pg = Page(number, seed, with_page)
    lines = [pg.line(t, (0.1, 0.05 + 0.08 * i, 0.6, 0.04))
             for i, t in enumerate(["%s page %d" % (what, number)] + LINES)]
    page = pg.block("PAGE", (0.0, 0.0, 1.0, 1.0), Relationships=[child(lines)])
    pg.blocks.remove(page)
    pg.blocks.insert(0, page)
    if "TABLES" in features:
        table(pg)
    if "FORMS" in features:
        forms(pg)
    if "QUERIES" in features:
        queries(pg, questions)
    if "SIGNATURES" in features:
        pg.block("SIGNATURE", (0.6, 0.85, 0.25, 0.05), Confidence=96.0)
    if "LAYOUT" in features:
        pg.block("LAYOUT_TITLE", (0.1, 0.05, 0.6, 0.04), Confidence=90.0,
                 Relationships=[child(lines[:1])])
    return pg.blocks


def expense_field(type_, label, value, page, box=(0.6, 0.8, 0.2, 0.04)):
    f = {"Type": {"Text": type_, "Confidence": 99.0},
         "ValueDetection": {"Text": value, "Geometry": geometry(*box), "Confidence": 97.0},
         "PageNumber": page}
    if label:
        f["LabelDetection"] = {"Text": label, "Geometry": geometry(box[0] - 0.2, box[1], 0.15, box[3]),
                               "Confidence": 95.0}
    return f


def expense_documents(pages, what):
    docs = []
    for page in pages:
        summary = [expense_field("VENDOR_NAME", None, "ACME Tools", page, (0.1, 0.05, 0.3, 0.04)),
                   expense_field("INVOICE_RECEIPT_ID", "Invoice", "INV-0042", page),
                   expense_field("INVOICE_RECEIPT_DATE", "Date", "2024-03-01", page),
                   expense_field("TOTAL", "Total", "55.50", page, (0.6, 0.9, 0.2, 0.04)),
                   expense_field("OTHER", "Seen", what, page)]
        items = [{"LineItemExpenseFields": [expense_field("ITEM", None, name, page),
                                            expense_field("QUANTITY", None, qty, page),
                                            expense_field("PRICE", None, price, page)]}
                 for name, qty, price in (("Widget A", "3", "12.50"), ("Widget B", "1", "18.00"))]
        docs.append({"ExpenseIndex": len(docs) + 1, "SummaryFields": summary,
                     "LineItemGroups": [{"LineItemGroupIndex": 1, "LineItems": items}],
                     "Blocks": []})
    return docs


def identity_documents(n):
    def field(type_, text, normalized=None):
        vd = {"Text": text, "Confidence": 98.0}
        if normalized:
            vd["NormalizedValue"] = {"Value": normalized, "ValueType": "Date"}
        return {"Type": {"Text": type_}, "ValueDetection": vd}

    return [{"DocumentIndex": i + 1, "Blocks": [], "IdentityDocumentFields": [
        field("FIRST_NAME", "JANE"), field("LAST_NAME", "DOE"),
        field("DOCUMENT_NUMBER", "X1234567"),
        field("DATE_OF_BIRTH", "15 JUN 1990", "1990-06-15T00:00:00"),
        field("EXPIRATION_DATE", "01/02/2031", "2031-01-02T00:00:00"),
        field("MIDDLE_NAME", "")]} for i in range(n)]


# ---- state ----

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.log = open(args.log, "a") if args.log else None
        self.jobs = {}
        self.faults = []
        for spec in args.fault or []:
            op, _, rest = spec.partition("=")
            code, _, n = rest.partition(":")
            if code not in FAULTS:
                raise SystemExit("unknown fault %s" % code)
            self.faults.append({"op": op, "code": code, "left": int(n) if n else None})

    def fault(self, op):
        with self.lock:
            for f in self.faults:
                if f["op"] in (op, "*") and (f["left"] is None or f["left"] > 0):
                    if f["left"] is not None:
                        f["left"] -= 1
                    return ApiError(FAULTS[f["code"]], f["code"], "fake fault %s" % f["code"])
        return None

    def write_log(self, entry):
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()


# ---- operations ----

def decode_bytes(doc):
    try:
        doc["Bytes"] = base64.b64decode(doc["Bytes"], validate=True)
    except Exception:
        raise ApiError(400, "SerializationException", "Document.Bytes is not base64")
    return doc["Bytes"]


def sync_document(req, entry):
    data = req["Document"]["Bytes"]
    fmt = check_document(data)
    entry.update(format=fmt, size=len(data), dims=image_dims(data),
                 sha1=hashlib.sha1(data).hexdigest())
    return data


def detect_text(st, req, entry):
    data = sync_document(req, entry)
    return {"DocumentMetadata": {"Pages": 1}, "DetectDocumentTextModelVersion": "1.0",
            "Blocks": compose_page(1, entry["sha1"], describe(data), [], [], False)}


def analyze_document(st, req, entry):
    data = sync_document(req, entry)
    questions = req.get("QueriesConfig", {}).get("Queries", [])
    if "QUERIES" in req["FeatureTypes"] and not questions:
        raise ApiError(400, "InvalidParameterException", "QUERIES needs QueriesConfig")
    return {"DocumentMetadata": {"Pages": 1}, "AnalyzeDocumentModelVersion": "1.0",
            "Blocks": compose_page(1, entry["sha1"], describe(data), req["FeatureTypes"],
                                   questions, False)}


def analyze_expense(st, req, entry):
    data = sync_document(req, entry)
    return {"DocumentMetadata": {"Pages": 1},
            "ExpenseDocuments": expense_documents([1], describe(data))}


def analyze_id(st, req, entry):
    pages = req["DocumentPages"]
    if len(pages) > 2:
        raise ApiError(400, "InvalidParameterException", "AnalyzeID takes one or two pages")
    for p in pages:
        if "Bytes" not in p:
            raise ApiError(400, "InvalidParameterException", "AnalyzeID here takes Bytes")
        fmt = check_document(p["Bytes"])
        entry.update(format=fmt, size=len(p["Bytes"]), dims=image_dims(p["Bytes"]))
    return {"DocumentMetadata": {"Pages": len(pages)}, "AnalyzeIDModelVersion": "1.0",
            "IdentityDocuments": identity_documents(len(pages))}


def read_s3(st, location):
    """The object, read from --s3 (moto) as Textract reads it from S3."""
    import boto3
    from botocore.config import Config
    obj = location["S3Object"]
    if not st.args.s3:
        raise ApiError(400, "InvalidS3ObjectException", "no S3 configured in the fake")
    s3 = boto3.client("s3", endpoint_url=st.args.s3, region_name="us-east-1",
                      aws_access_key_id="fake", aws_secret_access_key="fake",
                      config=Config(s3={"addressing_style": "path"}))
    try:
        return s3.get_object(Bucket=obj["Bucket"], Key=obj["Name"])["Body"].read()
    except s3.exceptions.ClientError:
        raise ApiError(400, "InvalidS3ObjectException",
                       "Unable to get object metadata from S3. Check object key, region and/or access permissions.")


def start_job(st, req, entry, kind):
    data = read_s3(st, req["DocumentLocation"])
    fmt = doc_format(data)
    if fmt not in ("pdf", "tiff", "png", "jpeg"):
        raise ApiError(400, "UnsupportedDocumentException", "Request has unsupported document format")
    pages = page_count(data)
    if not pages:
        raise ApiError(400, "BadDocumentException", "Unable to read the document")
    job = hashlib.sha1(("%s/%s/%f" % (kind, req["DocumentLocation"], time.time())).encode()).hexdigest()
    questions = req.get("QueriesConfig", {}).get("Queries", [])
    what = "%s s3 %d pages" % (fmt, pages)
    if kind == "expense":
        items = expense_documents(range(1, pages + 1), what)
    else:
        items = []
        for p in range(1, pages + 1):
            items += compose_page(p, job, what, req.get("FeatureTypes", []), questions, True)
    with st.lock:
        st.jobs[job] = {"kind": kind, "items": items, "polls": st.args.job_polls, "pages": pages}
    entry.update(s3=req["DocumentLocation"]["S3Object"], job=job, pages=pages, format=fmt)
    return {"JobId": job}


def get_job(st, req, entry, kind):
    with st.lock:
        job = st.jobs.get(req["JobId"])
        if not job or job["kind"] != kind:
            raise ApiError(400, "InvalidJobIdException", "An invalid job identifier was passed.")
        entry.update(job=req["JobId"], next_token=req.get("NextToken"))
        if job["polls"] > 0:
            job["polls"] -= 1
            return {"JobStatus": "IN_PROGRESS"}
    if st.args.job_status != "SUCCEEDED":
        return {"JobStatus": st.args.job_status, "StatusMessage": "fake: the job %s" % st.args.job_status.lower()}
    size = min(req.get("MaxResults", 1000), st.args.page_size)
    start = int(req.get("NextToken") or 0)
    out = {"JobStatus": "SUCCEEDED", "DocumentMetadata": {"Pages": job["pages"]}}
    out["ExpenseDocuments" if kind == "expense" else "Blocks"] = job["items"][start:start + size]
    if start + size < len(job["items"]):
        out["NextToken"] = str(start + size)
    return out


HANDLERS = {
    "DetectDocumentText": detect_text, "AnalyzeDocument": analyze_document,
    "AnalyzeExpense": analyze_expense, "AnalyzeID": analyze_id,
    "StartDocumentAnalysis": lambda st, r, e: start_job(st, r, e, "analysis"),
    "StartDocumentTextDetection": lambda st, r, e: start_job(st, r, e, "text"),
    "StartExpenseAnalysis": lambda st, r, e: start_job(st, r, e, "expense"),
    "GetDocumentAnalysis": lambda st, r, e: get_job(st, r, e, "analysis"),
    "GetDocumentTextDetection": lambda st, r, e: get_job(st, r, e, "text"),
    "GetExpenseAnalysis": lambda st, r, e: get_job(st, r, e, "expense"),
}


def validate(op, req):
    report = ParamValidator().validate(req, MODEL.operation_model(op).input_shape)
    return report.generate_report() if report.has_errors() else ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeTextract/1.0"

    def log_message(self, *args):
        pass

    def send_json(self, status, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        op = target.split(".", 1)[1] if target.startswith("Textract.") else target
        entry = {"op": op, "valid": True, "errors": "", "time": time.time()}
        try:
            answer = self.handle_call(st, op, body, entry)
            status = 200
        except ApiError as e:
            status, answer = e.status, e
        except Exception as e:  # a bug of the fake: tests look for fake_error
            entry["fake_error"] = repr(e)
            status, answer = 500, ApiError(500, "InternalServerError", "fake: %r" % e)
        entry["status"] = status
        if isinstance(answer, ApiError):
            entry["code"] = answer.code
        if st.args.latency:
            time.sleep(st.args.latency / 1000.0)
        st.write_log(entry)
        if isinstance(answer, ApiError):
            self.send_json(answer.status, {"__type": answer.code, "message": answer.message},
                           {"X-Amzn-ErrorType": answer.code})
        else:
            self.send_json(200, answer)

    def handle_call(self, st, op, body, entry):
        auth = self.headers.get("Authorization", "")
        problems = []
        if self.headers.get("Content-Type") != "application/x-amz-json-1.1":
            problems.append("Content-Type is %r" % self.headers.get("Content-Type"))
        if not auth.startswith("AWS4-HMAC-SHA256 Credential=") or "/textract/aws4_request" not in auth:
            problems.append("no SigV4 Authorization for textract")
        if op not in HANDLERS:
            problems.append("unknown operation %r" % op)
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            problems.append("body is not JSON")
            req = {}
        if not problems:
            for doc in [req.get("Document")] + list(req.get("DocumentPages") or []):
                if isinstance(doc, dict) and "Bytes" in doc:
                    decode_bytes(doc)
            problems.append(validate(op, req))
        problems = [p for p in problems if p]
        if problems:
            entry.update(valid=False, errors="; ".join(problems))
            raise ApiError(400, "ValidationException", "; ".join(problems))
        entry.update(features=req.get("FeatureTypes"),
                     queries=[q["Text"] for q in req.get("QueriesConfig", {}).get("Queries", [])])
        fault = st.fault(op)
        if fault:
            raise fault
        answer = HANDLERS[op](st, req, entry)
        report = ParamValidator().validate(answer, MODEL.operation_model(op).output_shape)
        if report.has_errors():
            raise RuntimeError("fake answer does not match the model: " + report.generate_report())
        return answer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--s3", help="S3 endpoint (moto) the asynchronous jobs read from")
    p.add_argument("--log")
    p.add_argument("--fault", action="append", help="OP=CODE[:N]")
    p.add_argument("--job-polls", type=int, default=2, help="Get calls answered IN_PROGRESS")
    p.add_argument("--page-size", type=int, default=1000, help="Blocks per Get answer")
    p.add_argument("--job-status", default="SUCCEEDED", choices=["SUCCEEDED", "FAILED"],
                   help="how asynchronous jobs end")
    p.add_argument("--latency", type=float, default=0.0)
    args = p.parse_args()
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
