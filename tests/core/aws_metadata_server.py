"""A loopback stand-in for the three credential endpoints the chain calls
over HTTP, each as AWS documents it:

- EC2 instance metadata, IMDSv2: PUT /latest/api/token (needs the TTL
  header) gives a session token; GET /latest/meta-data/iam/security-credentials/
  and .../<role> need that token in X-aws-ec2-metadata-token (401 without).
- ECS container credentials at /ecs/creds: needs the Authorization header.
- IAM Identity Center GetRoleCredentials: GET /federation/credentials
  with the x-amz-sso_bearer_token header.
- STS AssumeRoleWithWebIdentity (unsigned) and AssumeRole (SigV4-signed,
  the signature checked with botocore against the caller's known secret):
  POST / (query protocol, form body), XML.

Tests steer it with POST /_control (a JSON object of settings) and read
what it saw with GET /_stats. Usage: aws_metadata_server.py PORT
"""
import datetime
import json
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "mt-test-role"
# Secrets the tests look for in debug logs: they must never appear there.
IMDS_SECRET = "imds-secret-SECRET-0001"
IMDS_SESSION = "imds-session-token-SECRET-0001"
ECS_SECRET = "ecs-secret-SECRET-0002"
ECS_SESSION = "ecs-session-token-SECRET-0002"
STS_SECRET = "sts-secret-SECRET-0003"
STS_SESSION = "sts-session-token-SECRET-0003"
SSO_SECRET = "sso-secret-SECRET-0018"
SSO_SESSION = "sso-session-token-SECRET-0018"
ASSUMED_SECRET = "assumed-secret-SECRET-0016"
ASSUMED_SESSION = "assumed-session-token-SECRET-0016"
# The keys AssumeRole callers may sign with (tests/data/aws and ECS above).
SIGNING_SECRETS = {
    "AKIADEFAULTEXAMPLE01": "default-secret-SECRET-0007",
    "AKIANAMEDEXAMPLE0001": "named-secret-SECRET-0008",
    "ASIAECSEXAMPLE000001": ECS_SECRET,
    "ASIAASSUMEDEXAMPLE01": ASSUMED_SECRET,   # a role assumed with a role
}

DEFAULTS = {
    "imds_expires_in": 3600,     # seconds from now
    "imds_status": 200,          # status of the role's credentials
    "imds_v1_only": False,       # token PUT answers 405, GETs need no token
    "ecs_token": "ecs-auth-token-SECRET-0004",
    "ecs_status": 200,
    "ecs_fail_times": 0,         # the first N requests answer 503
    "sts_role_arn": "arn:aws:iam::123456789012:role/mt-web",
    "sts_token": "web-identity-token-SECRET-0005",
    "sso_token": "sso-access-token-SECRET-0017",
}

lock = threading.Lock()
state = dict(DEFAULTS)
stats = {}
tokens = set()


def reset():
    state.clear()
    state.update(DEFAULTS)
    stats.clear()
    stats.update({"imds_token_puts": 0, "imds_role_lists": 0, "imds_creds_gets": 0,
                  "imds_rejected": 0, "ecs_gets": 0, "ecs_rejected": 0,
                  "sts_calls": 0, "sts_session_name": None,
                  "assume_calls": 0, "assume_signed_by": None, "assume_region": None,
                  "assume_role_arn": None, "assume_external_id": None,
                  "sso_gets": 0, "sso_rejected": 0, "sso_account": None, "sso_role": None})
    tokens.clear()


