"""Helpers shared by the s3src/s3sink tests: moto with a bucket, the
environment that points the elements at it, deterministic content, and
gst-launch runs that capture the element's error text."""
import hashlib
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import mtfixtures  # noqa: E402

# mtfixtures unsets the blanked AWS_* variables for boto3 and stops every
# server it started when the test exits or is terminated.

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024


def content(size, seed=1):
    """Deterministic bytes: the same size and seed give the same object, and
    no stretch repeats (a resume at a wrong offset cannot go unseen)."""
    return hashlib.shake_128(b"mediatag-%d" % seed).digest(size)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            h.update(block)
    return h.hexdigest()


class Moto:
    """moto on 127.0.0.1 with one bucket, and the environment that makes
    s3src/s3sink use it (as a user would: AWS_* variables)."""

    def __init__(self, bucket="media", auth_after=None):
        self.server = mtfixtures.start_moto(auth_after=auth_after)
        self.url = self.server.url
        self.bucket = bucket
        self.key_id, self.secret = "testing", "testing"
        self.s3 = None

    def start_plain(self):
        try:
            self.s3 = mtfixtures.boto_client("s3", self.url)
            self.s3.create_bucket(Bucket=self.bucket)
        except BaseException:
            self.stop()  # no moto left behind by a failed set-up
            raise
        return self

    def start_auth(self):
        """The first three calls (moto's INITIAL_NO_AUTH_ACTION_COUNT) make an
        IAM user allowed everything and its key; every later call must be
        signed with that key."""
        try:
            return self._start_auth()
        except BaseException:
            self.stop()
            raise

    def _start_auth(self):
        iam = mtfixtures.boto_client("iam", self.url)
        iam.create_user(UserName="mediatag")
        iam.put_user_policy(UserName="mediatag", PolicyName="all",
                            PolicyDocument='{"Version":"2012-10-17","Statement":'
                            '[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
        key = iam.create_access_key(UserName="mediatag")["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        self.s3 = mtfixtures.boto_client("s3", self.url, key=self.key_id, secret=self.secret)
        self.s3.create_bucket(Bucket=self.bucket)
        return self

    def env(self, **extra):
        e = mtfixtures.gst_env(AWS_ENDPOINT_URL=self.url, AWS_REGION="us-east-1",
                               AWS_ACCESS_KEY_ID=self.key_id,
                               AWS_SECRET_ACCESS_KEY=self.secret)
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def put(self, key, data):
        # One PutObject: for moto, much faster than a multipart upload.
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def get(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def keys(self, prefix=""):
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [o["Key"] for p in pages for o in p.get("Contents", [])]

    def stop(self):
        self.server.stop()


def element_error(output, element="GstS3"):
    """The user's sentence and the debug part of the first error from an
    element whose path holds `element`, as gst-launch-1.0 prints them:
    `ERROR: from element PATH: sentence`, `Additional debug info:`, the
    source line, then the detail."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"ERROR: from element (\S+): (.*)$", line)
        if m and element in m.group(1) and lines[i + 1:i + 2] == ["Additional debug info:"]:
            return m.group(2), lines[i + 3] if i + 3 < len(lines) else ""
    raise AssertionError("no error from %s in:\n%s" % (element, output))


def launch(pipeline, env, timeout=120):
    """gst-launch-1.0 without raising: the test looks at returncode/stderr."""
    return mtfixtures.gst_launch(pipeline, env=env, timeout=timeout, check=False)


def read_object(uri, env, extra="", timeout=120):
    """s3src uri=... ! filesink; returns (CompletedProcess, sha256 or None)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        cp = launch('s3src uri="%s" %s ! filesink location=%s' % (uri, extra, out), env, timeout)
        digest = file_sha256(out) if cp.returncode == 0 else None
    return cp, digest
