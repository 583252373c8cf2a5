"""deploy/: the Dockerfile, the Kubernetes Indexed Job and the AWS Batch
array job, checked offline.

The manifests are loaded (YAML, JSON) and checked against their schemas:
the Kubernetes documents through the API's own types (k8s_schema.py, with
Debian's python3-kubernetes), the AWS Batch inputs against botocore's model
of RegisterJobDefinition and SubmitJob. Then the fields issue 18 names:
Indexed completion mode, completions = parallelism = shards, settings from
the ConfigMap and Secret, web-identity credentials whose token file is the
projected service account token, the array size equal to the shards, one
command for both schedulers, and a Dockerfile that installs as the README
does.

Then the exact command and environment each manifest runs are taken out of
it and run as N local processes with JOB_COMPLETION_INDEX (Kubernetes, with
web-identity credentials exchanged at moto's STS) or
AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch) set, on moto's S3 and the Rekognition
fake; only the site's values (buckets, region, endpoints, the token file's
place) are replaced. Every asset must be done exactly once: one ledger
record, in the part of the shard its path hashes to, one attempt, and one
DetectLabels call for its image."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import mtfixtures as f
import yaml

DEPLOY = os.path.join(f.SOURCE_ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")
BATCH = os.path.join(DEPLOY, "aws-batch")
HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(f.SOURCE_ROOT, "tests", "rekognition", "fake_rekognition.py")
GI_PY3 = "/usr/bin/python3"
N_ASSETS = 12


def load_k8s():
    docs = {}
    for name in sorted(os.listdir(K8S)):
        if name.endswith(".yaml"):
            with open(os.path.join(K8S, name)) as fh:
                for doc in yaml.safe_load_all(fh):
                    docs[(doc["kind"], doc["metadata"]["name"])] = doc
    return docs


def load_json(name):
    with open(os.path.join(BATCH, name)) as fh:
        return json.load(fh)


def k8s_job():
    docs = load_k8s()
    job = docs[("Job", "mediatag-batch")]
    return docs, job, job["spec"]["template"]["spec"]["containers"][0]


def k8s_run():
    """The command, environment and shard count the Indexed Job runs."""
    docs, job, container = k8s_job()
    env = {}
    for ref in container.get("envFrom", []):
        if "configMapRef" in ref:
            env.update(docs[("ConfigMap", ref["configMapRef"]["name"])]["data"])
        if "secretRef" in ref:
            secret = docs.get(("Secret", ref["secretRef"]["name"]))
            env.update(secret.get("stringData", {}) if secret else {})
    env.update({e["name"]: e["value"] for e in container["env"] if "value" in e})
    return container["command"], env, job["spec"]["completions"]


def batch_run():
    """The command, environment and shard count of the array job."""
    definition, submit = load_json("job-definition.json"), load_json("submit-job.json")
    env = {e["name"]: e["value"] for e in definition["containerProperties"]["environment"]}
    env.update({e["name"]: e["value"] for e in submit["containerOverrides"]["environment"]})
    return definition["containerProperties"]["command"], env, submit["arrayProperties"]["size"]


def fnv1a_shard(path, shards):
    """docs/batch.md's split: FNV-1a 64 of the path's UTF-8 bytes, mod shards."""
    h = 0xcbf29ce484222325
    for b in path.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h % shards


class ManifestTest(unittest.TestCase):
    def test_kubernetes_schema(self):
        if not os.path.exists(GI_PY3) or subprocess.run(
                [GI_PY3, "-c", "import kubernetes"], capture_output=True).returncode != 0:
            self.skipTest("Debian's python3-kubernetes is not installed (tools/install-deps)")
        files = [os.path.join(K8S, n) for n in sorted(os.listdir(K8S)) if n.endswith(".yaml")]
        cp = subprocess.run([GI_PY3, os.path.join(HERE, "k8s_schema.py")] + files,
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("checked %d file(s): 0 problem(s)" % len(files), cp.stdout)

    def test_indexed_job(self):
        docs, job, container = k8s_job()
        spec = job["spec"]
        self.assertEqual((job["apiVersion"], spec["completionMode"]), ("batch/v1", "Indexed"))
        command, env, shards = k8s_run()
        self.assertEqual(spec["parallelism"], shards)
        self.assertEqual(env["MEDIATAG_SHARDS"], str(shards))
        self.assertIn(spec["template"]["spec"]["restartPolicy"], ("OnFailure", "Never"))
        for name in ("MEDIATAG_SOURCE", "MEDIATAG_DEST"):
            self.assertRegex(env[name], r"^s3://[a-z0-9.-]+/.*/$")
        self.assertIn("MEDIATAG_OPENSEARCH_URL", env)
        refs = container["envFrom"]
        self.assertEqual(refs[0]["configMapRef"]["name"], "mediatag-batch")
        self.assertEqual(refs[1]["secretRef"], {"name": "mediatag-batch", "optional": True})
        self.assertIn(("ServiceAccount", spec["template"]["spec"]["serviceAccountName"]), docs)

    def test_web_identity(self):
        docs, job, container = k8s_job()
        _, env, _ = k8s_run()
        self.assertRegex(env["AWS_ROLE_ARN"], r"^arn:aws:iam::\d{12}:role/")
        token_file = env["AWS_WEB_IDENTITY_TOKEN_FILE"]
        mount = [m for m in container["volumeMounts"]
                 if token_file.startswith(m["mountPath"].rstrip("/") + "/")]
        self.assertEqual(len(mount), 1, "the token file is on no mounted volume")
        volume = [v for v in job["spec"]["template"]["spec"]["volumes"]
                  if v["name"] == mount[0]["name"]][0]
        token = volume["projected"]["sources"][0]["serviceAccountToken"]
        self.assertEqual(token["audience"], "sts.amazonaws.com")
        self.assertEqual(os.path.join(mount[0]["mountPath"], token["path"]), token_file)
        # The shipped Secret holds no key: empty values count as unset.
        self.assertFalse(any(docs[("Secret", "mediatag-batch")]["stringData"].values()))

    def test_aws_batch_schema_and_fields(self):
        import botocore.session
        from botocore.validate import ParamValidator
        model = botocore.session.get_session().get_service_model("batch")
        for op, name in (("RegisterJobDefinition", "job-definition.json"),
                         ("SubmitJob", "submit-job.json")):
            report = ParamValidator().validate(load_json(name),
                                               model.operation_model(op).input_shape)
            self.assertFalse(report.has_errors(), "%s: %s" % (name, report.generate_report()))
        definition, submit = load_json("job-definition.json"), load_json("submit-job.json")
        self.assertEqual(submit["jobDefinition"], definition["jobDefinitionName"])
        command, env, shards = batch_run()
        self.assertGreater(shards, 1)
        self.assertEqual(env["MEDIATAG_SHARDS"], str(shards))
        self.assertRegex(definition["containerProperties"]["jobRoleArn"], r"^arn:aws:iam::")

    def test_one_command_for_both(self):
        k8s_command, k8s_env, _ = k8s_run()
        batch_command, batch_env, _ = batch_run()
        self.assertEqual(k8s_command, batch_command)
        self.assertEqual(k8s_command[:2], ["/bin/sh", "-c"])
        self.assertTrue(k8s_command[2].startswith("exec mediatag batch "), k8s_command[2])
        self.assertEqual(k8s_env["MEDIATAG_ARGS"], batch_env["MEDIATAG_ARGS"])

    def test_dockerfile_installs_as_the_readme(self):
        with open(os.path.join(DEPLOY, "Dockerfile")) as fh:
            docker = fh.read()
        with open(os.path.join(f.SOURCE_ROOT, "README.md")) as fh:
            readme = fh.read()
        self.assertRegex(docker, r"(?m)^FROM debian:(12|bookworm)\b")
        self.assertIn("bash tools/install-deps", docker)
        for step in re.findall(r"(meson setup build-pkg --prefix=/usr|meson install -C build-pkg)",
                               readme):
            self.assertIn(step, docker)
        self.assertIn('ENTRYPOINT ["mediatag"]', docker)


def have_batch():
    cp = subprocess.run([f.TOOL, "batch", "--help"], capture_output=True, text=True, timeout=60)
    return cp.returncode == 0 and "--shards" in cp.stdout + cp.stderr


class ShardRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not have_batch():
            raise unittest.SkipTest("this build's mediatag has no `batch --shards` yet")
        cls.tmp = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.tmp)
        cls.moto = f.start_moto()
        cls.addClassCleanup(cls.moto.stop)
        cls.fake_log = os.path.join(cls.tmp, "rekognition.jsonl")
        cls.fake = f.start_python_server(FAKE, "--log", cls.fake_log)
        cls.addClassCleanup(cls.fake.stop)
        cls.s3 = f.boto_client("s3", cls.moto.url)
        cls.s3.create_bucket(Bucket="media-in")
        cls.s3.create_bucket(Bucket="media-out")
        cls.paths = []
        for i in range(N_ASSETS):
            # Distinct pixels, so each image's DetectLabels call is its own.
            path = os.path.join(cls.tmp, "a%d.jpg" % i)
            subprocess.run([f.CONVERT, "-size", "64x48", "xc:rgb(%d,%d,90)" % (i * 20, 255 - i * 20),
                            path], check=True)
            rel = ("photos/%02d shot+%d é.jpg" if i % 3 == 0 else "img/%02d-%d.jpg") % (i, i)
            with open(path, "rb") as fh:
                cls.s3.put_object(Bucket="media-in", Key="assets/" + rel, Body=fh.read())
            cls.paths.append(rel)
        cls.token = os.path.join(cls.tmp, "token")
        with open(cls.token, "w") as fh:
            fh.write("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bWVkaWF0YWcifQ.c2ln")

    def site_env(self, manifest_env, dest):
        """The manifest's environment with this site's values: moto for S3
        and STS, the fake for Rekognition, test buckets and the token file."""
        env = dict(os.environ)
        env.update(manifest_env)
        env.update(MEDIATAG_SOURCE="s3://media-in/assets/", MEDIATAG_DEST=dest,
                   AWS_REGION="us-east-1", AWS_ENDPOINT_URL=self.moto.url,
                   AWS_ENDPOINT_URL_REKOGNITION=self.fake.url,
                   PATH=os.path.dirname(f.TOOL) + os.pathsep + env["PATH"])
        for name in ("JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"):
            env.pop(name, None)
        return env

    def detect_labels_calls(self):
        if not os.path.exists(self.fake_log):
            return []
        with open(self.fake_log) as fh:
            return [json.loads(line) for line in fh if '"DetectLabels"' in line]

    def run_shards(self, command, env, shards, index_var):
        before = len(self.detect_labels_calls())
        procs = []
        for i in range(shards):
            shard_env = dict(env, **{index_var: str(i)})
            procs.append(subprocess.Popen(command, env=shard_env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True))
        outputs = [p.communicate(timeout=300)[0] for p in procs]
        for i, p in enumerate(procs):
            self.assertEqual(p.returncode, 0, "shard %d:\n%s" % (i, outputs[i]))
        return self.detect_labels_calls()[before:]

    def ledger(self, bucket, prefix):
        """Every ledger record of DEST, by part name."""
        parts = {}
        listing = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix + ".mediatag/")
        for obj in listing.get("Contents", []):
            name = obj["Key"].rsplit("/", 1)[1]
            if re.match(r"ledger-\d+\.jsonl$", name):
                body = self.s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
                parts[name] = [json.loads(line) for line in body.splitlines() if line.strip()]
        return parts

    def assertEachDoneOnce(self, prefix, shards, calls):
        parts = self.ledger("media-out", prefix)
        self.assertEqual(sorted(parts), sorted("ledger-%d.jsonl" % i for i in range(shards)))
        seen = {}
        for name, records in parts.items():
            latest = {}
            for r in records:
                latest[r["path"]] = r
            for path, r in latest.items():
                self.assertNotIn(path, seen, "%s done by %s and %s" % (path, seen.get(path), name))
                seen[path] = name
                self.assertEqual(r["state"], "done", r)
                self.assertEqual(r["attempts"], 1, r)
                shard = fnv1a_shard(path, shards)
                self.assertEqual((r["shard"], name), (shard, "ledger-%d.jsonl" % shard), r)
        self.assertEqual(sorted(seen), sorted(self.paths))
        self.assertEqual(len(calls), N_ASSETS)
        self.assertEqual(len({c["image_sha1"] for c in calls}), N_ASSETS)
        results = self.s3.list_objects_v2(Bucket="media-out", Prefix=prefix)
        keys = [o["Key"][len(prefix):] for o in results.get("Contents", [])]
        for path in self.paths:
            self.assertTrue(any(k.startswith(path) for k in keys), "no results for %s" % path)

    def test_kubernetes_indexed_job(self):
        command, manifest_env, shards = k8s_run()
        env = self.site_env(manifest_env, "s3://media-out/k8s/")
        # The role of the ConfigMap, by web identity: the token file is
        # where this machine has it, the keys come from moto's STS.
        env["AWS_WEB_IDENTITY_TOKEN_FILE"] = self.token
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        calls = self.run_shards(command, env, shards, "JOB_COMPLETION_INDEX")
        self.assertEachDoneOnce("k8s/", shards, calls)

    def test_aws_batch_array_job(self):
        command, manifest_env, shards = batch_run()
        env = self.site_env(manifest_env, "s3://media-out/batch/")
        # The job role's credentials stand in as keys (AWS Batch hands them
        # over through the ECS container endpoint).
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        calls = self.run_shards(command, env, shards, "AWS_BATCH_JOB_ARRAY_INDEX")
        self.assertEachDoneOnce("batch/", shards, calls)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
