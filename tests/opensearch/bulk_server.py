#!/usr/bin/env python3
"""A loopback stand-in for OpenSearch, for opensearchsink's tests and benchmark.

No OpenSearch server can be installed on the test machines, so this speaks
the part of OpenSearch's REST API the sink uses, in OpenSearch's documented
formats:

  GET  /                           cluster banner
  PUT  /_index_template/NAME       composable index template (index_patterns,
  GET  /_index_template/NAME         priority, template.mappings)
  PUT  /INDEX                      create an index (mappings from the body or
                                   the best matching template)
  POST /_bulk, /INDEX/_bulk        NDJSON bulk: index, create, delete, update
                                   (filter_path honoured, as OpenSearch does)
  GET  /INDEX/_doc/ID              one document
  GET  /INDEX/_count, /_count      document counts (comma lists, * wildcards)
  GET  /INDEX/_mapping             the index's mapping

Bulk answers: HTTP 200 with `took`, `errors` and `items` in request order,
each item with `_index`, `_id`, `status` and either the write result or an
`error` {type, reason}; documents are checked against the index mapping
(numeric fields coerce numeric strings and reject anything else with a
per-item 400 mapper_parsing_exception, as OpenSearch does). Bodies over
--max-content-length get 413.

Failures to inject (command line, or at run time with POST /_mt/inject and
the same names in a JSON object):
  item_429_rate     fraction of items answered 429 es_rejected_execution_exception
  request_429_rate  fraction of bulk requests answered 429 rejected_execution_exception
  request_503_rate  fraction of bulk requests answered 503
  fail_next         list of HTTP statuses: the next bulk requests get these
  delay_ms          answer each bulk request this much later (a slow cluster)
GET /_mt/stats tells what happened: requests, statuses, per-document count of
successful index operations, SigV4 checks.

Authentication: --basic USER:PASS requires HTTP basic auth (401 otherwise);
--sigv4 REGION/SERVICE with --access-key/--secret-key checks every request's
SigV4 signature by recomputing it with botocore (403 when it differs), and
for the `aoss` service also requires x-amz-content-sha256 to match the body.

--lean answers bulk requests without parsing or storing the documents (the
action lines are still read, so items are exact): the benchmark's fast path.

Usage: bulk_server.py PORT [options]
"""
import argparse
import base64
import fnmatch
import hashlib
import json
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

VERSION = {"distribution": "opensearch", "number": "2.11.0", "lucene_version": "9.7.0"}
NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float"}
INTEGRAL = {"long", "integer", "short", "byte"}


def compile_filter(paths):
    """filter_path patterns as a tree of keys; None marks where a pattern
    ends (keep the whole value)."""
    tree = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
        node[None] = True
    return tree


