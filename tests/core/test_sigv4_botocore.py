#!/usr/bin/env python3
"""SigV4 signatures of sigv4.c against botocore's signers, on generated requests.

Run by meson with the sigv4-json helper as argument. Generates several
hundred requests (seeded, so a failure reproduces): S3 and non-S3 services,
header signing and presigned URLs, keys and query values with spaces,
unicode, + = ~ %, empty and repeated query values, long bodies, with and
without a session token. Each is signed by botocore (SigV4Auth, S3SigV4Auth,
SigV4QueryAuth, S3SigV4QueryAuth; the clock mocked) and by the helper, and
the canonical requests, signatures and resulting headers or URLs must be
identical. Then the chained event-stream signatures are checked against an
independent implementation of AWS's documented algorithm, with the frames
decoded by botocore's event-stream parser.
"""
import base64
import datetime
import hashlib
import hmac
import json
import random
import struct
import subprocess
import sys
from unittest import mock
from urllib.parse import quote, urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

TOOL = sys.argv[1]
rng = random.Random(20240229)

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJH+token/with=signs"

TRICKY = [
    "plain", "with space", "two  spaces", "ünïcødé", "日本語/ファイル",
    "plus+sign", "eq=val", "tilde~ok", "percent%20literal", "100%",
    "semi;colon", "amp&ersand", "(parens)!*'", "emoji 😀", "dots/../x",
    "a//b", "trailing/", "-_.~", "comma,here", "question?mark", "hash#tag",
    "colon:at@", "[brackets]", "quote\"s", "back\\slash", "tab\there",
]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]
TIMES = [
    datetime.datetime(2015, 8, 30, 12, 36, 0),
    datetime.datetime(2024, 2, 29, 23, 59, 59),
    datetime.datetime(2000, 1, 1, 0, 0, 0),
    datetime.datetime(2037, 12, 31, 8, 5, 9),
]


def enc(s):
    """Percent-encoding as botocore puts keys and values on the wire."""
    return quote(s, safe="-_.~")


def random_time():
    if rng.random() < 0.5:
        return rng.choice(TIMES)
    return datetime.datetime(2001, 1, 1) + datetime.timedelta(
        seconds=rng.randrange(0, 36 * 365 * 86400))


def random_query(allow_repeats=True):
    pairs = []
    for _ in range(rng.choice([0, 0, 1, 2, 4])):
        key = rng.choice(TRICKY + ["k", "K", "a-b", "a"])
        value = rng.choice(TRICKY + ["", "", "1", "2"])
        pairs.append((key, value))
        if allow_repeats and rng.random() < 0.3:
            pairs.append((key, rng.choice(["", "1", "z", value])))  # repeated key
    if not allow_repeats:
        pairs = list(dict(pairs).items())
    if not pairs:
        return ""
    parts = []
    for k, v in pairs:
        # A key with no value is written bare half the time ("?acl").
        parts.append(enc(k) if v == "" and rng.random() < 0.5 else f"{enc(k)}={enc(v)}")
    return "&".join(parts)


def random_headers():
    headers = []
    for _ in range(rng.choice([0, 1, 3])):
        name = rng.choice(["X-Custom", "x-amz-meta-Title", "Content-Type",
                           "X-Amz-Target", "My-Header1", "x-amz-meta-empty"])
        value = rng.choice(["value", "  padded  ", "a   b\tc", "", "application/json",
                            "Rekognition.DetectLabels", "\"quoted  text\""])
        headers.append((name, value))
        if rng.random() < 0.2:
            headers.append((name, "second"))  # the same name again
    # Never signed: botocore skips them and so must we.
    if rng.random() < 0.3:
        headers.append(("User-Agent", "mediatag/0.1 test"))
    if rng.random() < 0.2:
        headers.append(("X-Amzn-Trace-Id", "Root=1-abc"))
    return headers


