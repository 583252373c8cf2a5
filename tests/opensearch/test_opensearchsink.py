#!/usr/bin/env python3
"""opensearchsink against the loopback bulk server (bulk_server.py), driven
as a user would drive it: gst-launch-1.0 launch lines, then what is in the
index, in the dead-letter file, on the bus and on stderr."""
import base64
import hashlib
import json
import os
import re
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

import mtfixtures

HERE = os.path.dirname(os.path.abspath(__file__))
BULK_SERVER = os.path.join(HERE, "bulk_server.py")
TEMPLATE = os.path.join(mtfixtures.SOURCE_ROOT, "data", "opensearch", "index-template.json")
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def start_server(*args):
    return mtfixtures.start_python_server(BULK_SERVER, *args, log=subprocess.DEVNULL)


def get(server, path):
    try:
        with urllib.request.urlopen(server.url + path, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def stats(server):
    return get(server, "/_mt/stats")[1]


def summary(stdout):
    """The fields of the opensearch-summary element message that
    gst-launch-1.0 -m prints."""
    m = re.search(r"opensearch-summary, (.*);?$", stdout, re.M)
    if not m:
        return None
    return {k: int(v) for k, v in re.findall(r"([a-z-]+)=\(guint64\)(\d+)", m.group(1))}


def element_message(output, kind="ERROR", containing="", element="GstOpenSearchSink"):
    """The user's sentence and the debug part of the first error (or
    WARNING) from `element` whose sentence holds `containing`, as
    gst-launch-1.0 prints them: `kind: from element PATH: sentence`,
    `Additional debug info:`, the source line, the detail."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"%s: from element (\S+): (.*)$" % kind, line)
        if (m and element in m.group(1) and containing in m.group(2)
                and lines[i + 1:i + 2] == ["Additional debug info:"]):
            return m.group(2), lines[i + 3] if i + 3 < len(lines) else ""
    raise AssertionError("no %s from %s in:\n%s" % (kind, element, output))


def result_doc(i, **extra):
    doc = {"id": "res-%05d" % i, "asset": "s3://media/clip.mp4",
           "analysis": ("label", "face", "text")[i % 3], "engine": "local:test",
           "name": "Name %d" % (i % 17), "confidence": 50 + (i % 50) / 2,
           "timestamp": i * 500, "frame": i * 12,
           "detail": {"Name": "Name %d" % (i % 17), "Confidence": "varies", "n": [i]}}
    doc.update(extra)
    return doc


class OpenSearchSinkTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mt-opensearch-")
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write_results(self, docs, name="results.jsonl", trailing_newline=True):
        p = self.path(name)
        with open(p, "w") as f:
            f.write("\n".join(d if isinstance(d, str) else json.dumps(d) for d in docs))
            if trailing_newline:
                f.write("\n")
        return p

    def launch(self, location, server_url, props="", blocksize=4096, check=True, env=None):
        url = "url=%s" % server_url if server_url else ""
        line = ("filesrc location=%s blocksize=%d ! opensearchsink %s %s"
                % (location, blocksize, url, props))
        # -m prints the bus messages (not with -q): the summary is one.
        argv = ["gst-launch-1.0", "-e", "-m"] + mtfixtures.pipeline_args(line)
        cp = subprocess.run(argv, env=env or mtfixtures.gst_env(), capture_output=True,
                            text=True, timeout=120)
        if check and cp.returncode != 0:
            raise AssertionError("gst-launch-1.0 failed (%d):\n%s\n%s" % (cp.returncode, line, cp.stderr))
        return cp

    def test_reindexing_a_file_split_anywhere_keeps_one_copy_per_id(self):
        docs = [result_doc(i) for i in range(300)]
        no_id = {"name": "no id here", "timestamp": 5}
        docs.append(no_id)
        docs[7]["id"] = 'a "quoted" id, \\ and \u00e9'   # escaped in the action line
        # Last line without a newline, and a blank line in between.
        path = self.write_results(docs[:150] + [""] + docs[150:], trailing_newline=False)
        with start_server() as server:
            for run in (1, 2):
                cp = self.launch(path, server.url, blocksize=7)
                summ = summary(cp.stdout)
                self.assertEqual((summ["indexed"], summ["dead-lettered"], summ["retried"]),
                                 (301, 0, 0), cp.stdout)
            self.assertEqual(get(server, "/mediatag/_count")[1]["count"], 301)
            status, got = get(server, "/mediatag/_doc/" + urllib.parse.quote(docs[7]["id"], safe=""))
            self.assertEqual((status, got["_id"]), (200, docs[7]["id"]))
            status, got = get(server, "/mediatag/_doc/res-00123")
            self.assertEqual(status, 200)
            self.assertEqual(got["_source"], docs[123])
            self.assertEqual(got["_version"], 2)
            # No id: the SHA-256 of the compact document is its id.
            derived = hashlib.sha256(json.dumps(no_id, separators=(",", ":")).encode()).hexdigest()
            status, got = get(server, "/mediatag/_doc/" + derived)
            self.assertEqual((status, got["_source"]), (200, no_id))
            s = stats(server)
            self.assertEqual(set(s["index_ops"].values()), {2})
            self.assertEqual(set(s["content_types"]), {"application/x-ndjson"})

    def test_template_is_installed_for_the_index_and_shapes_the_mapping(self):
        path = self.write_results([result_doc(i) for i in range(6)])
        with start_server() as server:
            self.launch(path, server.url, 'index="media-{analysis}"')
            status, got = get(server, "/_index_template/media-analysis")
            self.assertEqual(status, 200)
            tpl = got["index_templates"][0]["index_template"]
            with open(TEMPLATE) as f:
                shipped = json.load(f)
            self.assertEqual(tpl["index_patterns"], ["media-*"])
            self.assertEqual(tpl["template"], shipped["template"])
            self.assertEqual(get(server, "/media-label,media-face,media-text/_count")[1]["count"], 6)
            props = get(server, "/media-face/_mapping")[1]["media-face"]["mappings"]["properties"]
            self.assertEqual(props["confidence"], {"type": "float"})
            self.assertEqual(props["name"]["type"], "keyword")
            self.assertEqual(props["analysis"], {"type": "keyword"})
            self.assertEqual(props["timestamp"], {"type": "long"})
            self.assertEqual(props["detail"], {"type": "object", "enabled": False})

        with start_server() as server:
            self.launch(path, server.url, "install-template=false")
            self.assertEqual(get(server, "/_index_template/mediatag")[0], 404)
            self.assertEqual(get(server, "/mediatag/_count")[1]["count"], 6)

    def test_10000_documents_through_throttling_are_indexed_exactly_once(self):
        path = self.write_results([result_doc(i) for i in range(10000)])
        # Random failures, and a few whole-request ones that surely happen.
        with start_server("--item-429-rate", "0.2", "--request-429-rate", "0.05",
                          "--request-503-rate", "0.05", "--seed", "7", "--fail-next", "429",
                          "--fail-next", "503", "--fail-next", "503") as server:
            cp = self.launch(path, server.url, "retries=12", blocksize=65536)
            s = stats(server)
            self.assertEqual(get(server, "/mediatag/_count")[1]["count"], 10000)
            self.assertEqual(len(s["index_ops"]), 10000)
            self.assertEqual(set(s["index_ops"].values()), {1})
            # The failures really happened, and were retried.
            self.assertGreater(s["item_statuses"].get("429", 0), 1000)
            self.assertGreaterEqual(s["statuses"].get("429", 0), 1)
            self.assertGreaterEqual(s["statuses"].get("503", 0), 2)
            summ = summary(cp.stdout)
            self.assertEqual((summ["indexed"], summ["dead-lettered"]), (10000, 0))
            self.assertGreaterEqual(summ["retried"], s["item_statuses"]["429"])

    def test_mapping_conflict_and_bad_lines_go_to_the_dead_letter_file(self):
        docs = [result_doc(i) for i in range(20)]
        docs[4]["confidence"] = "high"       # not a float: mapper_parsing_exception
        docs[9]["confidence"] = "87.5"       # coerced by OpenSearch: indexed
        lines = docs[:12] + ["this is not json", "[1, 2]"] + docs[12:]
        path = self.write_results(lines)
        dead = self.path("dead.jsonl")
        with start_server() as server:
            cp = self.launch(path, server.url, "dead-letter-location=%s" % dead, blocksize=100)
            self.assertEqual(get(server, "/mediatag/_count")[1]["count"], 19)
            self.assertEqual(get(server, "/mediatag/_doc/res-00004")[0], 404)
        summ = summary(cp.stdout)
        self.assertEqual((summ["indexed"], summ["dead-lettered"]), (19, 3))
        with open(dead) as f:
            letters = [json.loads(line) for line in f]
        self.assertEqual(len(letters), 3)
        by_kind = {("doc" if "document" in d else "line"): d for d in letters}
        conflict = [d for d in letters if d.get("id") == "res-00004"][0]
        self.assertEqual(conflict["status"], 400)
        self.assertEqual(conflict["error"]["type"], "mapper_parsing_exception")
        self.assertIn("confidence", conflict["reason"])
        self.assertEqual(conflict["document"], docs[4])
        self.assertEqual(conflict["index"], "mediatag")
        bad = sorted((d["line"], d["text"]) for d in letters if "text" in d)
        self.assertEqual(bad, [(13, "this is not json"), (14, "[1, 2]")])
        self.assertIn("not a JSON object", [d for d in letters if d.get("text") == "[1, 2]"][0]["reason"])
        # gst-launch-1.0 prints warnings on stdout
        self.assertIn("Document res-00004 (index mediatag) was not indexed", cp.stdout)
        # OpenSearch's words go to the debug part, not the user's sentence.
        message, debug = element_message(cp.stdout, "WARNING", "Document res-00004")
        self.assertIn("mapper_parsing_exception", debug)
        self.assertNotIn("mapper_parsing_exception", message)
        self.assertIn(dead, cp.stdout)
        self.assertTrue(by_kind)

    def test_on_error_fail_stops_at_a_bad_line(self):
        path = self.write_results([result_doc(0), "{broken", result_doc(1)])
        with start_server() as server:
            cp = self.launch(path, server.url, "on-error=fail", check=False)
        self.assertNotEqual(cp.returncode, 0)
        message, debug = element_message(cp.stderr)
        self.assertIn("Input line 2 cannot be indexed: not JSON. Fix the input", message)
        # json-glib's own words are the technical detail
        self.assertRegex(debug, r"line 2: not JSON: .+")

    def test_413_splits_batches_and_rejects_a_document_too_large_alone(self):
        docs = [result_doc(i) for i in range(200)]
        docs[50]["detail"] = {"blob": "x" * 30000}
        path = self.write_results(docs)
        dead = self.path("dead.jsonl")
        with start_server("--max-content-length", "20000") as server:
            cp = self.launch(path, server.url, "dead-letter-location=%s bulk-max-bytes=200000" % dead)
            s = stats(server)
            self.assertGreater(s["statuses"].get("413", 0), 1)
            self.assertLessEqual(s["max_body_bytes"], 20000)
            self.assertEqual(get(server, "/mediatag/_count")[1]["count"], 199)
        with open(dead) as f:
            letters = [json.loads(line) for line in f]
        self.assertEqual([(d["id"], d["status"]) for d in letters], [("res-00050", 413)])
        self.assertEqual(summary(cp.stdout)["indexed"], 199)

    def test_a_line_longer_than_bulk_max_bytes_is_dead_lettered_by_number(self):
        big = result_doc(1, detail={"blob": "y" * 5000})
        path = self.write_results([result_doc(0), big, result_doc(2)])
        dead = self.path("dead.jsonl")
        with start_server() as server:
            self.launch(path, server.url, "dead-letter-location=%s bulk-max-bytes=2048" % dead,
                        blocksize=300)
            self.assertEqual(get(server, "/mediatag/_count")[1]["count"], 2)
        with open(dead) as f:
            (letter,) = [json.loads(line) for line in f]
        # Memory stays bounded: the line is not kept, only named.
        self.assertEqual(letter["line"], 2)
        self.assertIn("longer than 2048 bytes", letter["reason"])
        self.assertNotIn("text", letter)

    def test_dead_letters_are_json_lines_whatever_the_input_holds(self):
        # Issue 11 case 6: control bytes (0x1F), invalid UTF-8, a NUL and a
        # CRLF line end in bad input lines; the dead-letter file must stay
        # one valid JSON object per line, the original bytes recoverable.
        raw = [json.dumps(result_doc(0)).encode(),
               b"unit\x1fseparated\x01 text",
               b"\xff\xfe latin-1 caf\xe9",
               b"nul\x00inside",
               json.dumps(result_doc(1)).encode()]
        path = self.path("bytes.jsonl")
        with open(path, "wb") as f:
            f.write(b"\r\n".join(raw) + b"\r\n")
        dead = self.path("dead.jsonl")
        with start_server() as server:
            cp = self.launch(path, server.url, "dead-letter-location=%s" % dead, blocksize=7)
            self.assertEqual(get(server, "/mediatag/_count")[1]["count"], 2)
        with open(dead, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        self.assertEqual(lines[-1], b"")
        letters = [json.loads(line.decode("utf-8")) for line in lines[:-1]]
        self.assertEqual([d["line"] for d in letters], [2, 3, 4])
        for d in letters:
            self.assertTrue(d["reason"].startswith("not JSON"), d)
            got = d["text"].encode() if "text" in d else base64.b64decode(d["base64"])
            self.assertEqual(got, raw[d["line"] - 1])
        # Valid UTF-8 stays readable text, the rest is base64.
        self.assertIn("text", letters[0])
        self.assertIn("base64", letters[1])
        self.assertEqual(summary(cp.stdout)["dead-lettered"], 3)

    def test_basic_auth_and_a_bad_password_is_a_clear_error_that_keeps_the_secret(self):
        path = self.write_results([result_doc(i) for i in range(5)])
        with start_server("--basic", "indexer:s3cret-pass") as server:
            self.launch(path, server.url, "username=indexer password=s3cret-pass")
            self.assertEqual(len(stats(server)["index_ops"]), 5)
            env = mtfixtures.gst_env(GST_DEBUG="opensearchsink:9,mediatag*:9", GST_DEBUG_NO_COLOR="1")
            cp = self.launch(path, server.url, "username=indexer password=wrong-pass-123",
                             check=False, env=env)
        self.assertNotEqual(cp.returncode, 0)
        message, debug = element_message(cp.stderr)
        self.assertIn("refused the index template as unauthorized: check username and password",
                      message)
        self.assertNotIn("HTTP 401", message)
        self.assertIn("HTTP 401", debug)
        b64 = base64.b64encode(b"indexer:wrong-pass-123").decode()
        for secret in ("wrong-pass-123", b64, b64[:20]):
            self.assertNotIn(secret, cp.stderr + cp.stdout)

    def test_user_info_in_the_url_is_used_and_never_shown(self):
        path = self.write_results([result_doc(0)])
        with start_server("--basic", "u:hidden-pw") as server:
            url = server.url.replace("http://", "http://u:hidden-pw@")
            self.launch(path, url)
            cp = self.launch(path, url.replace("hidden-pw", "other-pw"), check=False)
        self.assertIn("HTTP 401", cp.stderr)
        self.assertNotIn("other-pw", cp.stderr)

    def test_endpoint_gives_the_url_when_url_is_unset(self):
        path = self.write_results([result_doc(0)])
        with start_server() as server:
            self.launch(path, None, "endpoint=" + server.url)
            self.assertEqual(len(stats(server)["index_ops"]), 1)

    def test_unreachable_url_is_a_clear_error(self):
        path = self.write_results([result_doc(0)])
        port = mtfixtures.free_port()
        cp = self.launch(path, "http://127.0.0.1:%d" % port, "retries=1", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("Could not reach OpenSearch at http://127.0.0.1:%d" % port, cp.stderr)

    def test_sigv4_requests_validate_with_botocore(self):
        path = self.write_results([result_doc(i) for i in range(50)])
        for service in ("es", "aoss"):
            with self.subTest(service=service):
                with start_server("--sigv4", "eu-west-1/" + service, "--access-key", AKID,
                                  "--secret-key", SECRET) as server:
                    props = ("aws-sigv4=true aws-service=%s region=eu-west-1 access-key=%s "
                             "secret-key=%s bulk-max-docs=20 flush-interval=0"
                             % (service, AKID, SECRET))
                    self.launch(path, server.url, props)
                    s = stats(server)
                    self.assertEqual(s["sigv4_failed"], 0)
                    # template + 3 bulk requests, every one checked
                    self.assertEqual(s["sigv4_checked"], 4)
                    self.assertEqual(len(s["index_ops"]), 50)
                    env = mtfixtures.gst_env(GST_DEBUG="opensearchsink:9,mediatag*:9")
                    cp = self.launch(path, server.url, props.replace(SECRET, "wrong" + SECRET[5:]),
                                     check=False, env=env)
                    message, debug = element_message(cp.stderr)
                    self.assertIn("check the AWS credentials", message)
                    self.assertIn("HTTP 403", debug)
                    self.assertNotIn(SECRET[5:], cp.stderr + cp.stdout)

    def test_sigv4_session_token_from_the_environment(self):
        path = self.write_results([result_doc(0)])
        with start_server("--sigv4", "us-east-1/es", "--access-key", AKID,
                          "--secret-key", SECRET) as server:
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
                                     AWS_SESSION_TOKEN="token-abc", AWS_REGION="us-east-1")
            self.launch(path, server.url, "aws-sigv4=true", env=env)
            s = stats(server)
            self.assertEqual((s["sigv4_failed"], len(s["index_ops"])), (0, 1))


if __name__ == "__main__":
    unittest.main(verbosity=2)