def merge_trees(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge_trees(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


def filter_path(obj, tree):
    """OpenSearch's filter_path: keep only the fields the patterns name
    (`*` matches any key), looking through arrays, dropping what ends up
    empty."""
    if isinstance(obj, list):
        kept = [filter_path(v, tree) for v in obj]
        return [v for v in kept if v is not None]
    if not isinstance(obj, dict):
        return obj
    out = {}
    star = tree.get("*")
    for key, value in obj.items():
        sub = tree.get(key)
        if sub is None:
            sub = star
        elif star is not None:
            sub = merge_trees(sub, star)
        if sub is None:
            continue
        if None in sub:
            out[key] = value
            continue
        v = filter_path(value, sub)
        if v not in (None, {}, []):
            out[key] = v
    return out or None


def error_body(status, etype, reason, **extra):
    err = {"type": etype, "reason": reason}
    err.update(extra)
    return {"error": {"root_cause": [dict(err)], **err}, "status": status}


class State:
    def __init__(self, args):
        self.lock = threading.RLock()
        self.args = args
        self.rng = random.Random(args.seed)
        self.templates = {}
        self.indices = {}          # name -> {"mappings": {...}, "docs": {id: [source, version, seq_no]}}
        self.seq_no = 0
        self.inject = {
            "item_429_rate": args.item_429_rate,
            "request_429_rate": args.request_429_rate,
            "request_503_rate": args.request_503_rate,
            "fail_next": list(args.fail_next or []),
            "delay_ms": args.delay_ms,
        }
        self.stats = {"requests": 0, "bulk_requests": 0, "bulk_items": 0, "statuses": {},
                      "item_statuses": {}, "index_ops": {}, "sigv4_checked": 0,
                      "sigv4_failed": 0, "content_types": {}, "max_body_bytes": 0}

    def count(self, key, sub):
        d = self.stats[key]
        d[sub] = d.get(sub, 0) + 1


# ---------------------------------------------------------------- mappings

def template_for(state, index):
    best = None
    for name, tpl in state.templates.items():
        if any(fnmatch.fnmatchcase(index, p) for p in tpl.get("index_patterns", [])):
            if best is None or tpl.get("priority", 0) > best.get("priority", 0):
                best = tpl
    return best


def patterns_overlap(a, b):
    """Whether two lists of index patterns can match one index name (an
    approximation of OpenSearch's automaton check: one pattern matches the
    other as text)."""
    return any(fnmatch.fnmatchcase(x, y) or fnmatch.fnmatchcase(y, x) for x in a for y in b)


def create_index(state, index, body=None):
    mappings = {}
    tpl = template_for(state, index)
    if tpl is not None:
        mappings = json.loads(json.dumps(tpl.get("template", {}).get("mappings", {})))
    if body and "mappings" in body:
        mappings.setdefault("properties", {}).update(body["mappings"].get("properties", {}))
    mappings.setdefault("properties", {})
    state.indices[index] = {"mappings": mappings, "docs": {}}
    return state.indices[index]


def dynamic_type(value):
    """OpenSearch's dynamic mapping of a new field; arrays are mapped by
    their first non-null element, and nothing is mapped for an empty one."""
    if isinstance(value, list):
        value = next((v for v in value if v is not None), None)
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    if isinstance(value, dict):
        return {"properties": {}}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def check_value(path, mapping, value, doc_id):
    """Returns None or the mapper_parsing_exception reason for one field."""
    if value is None:
        return None
    if isinstance(value, list):
        for v in value:
            r = check_value(path, mapping, v, doc_id)
            if r:
                return r
        return None
    mtype = mapping.get("type", "object" if "properties" in mapping or "enabled" in mapping else None)
    if mtype == "object" or mtype is None:
        if mapping.get("enabled", True) is False:
            return None
        if not isinstance(value, dict):
            return ("object mapping for [%s] tried to parse field [%s] as object, "
                    "but found a concrete value" % (path, path.rsplit(".", 1)[-1]))
        return check_object(path + ".", mapping.setdefault("properties", {}), value, doc_id)
    if isinstance(value, dict):
        return ("failed to parse field [%s] of type [%s] in document with id '%s'. "
                "Preview of field's value: '%s'" % (path, mtype, doc_id, json.dumps(value)[:50]))
    if mtype in NUMERIC:
        ok = not isinstance(value, bool)
        if ok and isinstance(value, str):
            try:
                num = float(value)
                ok = not (mtype in INTEGRAL and num != int(num))
            except ValueError:
                ok = False
        if not ok:
            return ("failed to parse field [%s] of type [%s] in document with id '%s'. "
                    "Preview of field's value: '%s'" % (path, mtype, doc_id, value))
    return None


def check_object(prefix, props, obj, doc_id):
    for key, value in obj.items():
        if key not in props:
            mapping = dynamic_type(value)
            if mapping is None:
                continue
            props[key] = mapping
        r = check_value(prefix + key, props[key], value, doc_id)
        if r:
            return r
    return None


# ---------------------------------------------------------------- bulk

def parse_bulk(body, default_index):
    """Splits an NDJSON bulk body into operations, as OpenSearch's parser
    does. Raises ValueError(reason) for a request-level 400."""
    if not body.endswith(b"\n"):
        raise ValueError("The bulk request must be terminated by a newline [\\n]")
    lines = body.split(b"\n")[:-1]
    ops = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        try:
            action = json.loads(line)
        except ValueError:
            raise ValueError("Malformed action/metadata line [%d], expected START_OBJECT" % (i + 1))
        if not isinstance(action, dict) or len(action) != 1:
            raise ValueError("Malformed action/metadata line [%d], expected START_OBJECT" % (i + 1))
        (op, meta), = action.items()
        if op not in ("index", "create", "delete", "update"):
            raise ValueError("Malformed action/metadata line [%d], expected field [create], "
                             "[delete], [index] or [update] but found [%s]" % (i + 1, op))
        if not isinstance(meta, dict):
            raise ValueError("Malformed action/metadata line [%d]" % (i + 1))
        index = meta.get("_index", default_index)
        if not index:
            raise ValueError("Validation Failed: 1: index is missing;")
        source = None
        if op != "delete":
            if i + 1 >= len(lines):
                raise ValueError("Validation Failed: 1: source is missing;")
            source = lines[i + 1]
            i += 1
        ops.append((op, index, meta.get("_id"), source))
        i += 1
    return ops


def invalid_index_name(index):
    if index != index.lower():
        return "must be lowercase"
    if index.startswith(("_", "-", "+")):
        return "must not start with '_', '-', or '+'"
    if any(c in index for c in '\\/*?"<>| ,#:'):
        return 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]'
    return None


def apply_op(state, op, index, doc_id, source, lean):
    """One bulk item: returns (status, item-body)."""
    item = {"_index": index, "_id": doc_id}
    bad = invalid_index_name(index)
    if bad:
        item.update(status=400, error={"type": "invalid_index_name_exception",
                                       "reason": "Invalid index name [%s], %s" % (index, bad),
                                       "index": index})
        return item
    if doc_id is None:
        doc_id = base64.urlsafe_b64encode(random.randbytes(15)).decode()
        item["_id"] = doc_id
    if state.inject["item_429_rate"] and state.rng.random() < state.inject["item_429_rate"]:
        item.update(status=429, error={
            "type": "es_rejected_execution_exception",
            "reason": "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
                      "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=%d, "
                      "max_coordinating_and_primary_bytes=1]" % len(source or b"")})
        return item
    if lean:
        state.count("index_ops", index + "/" + doc_id)
        item.update(_version=1, result="created", status=201,
                    _shards={"total": 2, "successful": 1, "failed": 0}, _seq_no=0, _primary_term=1)
        return item
    idx = state.indices.get(index) or create_index(state, index)
    docs = idx["docs"]
    if op == "delete":
        found = docs.pop(doc_id, None)
        item.update(result="deleted" if found else "not_found", status=200 if found else 404)
        return item
    try:
        doc = json.loads(source)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except ValueError as e:
        item.update(status=400, error={"type": "mapper_parsing_exception", "reason": "failed to parse",
                                       "caused_by": {"type": "json_parse_exception", "reason": str(e)}})
        return item
    if op == "update":
        if doc_id not in docs and not doc.get("doc_as_upsert"):
            item.update(status=404, error={"type": "document_missing_exception",
                                           "reason": "[%s]: document missing" % doc_id})
            return item
        merged = dict(docs[doc_id][0]) if doc_id in docs else {}
        merged.update(doc.get("doc", {}))
        doc = merged
    if op == "create" and doc_id in docs:
        item.update(status=409, error={
            "type": "version_conflict_engine_exception",
            "reason": "[%s]: version conflict, document already exists (current version [%d])"
                      % (doc_id, docs[doc_id][1])})
        return item
    reason = check_object("", idx["mappings"]["properties"], doc, doc_id)
    if reason:
        item.update(status=400, error={"type": "mapper_parsing_exception", "reason": reason})
        return item
    version = docs[doc_id][1] + 1 if doc_id in docs else 1
    state.seq_no += 1
    docs[doc_id] = [doc, version, state.seq_no]
    state.count("index_ops", index + "/" + doc_id)
    item.update(_version=version, result="updated" if version > 1 else "created",
                _shards={"total": 2, "successful": 1, "failed": 0},
                _seq_no=state.seq_no, _primary_term=1, status=201 if version == 1 else 200)
    return item


# ---------------------------------------------------------------- SigV4

def check_sigv4(args, method, path, headers, body):
    """None when the request's signature is what botocore computes for it
    with the known secret, else the reason."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m:
        return "Authorization header is missing or not AWS4-HMAC-SHA256"
    akid, day, region, service, signed, signature = m.groups()
    want_region, want_service = args.sigv4.split("/")
    if akid != args.access_key:
        return "The security token included in the request is invalid."
    if (region, service) != (want_region, want_service):
        return "Credential should be scoped to a valid region/service, not %s/%s" % (region, service)
    amz_date = headers.get("X-Amz-Date", "")
    if not amz_date.startswith(day):
        return "X-Amz-Date does not match the credential scope date"
    sha = headers.get("x-amz-content-sha256")
    if service == "aoss":
        if sha is None:
            return "x-amz-content-sha256 header is required by OpenSearch Serverless"
        if sha != hashlib.sha256(body).hexdigest():
            return "x-amz-content-sha256 does not match the request body"
    names = signed.split(";")
    if "host" not in names or ("x-amz-date" not in names):
        return "SignedHeaders must include host and x-amz-date"
    hdrs = {n: headers.get(n, "") for n in names}
    req = AWSRequest(method=method, url="http://%s%s" % (headers.get("Host"), path),
                     headers=hdrs, data=body)
    req.context["timestamp"] = amz_date
    token = headers.get("X-Amz-Security-Token")
    signer = SigV4Auth(Credentials(akid, args.secret_key, token), service, region)
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    if expected != signature:
        return ("The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.")
    return None


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mediatag-bulk-server"

    def log_message(self, fmt, *a):
        if self.server.state.args.verbose:
            sys.stderr.write("%s\n" % (fmt % a))

    def send_json(self, status, obj, extra_headers=()):
        data = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        with self.server.state.lock:
            self.server.state.count("statuses", str(status))

    def send_too_large(self):
        # OpenSearch's HTTP layer answers an oversized body with an empty 413.
        self.send_response(413)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with self.server.state.lock:
            self.server.state.count("statuses", "413")

    def handle_expect_100(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.state.args.max_content_length:
            self.send_too_large()
            return False
        return super().handle_expect_100()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.state.args.max_content_length:
            remaining = length
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
            self.send_too_large()
            return None
        return self.rfile.read(length) if length else b""

    def authorised(self, method, path, body):
        args = self.server.state.args
        if args.basic:
            want = "Basic " + base64.b64encode(args.basic.encode()).decode()
            if self.headers.get("Authorization") != want:
                self.send_json(401, error_body(401, "security_exception",
                                               "Unauthorized"),
                               [("WWW-Authenticate", 'Basic realm="OpenSearch Security"')])
                return False
        if args.sigv4:
            reason = check_sigv4(args, method, path, self.headers, body)
            with self.server.state.lock:
                self.server.state.stats["sigv4_checked"] += 1
                if reason:
                    self.server.state.stats["sigv4_failed"] += 1
            if reason:
                self.send_json(403, {"message": reason})
                return False
        return True

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        body = self.read_body()
        if body is None:
            return
        state = self.server.state
        with state.lock:
            state.stats["requests"] += 1
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        if parts[:1] == ["_mt"]:
            return self.control(method, parts, body)
        if not self.authorised(method, self.path, body):
            return
        if not parts and method in ("GET", "HEAD"):
            return self.send_json(200, {"name": "loopback", "cluster_name": "mediatag-tests",
                                        "version": VERSION,
                                        "tagline": "The OpenSearch Project: https://opensearch.org/"})
        if parts[-1:] == ["_bulk"] and method in ("POST", "PUT") and len(parts) <= 2:
            return self.bulk(parts[0] if len(parts) == 2 else None, body)
        if parts[:1] == ["_index_template"] and len(parts) == 2:
            return self.index_template(method, parts[1], body)
        if len(parts) == 1 and parts[0] == "_count":
            return self.count_docs("*")
        if len(parts) == 1 and method == "PUT":
            return self.put_index(parts[0], body)
        if len(parts) == 2 and parts[1] == "_count" and method in ("GET", "POST"):
            return self.count_docs(parts[0])
        if len(parts) == 2 and parts[1] == "_mapping" and method == "GET":
            return self.get_mapping(parts[0])
        if len(parts) == 3 and parts[1] == "_doc" and method == "GET":
            return self.get_doc(parts[0], parts[2])
        self.send_json(405 if parts else 400, error_body(
            400, "illegal_argument_exception",
            "Incorrect HTTP method for uri [%s] and method [%s]" % (self.path, method)))

    # -- control endpoint (not part of OpenSearch)
    def control(self, method, parts, body):
        state = self.server.state
        with state.lock:
            if parts == ["_mt", "inject"] and method == "POST":
                state.inject.update(json.loads(body or b"{}"))
                return self.send_json(200, state.inject)
            if parts == ["_mt", "stats"]:
                return self.send_json(200, state.stats)
        self.send_json(404, {"error": "unknown control path"})

    def index_template(self, method, name, body):
        state = self.server.state
        with state.lock:
            if method == "PUT":
                try:
                    tpl = json.loads(body)
                except ValueError as e:
                    return self.send_json(400, error_body(400, "json_parse_exception", str(e)))
                patterns = tpl.get("index_patterns") if isinstance(tpl, dict) else None
                if isinstance(patterns, str):
                    patterns = [patterns]
                if not patterns:
                    return self.send_json(400, error_body(
                        400, "action_request_validation_exception",
                        "Validation Failed: 1: index patterns are missing;"))
                tpl["index_patterns"] = patterns
                for other, o in state.templates.items():
                    if other != name and o.get("priority", 0) == tpl.get("priority", 0) and \
                            patterns_overlap(o["index_patterns"], patterns):
                        return self.send_json(400, error_body(
                            400, "illegal_argument_exception",
                            "index template [%s] has index patterns %s matching patterns from existing "
                            "templates [%s] with patterns (%s) that have the same priority [%d]"
                            % (name, patterns, other, o["index_patterns"], tpl.get("priority", 0))))
                state.templates[name] = tpl
                return self.send_json(200, {"acknowledged": True})
            if method == "GET" and name in state.templates:
                return self.send_json(200, {"index_templates": [
                    {"name": name, "index_template": state.templates[name]}]})
        self.send_json(404, error_body(404, "resource_not_found_exception",
                                       "index template matching [%s] not found" % name))

    def put_index(self, index, body):
        state = self.server.state
        with state.lock:
            if index in state.indices:
                return self.send_json(400, error_body(
                    400, "resource_already_exists_exception",
                    "index [%s/%s] already exists" % (index, "uuid"), index=index))
            bad = invalid_index_name(index)
            if bad:
                return self.send_json(400, error_body(400, "invalid_index_name_exception",
                                                      "Invalid index name [%s], %s" % (index, bad)))
            create_index(state, index, json.loads(body) if body else None)
        self.send_json(200, {"acknowledged": True, "shards_acknowledged": True, "index": index})

    def matching(self, expr):
        state = self.server.state
        names = set()
        for pat in expr.split(","):
            hits = [n for n in state.indices if fnmatch.fnmatchcase(n, pat)]
            if not hits and "*" not in pat:
                return None, pat
            names.update(hits)
        return sorted(names), None

    def count_docs(self, expr):
        state = self.server.state
        with state.lock:
            names, missing = self.matching(expr)
            if names is None:
                return self.send_json(404, error_body(404, "index_not_found_exception",
                                                      "no such index [%s]" % missing))
            n = sum(len(state.indices[i]["docs"]) for i in names)
        self.send_json(200, {"count": n, "_shards": {"total": len(names), "successful": len(names),
                                                     "skipped": 0, "failed": 0}})

    def get_mapping(self, expr):
        state = self.server.state
        with state.lock:
            names, missing = self.matching(expr)
            if names is None:
                return self.send_json(404, error_body(404, "index_not_found_exception",
                                                      "no such index [%s]" % missing))
            out = {i: {"mappings": state.indices[i]["mappings"]} for i in names}
        self.send_json(200, out)

    def get_doc(self, index, doc_id):
        state = self.server.state
        with state.lock:
            idx = state.indices.get(index)
            if idx is None:
                return self.send_json(404, error_body(404, "index_not_found_exception",
                                                      "no such index [%s]" % index))
            entry = idx["docs"].get(doc_id)
            if entry is None:
                return self.send_json(404, {"_index": index, "_id": doc_id, "found": False})
            source, version, seq_no = entry
        self.send_json(200, {"_index": index, "_id": doc_id, "_version": version, "_seq_no": seq_no,
                             "_primary_term": 1, "found": True, "_source": source})

    def injected_failure(self):
        state = self.server.state
        inj = state.inject
        if inj["fail_next"]:
            return inj["fail_next"].pop(0)
        r = state.rng.random()
        if r < inj["request_429_rate"]:
            return 429
        if r < inj["request_429_rate"] + inj["request_503_rate"]:
            return 503
        return None

    def bulk(self, default_index, body):
        state = self.server.state
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        with state.lock:
            state.stats["bulk_requests"] += 1
            state.count("content_types", ctype)
            state.stats["max_body_bytes"] = max(state.stats["max_body_bytes"], len(body))
            failure = self.injected_failure()
        if ctype not in ("application/json", "application/x-ndjson"):
            return self.send_json(406, {"error": "Content-Type header [%s] is not supported" % ctype,
                                        "status": 406})
        if failure == 429:
            return self.send_json(429, error_body(
                429, "rejected_execution_exception",
                "rejected execution of org.opensearch.transport.TransportService$7 on "
                "OpenSearchThreadPoolExecutor[name = loopback/write, queue capacity = 10000]"))
        if failure is not None:
            return self.send_json(failure, error_body(
                failure, "cluster_block_exception" if failure == 503 else "exception",
                "blocked by: [SERVICE_UNAVAILABLE/2/no master];" if failure == 503
                else "injected failure"))
        start = time.monotonic()
        try:
            ops = parse_bulk(body, default_index)
        except ValueError as e:
            return self.send_json(400, error_body(400, "illegal_argument_exception", str(e)))
        items = []
        errors = False
        with state.lock:
            for op, index, doc_id, source in ops:
                item = apply_op(state, op, index, doc_id, source, state.args.lean)
                errors = errors or "error" in item
                state.count("item_statuses", str(item["status"]))
                items.append({op: item})
            state.stats["bulk_items"] += len(ops)
        if state.inject["delay_ms"]:
            time.sleep(state.inject["delay_ms"] / 1000.0)
        took = int((time.monotonic() - start) * 1000)
        answer = {"took": took, "errors": errors, "items": items}
        fp = parse_qs(urlsplit(self.path).query).get("filter_path")
        if fp:
            answer = filter_path(answer, compile_filter(",".join(fp).split(","))) or {}
        self.send_json(200, answer)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("port", type=int)
    ap.add_argument("--max-content-length", type=int, default=100 * 1024 * 1024)
    ap.add_argument("--item-429-rate", type=float, default=0.0)
    ap.add_argument("--request-429-rate", type=float, default=0.0)
    ap.add_argument("--request-503-rate", type=float, default=0.0)
    ap.add_argument("--fail-next", type=int, action="append", metavar="STATUS")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--basic", metavar="USER:PASS")
    ap.add_argument("--sigv4", metavar="REGION/SERVICE")
    ap.add_argument("--access-key", default="AKIDEXAMPLE")
    ap.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    ap.add_argument("--lean", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()


if __name__ == "__main__":
    main()
