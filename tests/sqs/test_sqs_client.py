"""The SQS client of mediatag batch --watch (tools/batch-sqs.c) against
moto's SQS on 127.0.0.1, through tests/sqs/sqs-tool: the S3 event
notifications that moto's S3 itself sends for uploads (keys with spaces,
'+' and unicode), S3's s3:TestEvent, an event relayed by SNS, messages that
are not S3 events, visibility extended and not, delete, and a wrong queue
URL failing with a sentence that names it."""
import json
import os
import subprocess
import sys
import time
import unittest

import mtfixtures as f

TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(f.BUILD_ROOT, "tests", "sqs", "sqs-tool")
KEYS = ["plain.jpg", "dir/a b+c é.jpg", "deep/x/東京 100%.png"]


class SqsClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = f.start_moto()
        cls.sqs = f.boto_client("sqs", cls.moto.url)
        cls.s3 = f.boto_client("s3", cls.moto.url)
        # Region and keys only: the endpoint comes from the queue URL itself.
        cls.env = f.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                            AWS_REGION="us-east-1")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def queue(self, name):
        return self.sqs.create_queue(QueueName=name)["QueueUrl"]

    def tool(self, *args, check=True):
        cp = subprocess.run([TOOL] + [str(a) for a in args], env=self.env,
                            capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp

    def receive(self, url, n=10, wait=0, vis=30):
        cp = self.tool(url, "receive", n, wait, vis)
        return [json.loads(line) for line in cp.stdout.splitlines()], cp.stderr

    def drain(self, url):
        """Every message now in the queue, received once each."""
        got = []
        while True:
            msgs, _ = self.receive(url, vis=60)
            if not msgs:
                return got
            got += msgs

    def test_s3_event_notifications(self):
        url = self.queue("events")
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.s3.create_bucket(Bucket="media")
        self.s3.put_bucket_notification_configuration(Bucket="media", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        etags = {}
        for i, key in enumerate(KEYS):
            etags[key] = self.s3.put_object(Bucket="media", Key=key, Body=b"x" * (10 + i))["ETag"]
        self.s3.delete_object(Bucket="media", Key="plain.jpg")  # not notified: not configured

        msgs = self.drain(url)
        test_events = [m for m in msgs if not m["uris"]]
        created = [m for m in msgs if m["uris"]]
        self.assertEqual(len(test_events), 1, msgs)        # s3:TestEvent, nothing to do
        self.assertEqual(sorted(u for m in created for u in m["uris"]),
                         sorted("s3://media/" + k for k in KEYS))
        for m in created:
            key = m["uris"][0][len("s3://media/"):]
            self.assertEqual(m["etags"][0].strip('"'), etags[key].strip('"'))
            self.assertEqual(m["sizes"], [10 + KEYS.index(key)])
            self.assertTrue(m["id"] and m["receipt"])
        for m in msgs:
            self.tool(url, "delete", m["receipt"])
        self.assertEqual(self.drain(url), [])

    def test_sns_envelope_and_other_events(self):
        url = self.queue("relayed")
        record = {"eventVersion": "2.1", "eventSource": "aws:s3",
                  "eventName": "ObjectCreated:CompleteMultipartUpload",
                  "s3": {"bucket": {"name": "b"},
                         "object": {"key": "big+file.mp4", "size": 5 * 2**30, "eTag": "abc-3"}}}
        removed = dict(record, eventName="ObjectRemoved:Delete")
        envelope = {"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                    "Message": json.dumps({"Records": [record, removed]})}
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
        [m], _ = self.receive(url)
        self.assertEqual(m["uris"], ["s3://b/big file.mp4"])   # removal is not work
        self.assertEqual(m["etags"], ["abc-3"])
        self.assertEqual(m["sizes"], [5 * 2**30])

    def test_message_that_is_not_an_s3_event(self):
        url = self.queue("noise")
        self.sqs.send_message(QueueUrl=url, MessageBody="hello, not json")
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Records": [{"x": 1}]}))
        msgs, stderr = self.receive(url)
        self.assertEqual(len(msgs), 2)
        for m in msgs:
            self.assertEqual(m["uris"], [])
            self.assertIn("SQS message %s is not an S3 event notification" % m["id"], stderr)

    def test_visibility_extend_and_delete(self):
        url = self.queue("visibility")
        for name in ("extended", "lapsed"):
            self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
                {"Records": [{"eventName": "ObjectCreated:Put",
                              "s3": {"bucket": {"name": "b"}, "object": {"key": name}}}]}))
        msgs, _ = self.receive(url, vis=1)
        self.assertEqual(len(msgs), 2)
        by_key = {m["uris"][0]: m for m in msgs}
        self.tool(url, "extend", by_key["s3://b/extended"]["receipt"], 60)
        time.sleep(1.6)
        # Only the message whose visibility was not extended is back.
        again, _ = self.receive(url, vis=60)
        self.assertEqual([m["uris"] for m in again], [["s3://b/lapsed"]])
        self.tool(url, "delete", again[0]["receipt"])
        self.tool(url, "delete", by_key["s3://b/extended"]["receipt"])
        self.tool(url, "extend", by_key["s3://b/extended"]["receipt"], 0, check=False)
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "0")

    def test_wrong_queue_url(self):
        self.tool(self.queue("exists"), "check")
        missing = self.moto.url + "/123456789012/no-such-queue"
        cp = self.tool(missing, "check", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("SQS queue %s" % missing, cp.stderr)
        self.assertRegex(cp.stderr, r"QueueDoesNotExist|NonExistentQueue")
        self.assertIn("GetQueueAttributes", cp.stderr)
        for bad in ("my-queue", "arn:aws:sqs:us-east-1:123456789012:q", self.moto.url + "/q"):
            cp = self.tool(bad, "check", check=False)
            self.assertEqual(cp.returncode, 1)
            self.assertIn("is not an SQS queue URL", cp.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
