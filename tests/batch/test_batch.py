"""mediatag batch (issue 18): folders, S3 prefixes and list files through
analyze's code, results whole under mirrored names in a local or S3 DEST,
the ledger (resume, retries, changed sources), status, shards, the lock,
SIGKILL then rerun, and the bad input of the issue: keys with spaces,
unicode and '+', an object deleted between listing and reading, a DEST that
cannot be written, two batches on one DEST.

Rekognition is moto's (DetectLabels answers "Mobile Phone" at once), so an
asset costs its graph, not a model: --backend aws --features labels. S3 is
moto's too. Images and the short video are made here with gst-launch."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import mtfixtures

TOOL = mtfixtures.TOOL
HERE = os.path.dirname(os.path.abspath(__file__))
BULK_SERVER = os.path.join(mtfixtures.SOURCE_ROOT, "tests", "opensearch", "bulk_server.py")
UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
MEDIA = tempfile.mkdtemp(prefix="mediatag-batch-")
MOTO = None
S3 = None
IMAGES = {}


def setUpModule():
    global MOTO, S3
    MOTO = mtfixtures.start_moto()
    S3 = mtfixtures.boto_client("s3", MOTO.url)
    for i, pattern in enumerate(["smpte", "ball", "snow", "gradient"]):
        path = os.path.join(MEDIA, "img%d.jpg" % i)
        mtfixtures.gst_launch("videotestsrc num-buffers=1 pattern=%s ! video/x-raw,width=96,"
                              "height=64 ! jpegenc ! filesink location=%s" % (pattern, path))
        IMAGES[i] = path
    # 3 s of video at 1 frame a second: three units.
    IMAGES["video"] = os.path.join(MEDIA, "clip.mp4")
    mtfixtures.gst_launch("videotestsrc num-buffers=75 pattern=ball ! video/x-raw,width=96,"
                          "height=64,framerate=25/1 ! x264enc speed-preset=ultrafast "
                          "key-int-max=25 ! h264parse ! mp4mux faststart=true ! filesink "
                          "location=%s" % IMAGES["video"])


def tearDownModule():
    if MOTO:
        MOTO.stop()
    shutil.rmtree(MEDIA, ignore_errors=True)


def aws_env(**extra):
    return mtfixtures.gst_env(AWS_ENDPOINT_URL=MOTO.url, AWS_ACCESS_KEY_ID="testing",
                              AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", **extra)


BASE = ["--backend", "aws", "--features", "labels", "--frame-capture-mode", "1fps",
        "--no-thumbnails"]


def batch(*args, env=None, timeout=240):
    return subprocess.run([TOOL, "batch"] + list(args), capture_output=True, text=True,
                          env=env or aws_env(), timeout=timeout)


def start_batch(*args, env=None):
    return subprocess.Popen([TOOL, "batch"] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or aws_env())


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ledger_lines(text):
    """Every record of a ledger part; only the last line may be cut short."""
    lines = text.split("\n")
    records = []
    for i, line in enumerate(lines):
        if not line:
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            if i != len(lines) - 1:
                raise AssertionError("ledger line %d is not JSON: %r" % (i, line))
    return records


def local_ledger(dest):
    state = os.path.join(dest, ".mediatag")
    records = []
    for name in sorted(os.listdir(state)):
        if name.startswith("ledger-") and name.endswith(".jsonl"):
            with open(os.path.join(state, name), encoding="utf-8") as f:
                records += [dict(r, part=name) for r in ledger_lines(f.read())]
    return records


def latest(records):
    by_path = {}
    for r in sorted(records, key=lambda r: r["time"]):
        by_path[r["path"]] = r
    return by_path


def fnv1a_shard(path, shards):
    """The split docs/batch.md documents: FNV-1a 64 of the UTF-8 path."""
    h = 14695981039346656037
    for b in path.encode("utf-8"):
        h ^= b
        h = (h * 1099511628211) % (1 << 64)
    return h % shards


def make_tree(root, names):
    """names: relative path -> IMAGES key or bytes."""
    for rel, what in names.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(what, bytes):
            with open(path, "wb") as f:
                f.write(what)
        else:
            shutil.copyfile(IMAGES[what], path)


def wait_for(predicate, timeout=120, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


class BatchTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="case-", dir=MEDIA)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def new_bucket(self):
        name = "b%d-%d" % (os.getpid(), int(time.monotonic() * 1e6) % 10**9)
        S3.create_bucket(Bucket=name)
        return name

    def start_holder(self, dest):
        """A batch that holds DEST's lock until told to stop: --watch on an
        empty prefix with a queue (deterministic, whatever the load)."""
        bucket = self.new_bucket()
        sqs = mtfixtures.boto_client("sqs", MOTO.url)
        url = sqs.create_queue(QueueName=bucket)["QueueUrl"]
        return start_batch("s3://%s/in/" % bucket, "--out", dest, "--watch", "--queue", url,
                           *BASE)

    def stop_holder(self, holder):
        holder.send_signal(signal.SIGTERM)
        _, err = holder.communicate(timeout=120)
        self.assertEqual(holder.returncode, 128 + signal.SIGTERM, err)

    def assert_labels(self, jsonl, asset_suffix):
        docs = read_jsonl(jsonl)
        labels = [d for d in docs if d["analysis"] == "label"]
        self.assertTrue(labels, jsonl)
        self.assertTrue(all(urllib.parse.unquote(d["asset"]).endswith(asset_suffix)
                            for d in docs), docs[0]["asset"])
        self.assertEqual({d["name"] for d in labels}, {"Mobile Phone"})


class LocalFolder(BatchTest):
    TREE = {"a.jpg": 0, "sub/a.jpg": 1, "sub/deeper/a.png.jpg": 2,
            "with space/b+c \u00e9.jpg": 3, "clips/clip.mp4": "video",
            "notes.txt": b"not media\n", "sub/data.bin": b"\x00\x01garbage" * 50}

    def test_folder_is_mirrored_whole_then_resumed_and_changed_sources_redone(self):
        src, out = self.path("src"), self.path("out")
        make_tree(src, self.TREE)
        cp = batch(src, "--out", out, "--jobs", "2", *BASE)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        media = [p for p, w in self.TREE.items() if not isinstance(w, bytes)]
        for rel in media:
            # a.jpg and sub/a.jpg do not collide: each has its own folder
            self.assert_labels(os.path.join(out, rel + ".jsonl"), rel.split("/")[-1])
        self.assertTrue(os.path.exists(self.path("out", "clips", "clip.mp4.label.vtt")))
        self.assertEqual(len(read_jsonl(os.path.join(out, "clips", "clip.mp4.jsonl")))
                         and len([d for d in read_jsonl(os.path.join(out, "clips", "clip.mp4.jsonl"))
                                  if d["analysis"] == "label"]), 3)
        state = latest(local_ledger(out))
        self.assertEqual({p: r["state"] for p, r in state.items()},
                         dict({p: "done" for p in media}, **{"notes.txt": "skipped",
                                                             "sub/data.bin": "skipped"}))
        done = state["a.jpg"]
        self.assertEqual((done["attempts"], done["engine"], done["size"]),
                         (1, "aws:rekognition", os.path.getsize(IMAGES[0])))
        self.assertIsNone(done["error"])
        self.assertIn("not a media file", state["notes.txt"]["error"])
        # nothing left over: no scratch, no .part
        self.assertEqual(os.listdir(os.path.join(out, ".mediatag", "tmp")), [])
        leftovers = [f for _, _, fs in os.walk(out) for f in fs if f.endswith(".part")]
        self.assertEqual(leftovers, [])

        st = batch("status", out)
        self.assertEqual(st.returncode, 0, st.stderr)
        self.assertEqual(st.stdout.splitlines()[0], "5 done, 0 failed, 0 pending, 2 skipped")
        js = json.loads(batch("status", out, "--json").stdout)
        self.assertEqual((js["done"], js["failed"], js["pending"], js["skipped"], js["failures"]),
                         (5, 0, 0, 2, []))

        # A rerun does nothing; a source that changed is done again, alone.
        before = latest(local_ledger(out))
        again = batch(src, "--out", out, *BASE)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(latest(local_ledger(out)), before)     # not a record more
        self.assertIn("0 done, 0 failed, 0 skipped in this run; 5 done, 2 skipped before",
                      again.stderr)
        shutil.copyfile(IMAGES[1], os.path.join(src, "a.jpg"))
        changed = batch(src, "--out", out, *BASE)
        self.assertEqual(changed.returncode, 0, changed.stderr)
        self.assertIn("1 done, 0 failed, 0 skipped in this run", changed.stderr)
        after = latest(local_ledger(out))
        self.assertEqual([p for p in after if after[p]["time"] != before[p]["time"]], ["a.jpg"])
        self.assertEqual((after["a.jpg"]["state"], after["a.jpg"]["size"]),
                         ("done", os.path.getsize(IMAGES[1])))

    def test_clip_cut_short_is_failed_then_replaced_whole(self):
        src, out = self.path("src"), self.path("out")
        os.makedirs(os.path.join(src, "v"))
        with open(IMAGES["video"], "rb") as f:
            data = f.read()
        with open(os.path.join(src, "v", "clip.mp4"), "wb") as f:
            f.write(data[:len(data) // 2])
        cp = batch(src, "--out", out, *BASE)
        self.assertEqual(cp.returncode, 1, cp.stderr)     # nothing done
        self.assertNotIn(".mediatag", cp.stderr)          # no scratch path named
        state = latest(local_ledger(out))["v/clip.mp4"]
        self.assertEqual(state["state"], "failed")
        self.assertIn("incomplete", state["error"])
        # the reason names the results where they were published
        self.assertIn(os.path.join(out, "v", "clip.mp4.incomplete.jsonl"), state["error"])
        self.assertNotIn(".mediatag", state["error"])
        kept = sorted(os.listdir(os.path.join(out, "v")))
        self.assertIn("clip.mp4.incomplete.jsonl", kept)
        self.assertNotIn("clip.mp4.jsonl", kept)
        # the whole clip replaces it: whole results, the incomplete ones gone
        shutil.copyfile(IMAGES["video"], os.path.join(src, "v", "clip.mp4"))
        cp = batch(src, "--out", out, *BASE)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(out, "v"))),
                         ["clip.mp4.jsonl", "clip.mp4.label.vtt"])
        self.assertEqual(latest(local_ledger(out))["v/clip.mp4"]["attempts"], 1)

    def test_links_to_files_are_assets_links_to_nothing_fail(self):
        src, out = self.path("src"), self.path("out")
        make_tree(src, {"a.jpg": 0})
        os.symlink("a.jpg", os.path.join(src, "link.jpg"))
        os.symlink("/nonexistent/x.jpg", os.path.join(src, "dangling.jpg"))
        cp = batch(src, "--out", out, *BASE)
        self.assertEqual(cp.returncode, 3, cp.stderr)
        state = latest(local_ledger(out))
        self.assertEqual({p: r["state"] for p, r in state.items()},
                         {"a.jpg": "done", "link.jpg": "done", "dangling.jpg": "failed"})
        self.assertIn("no such file", state["dangling.jpg"]["error"].lower())

    def test_include_exclude_and_a_list_file(self):
        src, out = self.path("src"), self.path("out")
        make_tree(src, {"keep/x.jpg": 0, "keep/y.jpg": 1, "drop/z.jpg": 2})
        cp = batch(src, "--out", out, "--include", "keep/*", "--exclude", "*y.jpg", "--progress",
                   *BASE)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stderr, r"mediatag batch: 1 done, 0 failed, 0 skipped, 0 remaining, "
                                    r"[0-9.]+ assets/s")
        self.assertEqual(sorted(latest(local_ledger(out))), ["keep/x.jpg"])

        listing = self.path("list.txt")
        with open(listing, "w") as f:
            f.write("# assets\n%s\n\ndrop/z.jpg\n" % os.path.join(src, "keep", "y.jpg"))
        out2 = self.path("out2")
        cp = batch(listing, "--out", out2, *BASE)
        self.assertEqual(cp.returncode, 3, cp.stderr)     # one of two failed
        # a list mirrors each file's path without its leading '/'
        rel_y = os.path.join(src, "keep", "y.jpg").lstrip("/")
        rel_z = os.path.join(self.dir, "drop", "z.jpg").lstrip("/")
        ledger = latest(local_ledger(out2))
        self.assertEqual(ledger[rel_y]["state"], "done")
        self.assertTrue(os.path.exists(os.path.join(out2, rel_y + ".jsonl")))
        # drop/z.jpg is relative to the list's folder, where there is none
        self.assertEqual(ledger[rel_z]["state"], "failed")
        self.assertIn("no such file", ledger[rel_z]["error"].lower())

        # The list named by a relative path: its entries, relative and
        # absolute, still resolve.
        with open(listing, "w") as f:
            f.write("src/keep/x.jpg\n%s\n" % os.path.join(src, "keep", "y.jpg"))
        cp = subprocess.run([TOOL, "batch", "list.txt", "--out", "out3"] + BASE, cwd=self.dir,
                            capture_output=True, text=True, env=aws_env(), timeout=240)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertNotIn("CRITICAL", cp.stderr)
        ledger = latest(local_ledger(self.path("out3")))
        self.assertEqual(sorted((p.rsplit("/", 2)[-2:], r["state"]) for p, r in ledger.items()),
                         [(["keep", "x.jpg"], "done"), (["keep", "y.jpg"], "done")])

    def test_failed_asset_is_retried_up_to_max_attempts(self):
        out, listing = self.path("out"), self.path("list.txt")
        with open(listing, "w") as f:
            f.write("%s\n%s\n" % (IMAGES[0], self.path("missing.jpg")))
        for attempt in (1, 2):
            cp = batch(listing, "--out", out, "--max-attempts", "2", *BASE)
            self.assertEqual(cp.returncode, 3, cp.stderr)
            self.assertEqual(latest(local_ledger(out))[self.path("missing.jpg").lstrip("/")]
                             ["attempts"], attempt)
        cp = batch(listing, "--out", out, "--max-attempts", "2", *BASE)
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertIn("1 failed 2 times, not tried again", cp.stderr)
        st = batch("status", out)
        self.assertEqual(st.returncode, 3)
        self.assertEqual(st.stdout.splitlines()[0], "1 done, 1 failed, 0 pending, 0 skipped")
        self.assertRegex(st.stdout, r"(?i)failed: .*missing\.jpg: .*no such file.* \(2 attempts\)")
        js = json.loads(batch("status", out, "--json").stdout)
        self.assertEqual([(f["attempts"], f["source"].endswith("missing.jpg"))
                          for f in js["failures"]], [(2, True)])

    def test_dest_not_writable_fails_at_once(self):
        src = self.path("src")
        make_tree(src, {"a.jpg": 0})
        blocker = self.path("file")
        open(blocker, "w").close()
        t0 = time.monotonic()
        cp = batch(src, "--out", os.path.join(blocker, "out"), *BASE)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("cannot write to", cp.stderr)
        self.assertLess(time.monotonic() - t0, 30)
        cp = batch(src, "--out", "s3://no-such-bucket-here/x/", *BASE)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("NoSuchBucket", cp.stderr)
        self.assertEqual(os.listdir(src), ["a.jpg"])

    def test_usage_errors(self):
        src = self.path("src")
        make_tree(src, {"a.jpg": 0})
        for args, words in [([src], "--out DEST is required"),
                            ([src, "--out", self.path("o"), "--jobs", "0"], "--jobs 0"),
                            ([src, "--out", self.path("o"), "--shards", "3"], "which shard"),
                            ([src, "--out", self.path("o"), "--shards", "3", "--shard", "3"],
                             "0 to 2"),
                            ([src, "--out", self.path("o"), "--watch"], "--queue"),
                            ([self.path("nope"), "--out", self.path("o")], "no such folder"),
                            ([src, "--out", self.path("o"), "--features", "nose"], "not a feature")]:
            cp = batch(*args)
            self.assertEqual(cp.returncode, 2, (args, cp.stderr))
            self.assertIn(words, cp.stderr)
        self.assertFalse(os.path.exists(self.path("o")))


class Concurrency(BatchTest):
    def slow_tree(self, src, n=4):
        # the video first (1fps over 3 s), then images: time to act mid-run
        tree = {"0-clip.mp4": "video"}
        tree.update({"img%02d.jpg" % i: i % 4 for i in range(n)})
        make_tree(src, tree)
        return tree

    def test_second_batch_on_one_dest_refuses_naming_the_holder(self):
        src, out = self.path("src"), self.path("out")
        self.slow_tree(src, n=1)
        first = self.start_holder(out)
        try:
            wait_for(lambda: os.path.exists(os.path.join(out, ".mediatag", "ledger-0.jsonl")),
                     what="the first batch to hold the lock")
            second = batch(src, "--out", out, *BASE)
            self.assertEqual(second.returncode, 1, second.stderr)
            self.assertIn("in use by another batch", second.stderr)
            self.assertIn("pid %d" % first.pid, second.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "img00.jpg.jsonl")))
        finally:
            self.stop_holder(first)
        # the lock goes with its holder
        cp = batch(src, "--out", out, *BASE)
        self.assertEqual(cp.returncode, 0, cp.stderr)

    def test_sigkill_mid_run_then_rerun_does_each_asset_once(self):
        src, out = self.path("src"), self.path("out")
        tree = self.slow_tree(src, n=6)
        run = start_batch(src, "--out", out, "--jobs", "2", *BASE)
        wait_for(lambda: any(r["state"] == "done" for r in local_ledger(out))
                 if os.path.exists(os.path.join(out, ".mediatag", "ledger-0.jsonl")) else False,
                 what="a first asset done")
        os.kill(run.pid, signal.SIGKILL)
        run.communicate()
        killed = local_ledger(out)
        done_before = {r["path"] for r in killed if r["state"] == "done"}
        self.assertTrue(done_before)
        self.assertLess(len(done_before), len(tree), "killed too late to test anything")
        # Under final names only whole files: every .jsonl parses, every
        # line; scratch may hold a half asset, never DEST itself.
        for root, _, files in os.walk(out):
            if ".mediatag" in root:
                continue
            for f in files:
                self.assertTrue(f.endswith(".jsonl") or f.endswith(".vtt"), f)
                if f.endswith(".jsonl"):
                    self.assertTrue(read_jsonl(os.path.join(root, f)))
        for rel in done_before:
            self.assertTrue(os.path.exists(os.path.join(out, rel + ".jsonl")), rel)

        st = batch("status", out)
        self.assertEqual(st.returncode, 3)      # the killed ones are pending
        again = batch(src, "--out", out, "--jobs", "2", *BASE)
        self.assertEqual(again.returncode, 0, again.stderr)
        records = local_ledger(out)
        for rel in tree:
            done = [r for r in records if r["path"] == rel and r["state"] == "done"]
            self.assertEqual(len(done), 1, (rel, done))
            self.assert_labels(os.path.join(out, rel + ".jsonl"), rel)
        self.assertEqual(os.listdir(os.path.join(out, ".mediatag", "tmp")), [])
        self.assertEqual(batch("status", out).stdout.splitlines()[0],
                         "%d done, 0 failed, 0 pending, 0 skipped" % len(tree))

    def test_sigterm_stops_cleanly_with_a_consistent_ledger(self):
        src, out = self.path("src"), self.path("out")
        tree = self.slow_tree(src, n=6)
        run = start_batch(src, "--out", out, *BASE)
        wait_for(lambda: os.path.exists(os.path.join(out, ".mediatag", "ledger-0.jsonl"))
                 and local_ledger(out), what="the batch to start")
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=120)
        self.assertEqual(run.returncode, 128 + signal.SIGTERM, err)
        state = latest(local_ledger(out))
        self.assertLess(len([r for r in state.values() if r["state"] == "done"]), len(tree))
        for rel, r in state.items():
            if r["state"] == "done":
                self.assert_labels(os.path.join(out, rel + ".jsonl"), rel)
        again = batch(src, "--out", out, *BASE)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual({r["state"] for r in latest(local_ledger(out)).values()}, {"done"})

    def test_shards_do_every_asset_exactly_once(self):
        src, out = self.path("src"), self.path("out")
        tree = {"s/%02d.jpg" % i: i % 4 for i in range(9)}
        make_tree(src, tree)
        runs = [start_batch(src, "--out", out, "--shards", "3", *BASE,
                            env=aws_env(**{"JOB_COMPLETION_INDEX": str(i)}))
                for i in range(2)]
        runs.append(start_batch(src, "--out", out, "--shards", "3", *BASE,
                                env=aws_env(AWS_BATCH_JOB_ARRAY_INDEX="2")))
        for r in runs:
            _, err = r.communicate(timeout=240)
            self.assertEqual(r.returncode, 0, err)
        records = [r for r in local_ledger(out) if r["state"] == "done"]
        self.assertEqual(sorted(r["path"] for r in records), sorted(tree))
        for r in records:
            self.assertEqual(r["part"], "ledger-%d.jsonl" % fnv1a_shard(r["path"], 3), r)
        self.assertEqual(batch("status", out).stdout.splitlines()[0],
                         "9 done, 0 failed, 0 pending, 0 skipped")


class Rate(BatchTest):
    def test_jobs_share_max_tps(self):
        # Eight images, four jobs, --max-tps 2: one DetectLabels each, all
        # on the run's one set of slots (rekognitionsink's rate group), so
        # 3.5 s from the first request to the last at the least (a request
        # may reach the fake late, never early: the margin is the first
        # one's delay). Each asset's own element alone would not wait.
        fake_log = self.path("fake.log")
        fake = mtfixtures.start_python_server(
            os.path.join(mtfixtures.SOURCE_ROOT, "tests", "rekognition", "fake_rekognition.py"),
            "--log", fake_log)
        try:
            src, out = self.path("src"), self.path("out")
            make_tree(src, {"i%d.jpg" % i: i % 4 for i in range(8)})
            cp = batch(src, "--out", out, "--jobs", "4", "--max-tps", "2", *BASE,
                       env=aws_env(AWS_ENDPOINT_URL_REKOGNITION=fake.url))
            self.assertEqual(cp.returncode, 0, cp.stderr)
        finally:
            fake.stop()
        with open(fake_log) as f:
            times = sorted(json.loads(line)["time"] for line in f)
        self.assertEqual(len(times), 8)
        self.assertGreaterEqual(times[-1] - times[0], 0.75 * 7 / 2)
        bad = batch(src, "--out", out, "--max-tps", "-1", *BASE)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--max-tps -1: not allowed", bad.stderr)


class S3Batch(BatchTest):
    KEYS = ["in/a.jpg", "in/sub dir/b+c \u00e9.jpg", "in/sub dir/\u65e5\u672c.jpg",
            "in/notes.txt", "in/z-last.jpg", "other/x.jpg"]

    def fill(self, bucket):
        for i, key in enumerate(self.KEYS):
            if key.endswith(".jpg"):
                with open(IMAGES[i % 4], "rb") as f:
                    S3.put_object(Bucket=bucket, Key=key, Body=f.read())
            else:
                S3.put_object(Bucket=bucket, Key=key, Body=b"plain text\n")
        with open(IMAGES["video"], "rb") as f:
            S3.put_object(Bucket=bucket, Key="in/0-clip.mp4", Body=f.read())

    def s3_ledger(self, bucket, prefix):
        text = S3.get_object(Bucket=bucket, Key=prefix + ".mediatag/ledger-0.jsonl")["Body"].read()
        return latest(ledger_lines(text.decode("utf-8")))

    def test_prefix_to_s3_dest_with_a_key_deleted_after_listing(self):
        bucket = self.new_bucket()
        self.fill(bucket)
        scratch = self.path("tmp")
        os.mkdir(scratch)
        run = start_batch("s3://%s/in/" % bucket, "--out", "s3://%s/results/" % bucket, *BASE,
                          env=aws_env(TMPDIR=scratch))
        # An asset's scratch folder (in TMPDIR for an S3 DEST) means the
        # listing, one page, is made; the clip runs first, four assets come
        # before the last key, which goes now: it fails, the run goes on.
        wait_for(lambda: os.listdir(scratch), what="the first asset to start")
        S3.delete_object(Bucket=bucket, Key="in/z-last.jpg")
        _, err = run.communicate(timeout=240)
        self.assertEqual(run.returncode, 3, err)
        state = self.s3_ledger(bucket, "results/")
        self.assertEqual({p: r["state"] for p, r in state.items()},
                         {"0-clip.mp4": "done", "a.jpg": "done", "sub dir/b+c \u00e9.jpg": "done",
                          "sub dir/\u65e5\u672c.jpg": "done", "notes.txt": "skipped",
                          "z-last.jpg": "failed"})
        self.assertIn("NoSuchKey", state["z-last.jpg"]["error"])
        self.assertEqual(state["a.jpg"]["etag"],
                         S3.head_object(Bucket=bucket, Key="in/a.jpg")["ETag"])
        for rel in ["a.jpg", "sub dir/b+c \u00e9.jpg", "sub dir/\u65e5\u672c.jpg"]:
            body = S3.get_object(Bucket=bucket, Key="results/" + rel + ".jsonl")["Body"].read()
            docs = [json.loads(l) for l in body.decode("utf-8").splitlines()]
            self.assertEqual(docs[0]["asset"], "s3://%s/in/%s" % (bucket, rel))
        keys = [o["Key"] for o in S3.list_objects_v2(Bucket=bucket, Prefix="results/")["Contents"]]
        self.assertNotIn("results/.mediatag/lock-0", keys)     # released
        self.assertNotIn("results/other/x.jpg.jsonl", keys)   # outside the prefix

        st = batch("status", "s3://%s/results/" % bucket, "--json")
        self.assertEqual(st.returncode, 3, st.stderr)
        js = json.loads(st.stdout)
        self.assertEqual((js["done"], js["failed"], js["skipped"]), (4, 1, 1))
        self.assertIn("NoSuchKey", js["failures"][0]["error"])

        # The object is back: the rerun does only it.
        with open(IMAGES[0], "rb") as f:
            S3.put_object(Bucket=bucket, Key="in/z-last.jpg", Body=f.read())
        cp = batch("s3://%s/in/" % bucket, "--out", "s3://%s/results/" % bucket, *BASE)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("1 done, 0 failed, 0 skipped in this run", cp.stderr)

    def test_second_batch_on_an_s3_dest_refuses(self):
        bucket = self.new_bucket()
        self.fill(bucket)
        dest = "s3://%s/out/" % bucket
        first = self.start_holder(dest)
        try:
            wait_for(lambda: "Contents" in S3.list_objects_v2(
                Bucket=bucket, Prefix="out/.mediatag/ledger"), what="the lock and ledger")
            second = batch("s3://%s/in/" % bucket, "--out", dest, *BASE)
            self.assertEqual(second.returncode, 1, second.stderr)
            self.assertIn("in use by another batch", second.stderr)
            self.assertIn("pid %d" % first.pid, second.stderr)
        finally:
            self.stop_holder(first)
        self.assertNotIn("Contents", S3.list_objects_v2(Bucket=bucket,
                                                        Prefix="out/.mediatag/lock"))

    def test_a_stale_s3_lock_is_taken_over_a_live_one_is_not(self):
        bucket = self.new_bucket()
        with open(IMAGES[0], "rb") as f:
            S3.put_object(Bucket=bucket, Key="in/a.jpg", Body=f.read())
        lock = {"Bucket": bucket, "Key": "out/.mediatag/lock-0"}
        S3.put_object(Body=json.dumps({"holder": "mediatag batch, pid 1 on gone-host",
                                       "heartbeat": int(time.time())}).encode(), **lock)
        cp = batch("s3://%s/in/" % bucket, "--out", "s3://%s/out/" % bucket, *BASE)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("in use by another batch (mediatag batch, pid 1 on gone-host", cp.stderr)
        # killed long ago: its heartbeat is older than 120 s
        S3.put_object(Body=json.dumps({"holder": "mediatag batch, pid 1 on gone-host",
                                       "heartbeat": int(time.time()) - 600}).encode(), **lock)
        cp = batch("s3://%s/in/" % bucket, "--out", "s3://%s/out/" % bucket, *BASE)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("taking over the lock of mediatag batch, pid 1 on gone-host", cp.stderr)
        self.assertNotIn("Contents", S3.list_objects_v2(Bucket=bucket,
                                                        Prefix="out/.mediatag/lock"))

    def test_a_lock_of_a_killed_batch_on_this_host_is_taken_over_at_once(self):
        bucket = self.new_bucket()
        with open(IMAGES[0], "rb") as f:
            S3.put_object(Bucket=bucket, Key="in/a.jpg", Body=f.read())
        args = ("s3://%s/in/" % bucket, "--out", "s3://%s/out/" % bucket) + tuple(BASE)
        lock = {"Bucket": bucket, "Key": "out/.mediatag/lock-0"}
        # A batch SIGKILLed while it held the lock: a fresh heartbeat, its
        # host is this one, its process is gone. (A watching batch holds
        # the lock whatever the load.)
        run = self.start_holder("s3://%s/out/" % bucket)
        wait_for(lambda: "Contents" in S3.list_objects_v2(Bucket=bucket,
                                                          Prefix="out/.mediatag/lock"),
                 what="the lock object")
        run.kill()
        run.communicate(timeout=60)
        body = json.loads(S3.get_object(**lock)["Body"].read())
        self.assertEqual((body["host"], body["pid"], body["pidns"]),
                         (socket.gethostname(), run.pid, os.readlink("/proc/self/ns/pid")))
        self.assertLess(time.time() - body["heartbeat"], 60)
        cp = batch(*args)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("taking over the lock of mediatag batch, pid %d on %s" % (
            run.pid, socket.gethostname()), cp.stderr)
        self.assertIn("that process is gone", cp.stderr)
        # A live holder on this host (this test's own process) is waited
        # for; so is a gone pid of another pid namespace (a container).
        for pid, pidns in ((os.getpid(), os.readlink("/proc/self/ns/pid")),
                           (run.pid, "pid:[1]")):
            S3.put_object(Body=json.dumps({"holder": "mediatag batch, pid %d" % pid,
                                           "heartbeat": int(time.time()),
                                           "host": socket.gethostname(), "pid": pid,
                                           "pidns": pidns}).encode(), **lock)
            cp = batch(*args)
            self.assertEqual(cp.returncode, 1, cp.stderr)
            self.assertIn("in use by another batch (mediatag batch, pid %d" % pid, cp.stderr)

    def test_listing_pages_through_every_key(self):
        bucket = self.new_bucket()
        names = ["k/%04d \u00e9+%s.dat" % (i, "x" * (i % 5)) for i in range(300)]
        for n in names:
            S3.put_object(Bucket=bucket, Key=n, Body=b"")
        for n in ("k/pick/one.jpg", "k/pick/two.jpg"):
            with open(IMAGES[0], "rb") as f:
                S3.put_object(Bucket=bucket, Key=n, Body=f.read())
        out = self.path("out")
        # 7 keys a page: 44 pages; only the two picked are analysed, but
        # every key is seen (the others are left out by --include).
        cp = batch("s3://%s/k/" % bucket, "--out", out, "--page-size", "7",
                   "--include", "pick/*", *BASE)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(sorted(latest(local_ledger(out))), ["pick/one.jpg", "pick/two.jpg"])
        cp = batch("s3://%s/k/" % bucket, "--out", self.path("out2"), "--page-size", "7",
                   "--include", "*.dat", "--exclude", "*x.dat", "--exclude", "*xx*",
                   "--dry-run", *BASE)
        self.assertEqual(cp.returncode, 2)      # no dry run in a batch
        self.assertIn("--dry-run", cp.stderr)


class Watch(BatchTest):
    def test_watch_takes_new_objects_from_s3_events_and_deletes_their_messages(self):
        sqs = mtfixtures.boto_client("sqs", MOTO.url)
        bucket = self.new_bucket()
        url = sqs.create_queue(QueueName=bucket)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        S3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        with open(IMAGES[0], "rb") as f:
            image = f.read()
        # there before the batch: listed, and its event found done
        S3.put_object(Bucket=bucket, Key="in/old.jpg", Body=image)
        out = self.path("out")
        run = start_batch("s3://%s/in/" % bucket, "--out", out, "--watch", "--queue", url,
                          *BASE)
        try:
            done = lambda rel: lambda: os.path.exists(os.path.join(out, ".mediatag")) and \
                latest(local_ledger(out)).get(rel, {}).get("state") == "done"
            wait_for(done("old.jpg"), what="the listed object")
            S3.put_object(Bucket=bucket, Key="in/new one+\u00e9.jpg", Body=image)
            S3.put_object(Bucket=bucket, Key="elsewhere/x.jpg", Body=image)
            wait_for(done("new one+\u00e9.jpg"), what="the object from the queue")

            def queue_empty():
                a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
                return sum(int(v) for v in a["Attributes"].values()) == 0
            wait_for(queue_empty, timeout=60, what="every message deleted")
        finally:
            run.send_signal(signal.SIGTERM)
            _, err = run.communicate(timeout=120)
        self.assertEqual(run.returncode, 128 + signal.SIGTERM, err)
        records = local_ledger(out)
        self.assertEqual(sorted(latest(records)), ["new one+\u00e9.jpg", "old.jpg"])
        self.assertEqual(len([r for r in records if r["state"] == "done"]), 2)
        self.assert_labels(os.path.join(out, "new one+\u00e9.jpg.jsonl"), "new one+\u00e9.jpg")


class OpenSearch(BatchTest):
    def test_results_are_indexed_once_across_reruns(self):
        src, out = self.path("src"), self.path("out")
        make_tree(src, {"a.jpg": 0, "b/c.jpg": 1})
        with mtfixtures.start_python_server(BULK_SERVER) as server:
            cp = batch(src, "--out", out, "--opensearch", server.url, *BASE)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            docs = read_jsonl(os.path.join(out, "a.jpg.jsonl")) + \
                read_jsonl(os.path.join(out, "b", "c.jpg.jsonl"))
            with urllib.request.urlopen(server.url + "/_mt/stats") as r:
                stats = json.load(r)
            cp = batch(src, "--out", out, "--opensearch", server.url, *BASE)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            with urllib.request.urlopen(server.url + "/_mt/stats") as r:
                again = json.load(r)
        counts = {k.split("/", 1)[1]: n for k, n in stats["index_ops"].items()}
        self.assertEqual(sorted(counts), sorted(d["id"] for d in docs))
        self.assertEqual(set(counts.values()), {1})
        # the rerun found both done: nothing sent again
        self.assertEqual((again["index_ops"], again["bulk_requests"]),
                         (stats["index_ops"], stats["bulk_requests"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
