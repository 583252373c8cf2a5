"""Runs test-credentials (C) against the loopback IMDSv2 / ECS / STS server
with every GStreamer debug category at level 9, then checks that the log
shows where credentials came from and holds no secret: no secret key,
session token, web identity / IMDS / ECS token, nor a whole access key id.

Usage: test_credentials_net.py PATH-TO-test-credentials
"""
import os
import re
import subprocess
import sys
import tempfile

from mtfixtures import start_python_server

HERE = os.path.dirname(os.path.abspath(__file__))

# Every secret in tests/data/aws, aws_metadata_server.py and test-credentials.c
# carries this
# marker, so one search finds any of them.
SECRET_MARKER = "-SECRET-"
# Whole access key ids: a log may show their last four characters only.
KEY_IDS = ["AKIAPROPERTYEXAMPLE1", "AKIAENVIRONMENT00001", "AKIADEFAULTEXAMPLE01",
           "AKIANAMEDEXAMPLE0001", "AKIAPROCESSEXAMPLE01", "ASIAIMDSEXAMPLE00001",
           "ASIAECSEXAMPLE000001", "ASIASTSEXAMPLE000001",
           "ASIAASSUMEDEXAMPLE01", "ASIASSOEXAMPLE000001"]


def fail(message, log):
    tail = "\n".join(log.splitlines()[-60:])
    sys.exit("FAIL: %s\n--- last lines of the run ---\n%s" % (message, tail))


def main():
    exe = sys.argv[1]
    server = start_python_server(os.path.join(HERE, "aws_metadata_server.py"))
    # A home of its own, where the SSO test writes its token cache.
    home = tempfile.TemporaryDirectory(prefix="mt-creds-home-")
    try:
        env = dict(os.environ, MT_TEST_METADATA_URL=server.url, GST_DEBUG="*:9",
                   GST_DEBUG_NO_COLOR="1", HOME=home.name, MT_TEST_HOME=home.name)
        cp = subprocess.run([exe], env=env, capture_output=True, text=True,
                            errors="replace", timeout=150)
    finally:
        server.stop()
        home.cleanup()
    log = cp.stdout + cp.stderr
    if cp.returncode != 0:
        fail("test-credentials exited with %d" % cp.returncode, log)
    for name in ["/net/imds", "/net/imds-refresh", "/net/ecs", "/net/web-identity",
                 "/net/precedence", "/process/refresh", "/net/assume-role",
                 "/net/assume-role-credential-source", "/net/sso"]:
        if not re.search(r"^ok \d+ %s$" % re.escape(name), cp.stdout, re.M):
            fail("%s did not run and pass" % name, log)
    # The log is the real one: it names sources and shows key id tails.
    for expected in ["AWS credentials from imds (access key id ...0001)",
                     "AWS credentials from web identity (access key id ...0001)",
                     "AWS credentials from credential_process (profile process)",
                     "refreshing AWS credentials from imds failed"]:
        if expected not in log:
            fail("the debug log lacks %r" % expected, log)
    leaks = [line for line in log.splitlines() if SECRET_MARKER in line]
    leaks += [line for line in log.splitlines() if any(k in line for k in KEY_IDS)]
    if leaks:
        fail("secrets in the GST_DEBUG=*:9 log:\n" + "\n".join(leaks[:20]), log)
    print("ok: %d log lines, no secret in them" % len(log.splitlines()))


if __name__ == "__main__":
    main()