def iso_in(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", ctype="text/plain"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def json_reply(self, status, obj):
        self.reply(status, json.dumps(obj), "application/json")

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # --- IMDS ---
    def imds_token_ok(self):
        if state["imds_v1_only"]:
            return True
        if self.headers.get("X-aws-ec2-metadata-token") in tokens:
            return True
        stats["imds_rejected"] += 1
        self.reply(401, "")
        return False

    def imds_put_token(self):
        if state["imds_v1_only"]:
            return self.reply(405, "")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing TTL header")
        stats["imds_token_puts"] += 1
        token = "imds-api-token-SECRET-%d" % stats["imds_token_puts"]
        tokens.add(token)
        self.reply(200, token)

    def imds_get(self, path):
        if not self.imds_token_ok():
            return
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            stats["imds_role_lists"] += 1
            return self.reply(200, ROLE + "\n")
        if path != base + ROLE:
            return self.reply(404, "")
        stats["imds_creds_gets"] += 1
        n = stats["imds_creds_gets"]
        if state["imds_status"] != 200:
            return self.reply(state["imds_status"], "")
        self.json_reply(200, {
            "Code": "Success", "LastUpdated": iso_in(0), "Type": "AWS-HMAC",
            "AccessKeyId": "ASIAIMDSEXAMPLE%05d" % n,
            "SecretAccessKey": IMDS_SECRET, "Token": IMDS_SESSION,
            "Expiration": iso_in(state["imds_expires_in"])})

    # --- ECS ---
    def ecs_get(self):
        stats["ecs_gets"] += 1
        if self.headers.get("Authorization") != state["ecs_token"]:
            stats["ecs_rejected"] += 1
            return self.json_reply(403, {"code": "AccessDenied", "message": "bad token"})
        if state["ecs_fail_times"] > 0:
            state["ecs_fail_times"] -= 1
            return self.reply(503, "")
        if state["ecs_status"] != 200:
            return self.reply(state["ecs_status"], "")
        self.json_reply(200, {
            "AccessKeyId": "ASIAECSEXAMPLE000001", "SecretAccessKey": ECS_SECRET,
            "Token": ECS_SESSION, "Expiration": iso_in(3600)})

    # --- IAM Identity Center ---
    def sso_get(self, query):
        stats["sso_gets"] += 1
        if self.headers.get("x-amz-sso_bearer_token") != state["sso_token"]:
            stats["sso_rejected"] += 1
            return self.json_reply(401, {"message": "Session token not found or invalid"})
        q = urllib.parse.parse_qs(query)
        stats["sso_account"] = (q.get("account_id") or [None])[0]
        stats["sso_role"] = (q.get("role_name") or [None])[0]
        expires_ms = int((datetime.datetime.now(datetime.timezone.utc).timestamp() + 3600) * 1000)
        self.json_reply(200, {"roleCredentials": {
            "accessKeyId": "ASIASSOEXAMPLE000001", "secretAccessKey": SSO_SECRET,
            "sessionToken": SSO_SESSION, "expiration": expires_ms}})

    # --- STS ---
    def sts_error(self, status, code, message):
        self.reply(status, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                   "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                   "<RequestId>r-1</RequestId></ErrorResponse>" % (code, message), "text/xml")

    def check_signature(self, body):
        """The access key id and region of a valid SigV4 signature, else None."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/sts/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
                     self.headers.get("Authorization") or "")
        if not m or m.group(1) not in SIGNING_SECRETS:
            return None
        key_id, _, region, signed, signature = m.groups()
        headers = {h: self.headers.get(h) for h in signed.split(";")}
        if None in headers.values():
            return None
        req = AWSRequest(method="POST", url="http://%s/" % self.headers.get("Host"),
                         data=body, headers=headers)
        req.context["timestamp"] = self.headers.get("X-Amz-Date")
        auth = SigV4Auth(Credentials(key_id, SIGNING_SECRETS[key_id],
                                     self.headers.get("X-Amz-Security-Token")), "sts", region)
        canonical = auth.canonical_request(req)
        expected = auth.signature(auth.string_to_sign(req, canonical), req)
        return (key_id, region) if expected == signature else None

    def assume_role(self, body, get):
        stats["assume_calls"] += 1
        signed = self.check_signature(body)
        if signed is None:
            return self.sts_error(403, "SignatureDoesNotMatch", "the signature is not valid")
        stats["assume_signed_by"], stats["assume_region"] = signed
        stats["assume_role_arn"] = get("RoleArn")
        stats["assume_external_id"] = get("ExternalId")
        self.reply(200, """<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>%s/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAASSUMEDEXAMPLE01</AccessKeyId>
      <SecretAccessKey>%s</SecretAccessKey>
      <SessionToken>%s</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>""" % (get("RoleArn"), ASSUMED_SECRET, ASSUMED_SESSION, iso_in(3600)),
                   "text/xml")

    def sts_post(self):
        body = self.read_body()
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        get = lambda k: (form.get(k) or [None])[0]
        if get("Action") == "AssumeRole":
            return self.assume_role(body, get)
        stats["sts_calls"] += 1
        stats["sts_session_name"] = get("RoleSessionName")
        if self.headers.get("Authorization"):
            return self.sts_error(400, "InvalidRequest", "this call must not be signed")
        if get("Action") != "AssumeRoleWithWebIdentity" or get("Version") != "2011-06-15":
            return self.sts_error(400, "InvalidAction", "unexpected Action or Version")
        if get("RoleArn") != state["sts_role_arn"]:
            return self.sts_error(403, "AccessDenied", "not authorized to assume this role")
        if get("WebIdentityToken") != state["sts_token"]:
            return self.sts_error(400, "InvalidIdentityToken", "the token is not valid")
        self.reply(200, """<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>%s</SessionToken>
      <SecretAccessKey>%s</SecretAccessKey>
      <Expiration>%s</Expiration>
      <AccessKeyId>ASIASTSEXAMPLE000001</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>""" % (STS_SESSION, STS_SECRET, iso_in(3600)), "text/xml")

    # --- dispatch ---
    def do_PUT(self):
        with lock:
            self.read_body()
            if self.path == "/latest/api/token":
                return self.imds_put_token()
            self.reply(404, "")

    def do_GET(self):
        with lock:
            split = urllib.parse.urlsplit(self.path)
            path = split.path
            if path == "/federation/credentials":
                return self.sso_get(split.query)
            if path == "/_stats":
                return self.json_reply(200, stats)
            if path.startswith("/latest/"):
                return self.imds_get(path)
            if path == "/ecs/creds":
                return self.ecs_get()
            self.reply(404, "")

    def do_POST(self):
        with lock:
            if self.path == "/_control":
                state.update(json.loads(self.read_body() or b"{}"))
                return self.json_reply(200, state)
            if self.path == "/_reset":
                self.read_body()
                reset()
                return self.json_reply(200, state)
            if self.path == "/":
                return self.sts_post()
            self.reply(404, "")


def main():
    reset()
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
