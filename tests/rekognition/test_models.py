"""`mediatag models` against the loopback fake of Rekognition: status,
start (waiting until RUNNING), stop, list, train from a Ground Truth
manifest, and --stop-after-idle keeping a model running only while
rekognitionsink uses it. Every request is validated by the fake against
botocore's service model."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import mtfixtures as fx

for _k in [k for k, v in os.environ.items() if k.startswith("AWS_") and not v]:
    del os.environ[_k]

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_rekognition.py")
TOOL = os.environ.get("MEDIATAG_TOOL", "mediatag")
ARN = "arn:aws:rekognition:us-east-1:123456789012:project/logos/version/logos.v1/1700000000001"
OTHER = ARN.replace("logos.v1/1700000000001", "logos.v2/1700000000002")
THIRD = "arn:aws:rekognition:us-east-1:123456789012:project/cars/version/cars.v1/1700000000003"
DOG = "/usr/share/darknet/data/dog.jpg"


class ModelsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mt-models-")
        self.log = os.path.join(self.tmp, "fake.log")
        # A page a result, so listing has to follow NextToken.
        self.fake = fx.start_python_server(FAKE, "--log", self.log, "--model", ARN + "=STOPPED",
                                           "--model", OTHER + "=TRAINING_COMPLETED",
                                           "--model", THIRD + "=STOPPED",
                                           "--transition", "1", "--page-size", "1")
        # Usage markers go to the cache dir: one per test.
        self.env = fx.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                              AWS_REGION="us-east-1", XDG_CACHE_HOME=self.tmp)

    def tearDown(self):
        self.fake.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tool(self, *args, check=True):
        cp = subprocess.run([TOOL, "models", *args, "--endpoint", self.fake.url], env=self.env,
                            capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp

    def requests(self):
        with open(self.log) as f:
            reqs = [json.loads(x) for x in f]
        self.assertEqual([r for r in reqs if not r["valid"] or r.get("fake_error")], [])
        return reqs

    def test_status_start_stop_list(self):
        self.assertEqual(self.tool("status", ARN).stdout.splitlines()[0], ARN + "\tSTOPPED\t1")
        out = self.tool("start", ARN, "--min-inference-units", "2").stdout
        # start returns once the model runs, not when the call returns.
        self.assertEqual(out.splitlines()[-1], ARN + "\tRUNNING")
        self.assertEqual(self.tool("status", ARN).stdout.splitlines()[0], ARN + "\tRUNNING\t2")
        self.assertEqual(self.tool("list").stdout.splitlines(),
                         [ARN + "\tRUNNING\t2", OTHER + "\tTRAINING_COMPLETED\t1",
                          THIRD + "\tSTOPPED\t1"])
        self.assertEqual(self.tool("list", "--project", "cars").stdout.splitlines(),
                         [THIRD + "\tSTOPPED\t1"])
        self.assertEqual(self.tool("stop", ARN).stdout.splitlines()[-1], ARN + "\tSTOPPED")
        reqs = self.requests()
        starts = [r for r in reqs if r["op"] == "StartProjectVersion"]
        self.assertEqual([r["MinInferenceUnits"] for r in starts], [2])
        self.assertEqual(len([r for r in reqs if r["op"] == "StopProjectVersion"]), 1)

    def test_errors_are_clear(self):
        cp = self.tool("status", "arn:aws:s3:::bucket", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("is not a Custom Labels model ARN", cp.stderr)
        other = ARN.replace("logos.v1", "logos.v9")
        cp = self.tool("status", other, check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn('has no model version "logos.v9"', cp.stderr)
        cp = self.tool("stop", ARN, check=False)     # it is not running
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("ResourceInUseException", cp.stderr)
        cp = self.tool("start", ARN, "--stop-after-idle", "soon", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("--stop-after-idle takes a duration", cp.stderr)

    def test_train_from_ground_truth_manifest(self):
        out = self.tool("train", "--project", "brands", "--version", "brands.v1",
                        "--manifest", "s3://labels/brands/output.manifest",
                        "--output", "s3://labels/training/").stdout.splitlines()
        self.assertTrue(out[0].startswith("training arn:aws:rekognition:"), out)
        arn = out[0].split()[1]
        self.assertEqual(out[-1], arn + "\tTRAINING_COMPLETED")
        reqs = self.requests()
        create = [r for r in reqs if r["op"] == "CreateProjectVersion"][0]
        self.assertEqual([r["ProjectName"] for r in reqs if r["op"] == "CreateProject"], ["brands"])
        self.assertEqual(create["VersionName"], "brands.v1")
        self.assertEqual(create["TrainingData"]["Assets"][0]["GroundTruthManifest"]["S3Object"],
                         {"Bucket": "labels", "Name": "brands/output.manifest"})
        self.assertEqual(create["TestingData"], {"Assets": [], "AutoCreate": True})
        self.assertEqual(create["OutputConfig"], {"S3Bucket": "labels", "S3KeyPrefix": "training/"})

    def test_stop_after_idle(self):
        idle = 10
        watcher = subprocess.Popen([TOOL, "models", "start", ARN, "--stop-after-idle", str(idle),
                                    "--endpoint", self.fake.url], env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            while "running; will stop" not in watcher.stdout.readline():
                if watcher.poll() is not None:
                    self.fail("the watcher exited: " + watcher.stderr.read())
            for _ in range(2):  # each run well within the idle time
                line = ("filesrc location=%s ! jpegparse ! rekognitionsink endpoint=%s "
                        "features=custom-labels custom-label-models=%s" % (DOG, self.fake.url, ARN))
                fx.gst_launch(line, env=self.env, timeout=120)
                time.sleep(1)
            self.assertEqual(watcher.wait(timeout=60), 0, watcher.stderr.read())
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait()
        reqs = self.requests()
        used = [r for r in reqs if r["op"] == "DetectCustomLabels"]
        self.assertEqual([r["status"] for r in used], [200, 200], "the model stopped while in use")
        stop = [r for r in reqs if r["op"] == "StopProjectVersion"]
        self.assertEqual(len(stop), 1)
        # Usage is recorded to the second: allow that much.
        self.assertGreaterEqual(stop[0]["time"] - used[-1]["time"], idle - 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
