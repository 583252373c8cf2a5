#!/usr/bin/env python3
"""The loopback bulk server itself: its answers have the shapes of
OpenSearch's documented ones (so opensearchsink's tests against it mean
something), each failure can be injected, and its SigV4 check accepts what
botocore signs and refuses anything else."""
import json
import os
import subprocess
import unittest
import urllib.error
import urllib.request

import mtfixtures

HERE = os.path.dirname(os.path.abspath(__file__))
BULK_SERVER = os.path.join(HERE, "bulk_server.py")
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def start(*args):
    return mtfixtures.start_python_server(BULK_SERVER, *args, log=subprocess.DEVNULL)


def call(server, method, path, body=None, ctype="application/json", headers=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(server.url + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def ndjson(*objs):
    return "".join(json.dumps(o) + "\n" for o in objs)


class BulkServerTest(unittest.TestCase):
    def test_bulk_answer_has_opensearch_shape_in_request_order(self):
        with start() as s:
            body = ndjson({"index": {"_index": "t", "_id": "1"}}, {"a": 1},
                          {"create": {"_index": "t", "_id": "1"}}, {"a": 2},
                          {"index": {"_index": "t", "_id": "2"}}, {"a": 3},
                          {"delete": {"_index": "t", "_id": "2"}},
                          {"delete": {"_index": "t", "_id": "nope"}},
                          {"index": {"_index": "t", "_id": "1"}}, {"a": 4})
            status, ans = call(s, "POST", "/_bulk", body, "application/x-ndjson")
            self.assertEqual(status, 200)
            self.assertEqual(list(ans), ["took", "errors", "items"])
            self.assertIsInstance(ans["took"], int)
            self.assertTrue(ans["errors"])
            ops = [(list(i)[0], i[list(i)[0]]["_id"], i[list(i)[0]]["status"]) for i in ans["items"]]
            self.assertEqual(ops, [("index", "1", 201), ("create", "1", 409), ("index", "2", 201),
                                   ("delete", "2", 200), ("delete", "nope", 404), ("index", "1", 200)])
            first = ans["items"][0]["index"]
            self.assertEqual(set(first), {"_index", "_id", "_version", "result", "_shards",
                                          "_seq_no", "_primary_term", "status"})
            self.assertEqual((first["result"], first["_version"]), ("created", 1))
            self.assertEqual(ans["items"][5]["index"]["result"], "updated")
            conflict = ans["items"][1]["create"]["error"]
            self.assertEqual(conflict["type"], "version_conflict_engine_exception")
            self.assertEqual(call(s, "GET", "/t/_doc/1")[1]["_source"], {"a": 4})
            self.assertEqual(call(s, "GET", "/t/_doc/2")[0], 404)
            self.assertEqual(call(s, "GET", "/t/_count")[1]["count"], 1)

    def test_requests_opensearch_refuses_whole(self):
        with start("--max-content-length", "1000") as s:
            status, ans = call(s, "POST", "/_bulk", '{"index":{"_index":"t"}}\n{"a":1}',
                               "application/x-ndjson")
            self.assertEqual((status, ans["error"]["type"]), (400, "illegal_argument_exception"))
            self.assertIn("terminated by a newline", ans["error"]["reason"])
            status, ans = call(s, "POST", "/_bulk", "nonsense\n", "application/x-ndjson")
            self.assertIn("Malformed action/metadata line [1]", ans["error"]["reason"])
            self.assertEqual(call(s, "POST", "/_bulk", ndjson({"index": {}}, {}), "text/plain")[0], 406)
            big = ndjson({"index": {"_index": "t", "_id": "x"}}, {"blob": "x" * 2000})
            self.assertEqual(call(s, "POST", "/_bulk", big, "application/x-ndjson")[0], 413)
            # the connection closed after the 413, the server still answers
            self.assertEqual(call(s, "GET", "/")[0], 200)

    def test_injected_throttling(self):
        with start() as s:
            body = ndjson({"index": {"_index": "t", "_id": "1"}}, {"a": 1},
                          {"index": {"_index": "t", "_id": "2"}}, {"a": 2})
            call(s, "POST", "/_mt/inject", json.dumps({"item_429_rate": 1.0}))
            status, ans = call(s, "POST", "/_bulk", body, "application/x-ndjson")
            self.assertEqual((status, ans["errors"]), (200, True))
            for item in ans["items"]:
                self.assertEqual(item["index"]["status"], 429)
                self.assertEqual(item["index"]["error"]["type"], "es_rejected_execution_exception")
            self.assertEqual(call(s, "GET", "/t/_count")[0], 404)   # nothing was indexed
            call(s, "POST", "/_mt/inject", json.dumps({"item_429_rate": 0, "fail_next": [429, 503]}))
            status, ans = call(s, "POST", "/_bulk", body, "application/x-ndjson")
            self.assertEqual((status, ans["status"]), (429, 429))
            self.assertEqual(ans["error"]["type"], "rejected_execution_exception")
            self.assertEqual(ans["error"]["root_cause"][0]["type"], "rejected_execution_exception")
            self.assertEqual(call(s, "POST", "/_bulk", body, "application/x-ndjson")[0], 503)
            self.assertEqual(call(s, "POST", "/_bulk", body, "application/x-ndjson")[0], 200)
            self.assertEqual(call(s, "GET", "/_mt/stats")[1]["index_ops"], {"t/1": 1, "t/2": 1})

    def test_templates_indices_and_mapping_conflicts(self):
        tpl = {"index_patterns": ["media-*"], "priority": 5,
               "template": {"mappings": {"properties": {"confidence": {"type": "float"},
                                                        "detail": {"type": "object",
                                                                   "enabled": False}}}}}
        with start() as s:
            self.assertEqual(call(s, "PUT", "/_index_template/m", json.dumps(tpl)),
                             (200, {"acknowledged": True}))
            clash = dict(tpl, index_patterns=["media-x*"])
            self.assertEqual(call(s, "PUT", "/_index_template/other", json.dumps(clash))[0], 400)
            self.assertEqual(call(s, "PUT", "/media-a")[1]["acknowledged"], True)
            status, ans = call(s, "PUT", "/media-a")
            self.assertEqual((status, ans["error"]["type"]), (400, "resource_already_exists_exception"))
            self.assertEqual(call(s, "PUT", "/Upper")[1]["error"]["type"], "invalid_index_name_exception")
            body = ndjson({"index": {"_index": "media-b", "_id": "1"}}, {"confidence": "high"},
                          {"index": {"_index": "media-b", "_id": "2"}},
                          {"confidence": "97.5", "detail": {"confidence": "anything"}},
                          {"index": {"_index": "media-b", "_id": "3"}}, "{not json")
            body = body.replace('"{not json"', "{not json")
            ans = call(s, "POST", "/_bulk", body, "application/x-ndjson")[1]
            statuses = [i["index"]["status"] for i in ans["items"]]
            self.assertEqual(statuses, [400, 201, 400])
            err = ans["items"][0]["index"]["error"]
            self.assertEqual(err["type"], "mapper_parsing_exception")
            self.assertIn("failed to parse field [confidence] of type [float]", err["reason"])
            self.assertEqual(ans["items"][2]["index"]["error"]["type"], "mapper_parsing_exception")
            mapping = call(s, "GET", "/media-b/_mapping")[1]["media-b"]["mappings"]["properties"]
            self.assertEqual(mapping["confidence"], {"type": "float"})
            # dynamic mapping: arrays by their elements, then enforced
            body = ndjson({"index": {"_index": "media-c", "_id": "1"}},
                          {"tags": [], "parents": [{"name": "a"}], "n": [1, 2]},
                          {"index": {"_index": "media-c", "_id": "2"}}, {"n": "many"})
            ans = call(s, "POST", "/_bulk", body, "application/x-ndjson")[1]
            self.assertEqual([i["index"]["status"] for i in ans["items"]], [201, 400])
            mapping = call(s, "GET", "/media-c/_mapping")[1]["media-c"]["mappings"]["properties"]
            self.assertEqual((mapping["n"], "tags" in mapping), ({"type": "long"}, False))
            self.assertIn("properties", mapping["parents"])
            filtered = call(s, "POST", "/_bulk?filter_path=errors,items.*.status",
                            ndjson({"index": {"_index": "media-b", "_id": "4"}}, {"x": 1}),
                            "application/x-ndjson")[1]
            self.assertEqual(filtered, {"errors": False, "items": [{"index": {"status": 201}}]})

    def test_sigv4_check_accepts_botocore_and_refuses_the_rest(self):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        def signed(s, service, body, secret=SECRET, sha=False):
            req = AWSRequest(method="POST", url=s.url + "/_bulk", data=body.encode(),
                             headers={"Content-Type": "application/x-ndjson"})
            if sha:
                import hashlib
                req.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body.encode()).hexdigest()
            SigV4Auth(Credentials(AKID, secret), service, "eu-west-1").add_auth(req)
            return dict(req.headers.items())

        body = ndjson({"index": {"_index": "t", "_id": "1"}}, {"a": 1})
        with start("--sigv4", "eu-west-1/es", "--access-key", AKID, "--secret-key", SECRET) as s:
            h = signed(s, "es", body)
            self.assertEqual(call(s, "POST", "/_bulk", body, headers=h)[0], 200)
            self.assertEqual(call(s, "POST", "/_bulk", body.replace("1", "2"), headers=h)[0], 403)
            self.assertEqual(call(s, "POST", "/_bulk", body, headers=signed(s, "es", body, "x" + SECRET))[0], 403)
            self.assertEqual(call(s, "POST", "/_bulk", body, headers=signed(s, "aoss", body))[0], 403)
            self.assertEqual(call(s, "POST", "/_bulk", body)[0], 403)
            st = call(s, "GET", "/_mt/stats")[1]
            self.assertEqual((st["sigv4_checked"], st["sigv4_failed"]), (5, 4))
        with start("--sigv4", "eu-west-1/aoss", "--access-key", AKID, "--secret-key", SECRET) as s:
            status, ans = call(s, "POST", "/_bulk", body, headers=signed(s, "aoss", body))
            self.assertEqual(status, 403)
            self.assertIn("x-amz-content-sha256", ans["message"])
            self.assertEqual(call(s, "POST", "/_bulk", body, headers=signed(s, "aoss", body, sha=True))[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
