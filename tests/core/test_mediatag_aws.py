"""`mediatag aws`: what a user sees of the AWS setup, from the fixture
config and credentials files (tests/data/aws) and the environment: the
profile, region, endpoints and credential source, never a secret, and
exit status 1 with the reason when there are no credentials."""
import json
import os
import subprocess
import sys

from mtfixtures import TEST_DATA

AWS_DATA = os.path.join(TEST_DATA, "aws")
TOOL = os.environ["MEDIATAG_TOOL"]


def run(*args, **env):
    full = dict(os.environ, AWS_CONFIG_FILE=os.path.join(AWS_DATA, "config"),
                AWS_SHARED_CREDENTIALS_FILE=os.path.join(AWS_DATA, "credentials"),
                PATH=AWS_DATA + os.pathsep + os.environ["PATH"])
    full.update(env)
    cp = subprocess.run([TOOL, "aws"] + list(args), env=full, capture_output=True,
                        text=True, timeout=60)
    assert "-SECRET-" not in cp.stdout + cp.stderr, cp.stdout + cp.stderr
    return cp


def check(cond, what, cp):
    if not cond:
        sys.exit("FAIL: %s\nstdout:\n%s\nstderr:\n%s" % (what, cp.stdout, cp.stderr))


def main():
    cp = run("--json")
    check(cp.returncode == 0, "exit 0 with the default profile", cp)
    out = json.loads(cp.stdout)
    check(out["profile"] == "default" and out["region"] == "eu-west-1", "default profile", cp)
    check(out["credentials"] == {"source": "profile default", "access_key_id": "...LE01",
                                 "temporary": False, "expiration": None}, "static keys", cp)
    check(out["endpoints"]["Rekognition"] == "https://rekognition.eu-west-1.amazonaws.com",
          "public endpoint", cp)

    # A profile's services section and the environment, as the elements see them.
    cp = run("--json", "--profile", "endpoints", AWS_ENDPOINT_URL_TEXTRACT="http://127.0.0.1:9/tx")
    out = json.loads(cp.stdout)
    check(out["region"] == "eu-central-1", "profile region", cp)
    check(out["endpoints"]["S3"] == "http://127.0.0.1:4566/s3-from-services", "services section", cp)
    check(out["endpoints"]["Textract"] == "http://127.0.0.1:9/tx", "AWS_ENDPOINT_URL_TEXTRACT", cp)
    check(out["endpoints"]["Comprehend"] == "http://127.0.0.1:4566/global", "endpoint_url", cp)

    cp = run("--profile", "process", "--region", "us-west-1")
    check(cp.returncode == 0, "credential_process profile", cp)
    check("credentials  credential_process (profile process), access key id ...LE01, expiring "
          in cp.stdout, "text output names the source and expiry", cp)
    check("https://s3.us-west-1.amazonaws.com" in cp.stdout, "--region wins", cp)

    cp = run(AWS_CONFIG_FILE="/nonexistent/mt/config",
             AWS_SHARED_CREDENTIALS_FILE="/nonexistent/mt/credentials")
    check(cp.returncode == 1, "exit 1 without credentials", cp)
    check("credentials  none: No AWS credentials found" in cp.stdout, "the reason", cp)
    check("Rekognition  (needs a region)" in cp.stdout, "no made-up endpoint", cp)

    cp = run("--profile", "process-fail")
    check(cp.returncode == 1 and "exited with status 3" in cp.stdout, "process failure shown", cp)
    print("ok")


if __name__ == "__main__":
    main()