def random_body():
    size = rng.choice([0, 0, 1, 13, 1000, 65537, 1 << 20])
    return bytes(rng.getrandbits(8) for _ in range(min(size, 4096))) * max(1, size // 4096) \
        if size else b""


def s3_url(scheme):
    bucket = rng.choice(["bucket", "my.bucket-1"])
    key = rng.choice(TRICKY) + rng.choice(["", "/" + rng.choice(TRICKY)])
    host = rng.choice([f"{bucket}.s3.amazonaws.com", "s3.eu-west-1.amazonaws.com",
                       "127.0.0.1:9000", "localhost:443"])
    path = quote(key, safe="/~")
    if not host.startswith(bucket):
        path = f"{bucket}/{path}"
    return f"{scheme}://{host}/{path}"


def api_url(scheme):
    host = rng.choice(["rekognition.us-east-1.amazonaws.com", "search-x.es.amazonaws.com",
                       "127.0.0.1:4566", "example.amazonaws.com:443"])
    path = rng.choice(["/", "", "/a/./b/../c//d", "/with space/x", "/ünï/", "/_bulk",
                       "/idx/_doc/" + rng.choice(TRICKY), "/..", "/a/b/"])
    return f"{scheme}://{host}{quote(path, safe='/~')}"


def describe(req, creds_token, time, **flags):
    item = {
        "method": req["method"], "url": req["url"],
        "headers": [list(h) for h in req["headers"]],
        "body_b64": base64.b64encode(req["body"]).decode() if req["body"] else None,
        "access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "token": creds_token,
        "region": req["region"], "service": req["service"],
        "time": int(time.replace(tzinfo=datetime.timezone.utc).timestamp()),
    }
    item.update(flags)
    return item


def botocore_sign(signer_cls, req, token, time, expires=None, payload_signing=True):
    creds = Credentials(ACCESS_KEY, SECRET_KEY, token)
    if expires is None:
        signer = signer_cls(creds, req["service"], req["region"])
    else:
        signer = signer_cls(creds, req["service"], req["region"], expires=expires)
    request = AWSRequest(method=req["method"], url=req["url"], data=req["body"] or None)
    for name, value in req["headers"]:
        request.headers[name] = value  # appends: repeated names stay repeated
    if not payload_signing:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    seen = {}
    real_cr, real_sts = signer.canonical_request, signer.string_to_sign

    def cr(r):
        seen["canonical_request"] = real_cr(r)
        return seen["canonical_request"]

    def sts(r, c):
        seen["string_to_sign"] = real_sts(r, c)
        return seen["string_to_sign"]

    signer.canonical_request, signer.string_to_sign = cr, sts
    with mock.patch("botocore.auth.get_current_datetime", return_value=time):
        signer.add_auth(request)
    seen["url"] = request.url
    seen["headers"] = {k.lower(): v for k, v in request.headers.items()}
    return seen


def named_cases():
    """The requests the elements really send, written out."""
    when = datetime.datetime(2024, 5, 1, 12, 0, 0)
    image = json.dumps({"Image": {"Bytes": base64.b64encode(b"\xff\xd8jpeg").decode()},
                        "MaxLabels": 10}).encode()
    rekognition = {"method": "POST", "url": "https://rekognition.eu-west-1.amazonaws.com/",
                   "headers": [("Content-Type", "application/x-amz-json-1.1"),
                               ("X-Amz-Target", "RekognitionService.DetectLabels")],
                   "body": image, "region": "eu-west-1", "service": "rekognition"}
    s3_put = {"method": "PUT",
              "url": "https://media.s3.eu-west-1.amazonaws.com/" + quote("clips/a b+c=d~%.mp4", safe="/~"),
              "headers": [("Content-Type", "video/mp4")], "body": b"\0" * 70000,
              "region": "eu-west-1", "service": "s3"}
    transcribe_ws = {"method": "GET",
                     "url": "wss://transcribestreaming.us-west-2.amazonaws.com:8443"
                            "/stream-transcription-websocket?language-code=en-US"
                            "&media-encoding=pcm&sample-rate=16000",
                     "headers": [], "body": b"", "region": "us-west-2", "service": "transcribe"}
    unsigned = botocore_sign(S3SigV4Auth, s3_put, TOKEN, when, payload_signing=False)
    assert unsigned["headers"]["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    return [
        ("named rekognition DetectLabels", describe(rekognition, TOKEN, when, normalize_path=True),
         botocore_sign(SigV4Auth, rekognition, TOKEN, when)),
        ("named s3 PUT signed payload", describe(s3_put, None, when, add_content_sha256=True),
         botocore_sign(S3SigV4Auth, s3_put, None, when)),
        ("named s3 PUT UNSIGNED-PAYLOAD", describe(s3_put, TOKEN, when, add_content_sha256=True,
                                                   unsigned_payload=True),
         unsigned),
        ("named presign transcribe websocket",
         describe(transcribe_ws, TOKEN, when, normalize_path=True, presign_expires=300),
         botocore_sign(SigV4QueryAuth, transcribe_ws, TOKEN, when, expires=300)),
    ]


def generate():
    cases = named_cases()
    for i in range(400):
        s3 = i % 2 == 0
        scheme = rng.choice(["https", "http"])
        token = TOKEN if rng.random() < 0.4 else None
        time = random_time()
        method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
        body = random_body() if method in ("PUT", "POST") else b""
        query = random_query()
        url = (s3_url if s3 else api_url)(scheme) + (f"?{query}" if query else "")
        req = {"method": method, "url": url, "headers": random_headers(), "body": body,
               "region": rng.choice(REGIONS),
               "service": "s3" if s3 else rng.choice(["rekognition", "es", "transcribe"])}
        if s3:
            # Over https botocore may leave the payload unsigned; over http never.
            unsigned = scheme == "https" and rng.random() < 0.5
            ref = botocore_sign(S3SigV4Auth, req, token, time, payload_signing=not unsigned)
            item = describe(req, token, time, normalize_path=False,
                            add_content_sha256=True, unsigned_payload=unsigned)
        else:
            ref = botocore_sign(SigV4Auth, req, token, time)
            item = describe(req, token, time, normalize_path=True)
        cases.append((f"header #{i} {'s3' if s3 else req['service']} {method} {url}", item, ref))

    for i in range(200):
        s3 = i % 2 == 0
        scheme = rng.choice(["https", "http"])
        token = TOKEN if rng.random() < 0.4 else None
        time = random_time()
        expires = rng.choice([1, 60, 3600, 604800])
        # botocore rebuilds the query through a dict: no repeated keys here.
        query = random_query(allow_repeats=False)
        url = (s3_url if s3 else api_url)(scheme) + (f"?{query}" if query else "")
        headers = [h for h in random_headers() if h[0].lower() != "content-type"]
        req = {"method": rng.choice(["GET", "PUT"]), "url": url, "headers": headers,
               "body": b"", "region": rng.choice(REGIONS),
               "service": "s3" if s3 else rng.choice(["rekognition", "transcribe"])}
        ref = botocore_sign(S3SigV4QueryAuth if s3 else SigV4QueryAuth, req, token,
                            time, expires=expires)
        item = describe(req, token, time, normalize_path=not s3, unsigned_payload=s3,
                        presign_expires=expires)
        cases.append((f"presign #{i} {'s3' if s3 else req['service']} {url}", item, ref))
    return cases


def query_pairs(url):
    # A bare key ("?uploads") is kept bare in our URL, botocore writes
    # "uploads=": the same parameter, signed as "uploads=" by both.
    return sorted(p if "=" in p else p + "=" for p in urlsplit(url).query.split("&") if p)


def compare(name, ref, got):
    problems = []
    if "error" in got:
        return [f"{name}: signing failed: {got['error']}"]
    for field in ("canonical_request", "string_to_sign"):
        if got[field] != ref[field]:
            problems.append(f"{name}: {field} differs\n--- botocore\n{ref[field]}\n"
                            f"--- sigv4.c\n{got[field]}")
    headers = {}
    for n, v in got["headers"]:
        headers.setdefault(n.lower(), v)
    if "presign" in name:
        if query_pairs(got["url"]) != query_pairs(ref["url"]):
            problems.append(f"{name}: presigned URL differs\n  botocore {ref['url']}\n"
                            f"  sigv4.c  {got['url']}")
        if urlsplit(got["url"])[:3] != urlsplit(ref["url"])[:3]:
            problems.append(f"{name}: URL base differs: {got['url']}")
        return problems
    for h in ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"):
        if headers.get(h) != ref["headers"].get(h):
            problems.append(f"{name}: header {h}: botocore {ref['headers'].get(h)!r}, "
                            f"sigv4.c {headers.get(h)!r}")
    return problems


# --- event-stream chained signing: AWS's documented algorithm, written here ---

def signing_key(secret, date8, region, service):
    key = ("AWS4" + secret).encode()
    for part in (date8, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def reference_chain(secret, region, service, seed, messages):
    prior, sigs = seed, []
    for m in messages:
        t = datetime.datetime.fromtimestamp(m["time"], datetime.timezone.utc)
        amz_date, date8 = t.strftime("%Y%m%dT%H%M%SZ"), t.strftime("%Y%m%d")
        date_header = bytes([5]) + b":date" + bytes([8]) + struct.pack(">q", m["time"] * 1000)
        payload = base64.b64decode(m["payload_b64"]) if m["payload_b64"] else b""
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date,
                         f"{date8}/{region}/{service}/aws4_request", prior,
                         hashlib.sha256(date_header).hexdigest(),
                         hashlib.sha256(payload).hexdigest()])
        prior = hmac.new(signing_key(secret, date8, region, service), sts.encode(),
                         hashlib.sha256).hexdigest()
        sigs.append(prior)
    return sigs


