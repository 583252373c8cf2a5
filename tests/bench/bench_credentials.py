#!/usr/bin/env python3
"""Benchmark (on demand, not a test): time to resolve credentials through
the whole chain, with no cache (a new provider, or a new botocore session
whose construction is not timed), for three sources, mediatag against
botocore in the same setup:

- profile: static keys in the shared credentials file (tests/data/aws);
- process: a credential_process (tests/data/aws/mt-credential-process);
- imds: IMDSv2 on the loopback server of the tests (token PUT, two GETs).

    python3 tests/bench/bench_credentials.py BUILD_DIR [N]

Builds bench-credentials.c against BUILD_DIR's libmediatag-core, then
prints microseconds per resolution for each side and botocore/mediatag.
Process start-up (gst_init, Python imports) is outside the timed loops.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "common"))
import mtfixtures  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data", "aws")


def build_helper(build):
    out = os.path.join(build, "bench-credentials")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gstreamer-1.0", "gio-2.0"],
                           capture_output=True, text=True, check=True).stdout.split()
    libdir = os.path.join(build, "plugins", "core")
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(HERE, "bench-credentials.c"),
                    "-I", os.path.join(ROOT, "plugins", "core"), "-I", build,
                    "-L", libdir, "-lmediatag-core-1.0", "-Wl,-rpath," + libdir] + flags,
                   check=True)
    return out


def base_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.path.join(DATA, "config"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(DATA, "credentials"),
               AWS_EC2_METADATA_DISABLED="true",
               PATH=DATA + ":" + os.environ["PATH"])
    return env


def mediatag_us(helper, env, n):
    cp = subprocess.run([helper, str(n)], env=env, capture_output=True, text=True)
    if cp.returncode != 0:
        raise SystemExit("bench-credentials failed: " + cp.stderr)
    return float(cp.stdout)


def botocore_us(env, n):
    code = """
import sys, time, botocore.session
n = int(sys.argv[1])
total = 0.0
for _ in range(n):
    session = botocore.session.Session()   # not timed: only the chain is
    t = time.perf_counter()
    c = session.get_credentials()
    assert c is not None and c.get_frozen_credentials().access_key
    total += time.perf_counter() - t
print(total * 1e6 / n)
"""
    cp = subprocess.run([sys.executable, "-c", code, str(n)], env=env,
                        capture_output=True, text=True)
    if cp.returncode != 0:
        raise SystemExit("botocore failed: " + cp.stderr)
    return float(cp.stdout)


def main():
    build = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    helper = build_helper(build)
    cases = []
    env = base_env()
    cases.append(("profile (static keys)", dict(env), n))
    cases.append(("credential_process", dict(env, AWS_PROFILE="process"), max(n // 10, 5)))
    server = mtfixtures.start_python_server(os.path.join(ROOT, "tests", "core",
                                                         "aws_metadata_server.py"))
    try:
        imds = dict(env, AWS_SHARED_CREDENTIALS_FILE="/nonexistent/bench/credentials",
                    AWS_EC2_METADATA_DISABLED="false",
                    AWS_EC2_METADATA_SERVICE_ENDPOINT=server.url)
        cases.append(("imds (loopback IMDSv2)", imds, max(n // 4, 5)))
        print("%-24s %8s %12s %12s %8s" % ("source", "n", "mediatag us", "botocore us",
                                           "ratio"))
        for name, case_env, count in cases:
            m = mediatag_us(helper, case_env, count)
            b = botocore_us(case_env, count)
            print("%-24s %8d %12.1f %12.1f %7.1fx" % (name, count, m, b, b / m))
    finally:
        server.stop()
    print("(ratio = botocore / mediatag; a shared 2-core machine: figures vary)")


if __name__ == "__main__":
    main()