def event_chain_case():
    start = int(datetime.datetime(2024, 2, 29, 23, 59, 58,
                                  tzinfo=datetime.timezone.utc).timestamp())
    messages = []
    for i in range(6):
        # Crosses midnight: the signing key changes day mid-stream.
        payload = bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 100, 3200])))
        messages.append({"payload_b64": base64.b64encode(payload).decode(), "time": start + i})
    messages.append({"payload_b64": None, "time": start + 6})  # the empty end frame
    return {"secret": SECRET_KEY, "region": "us-west-2", "service": "transcribe",
            "seed": hashlib.sha256(b"seed request").hexdigest(), "messages": messages}


def check_events(ev, got):
    problems = []
    want = reference_chain(ev["secret"], ev["region"], ev["service"], ev["seed"],
                           ev["messages"])
    if got["signatures"] != want:
        problems.append(f"event chain differs:\n  reference {want}\n  sigv4.c   {got['signatures']}")
    buf = EventStreamBuffer()
    for frame in got["frames_b64"]:
        buf.add_data(base64.b64decode(frame))
    decoded = list(buf)
    if len(decoded) != len(ev["messages"]):
        return problems + [f"{len(decoded)} envelopes decoded, {len(ev['messages'])} sent"]
    for msg, m, sig in zip(decoded, ev["messages"], want):
        payload = base64.b64decode(m["payload_b64"]) if m["payload_b64"] else b""
        if msg.payload != payload:
            problems.append(f"envelope at {m['time']}: payload differs")
        if msg.headers.get(":chunk-signature") != bytes.fromhex(sig):
            problems.append(f"envelope at {m['time']}: :chunk-signature "
                            f"{msg.headers.get(':chunk-signature')!r}")
        if msg.headers.get(":date") != m["time"] * 1000:
            problems.append(f"envelope at {m['time']}: :date {msg.headers.get(':date')!r}")
    return problems


def main():
    cases = generate()
    ev = event_chain_case()
    items = [c[1] for c in cases] + [{"event": ev}]
    proc = subprocess.run([TOOL], input=json.dumps(items).encode(), capture_output=True,
                          check=True, timeout=90)
    results = json.loads(proc.stdout)
    assert len(results) == len(items), (len(results), len(items))

    problems = []
    for (name, _, ref), got in zip(cases, results):
        problems += compare(name, ref, got)
    problems += check_events(ev, results[-1])

    n_s3 = sum(1 for c in cases if c[1]["service"] == "s3")
    print(f"{len(cases)} requests ({n_s3} S3, {len(cases) - n_s3} other services; "
          f"{sum(1 for c in cases if 'presign' in c[0])} presigned), "
          f"{len(ev['messages'])} chained event signatures")
    for p in problems[:15]:
        print(p, file=sys.stderr)
    if problems:
        print(f"FAIL: {len(problems)} differences from botocore", file=sys.stderr)
        return 1
    print("all identical to botocore and to the reference event signer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
