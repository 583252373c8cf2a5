#!/usr/bin/env python3
"""A loopback fake of Amazon Rekognition for rekognitionsink's tests.

    fake_rekognition.py PORT [--upstream URL] [--log FILE] [--throttle P]
                        [--fail P] [--latency MS] [--refuse-credentials]
                        [--collection ID] [--model ARN=STATUS ...] [--seed N]

Every request is checked against botocore's service model for Rekognition
(JSON 1.1 framing, X-Amz-Target, a SigV4 Authorization header, and the
body with botocore.validate.ParamValidator, blobs base64-decoded first);
an invalid one is answered 400 ValidationException and logged as invalid.

Answers are built from the operation's output shape in the same model
(every member the model declares, typed as the model says), with the values
tests look for put on top, and are validated against the output shape
before they are sent.

With --upstream (moto), the operations moto implements (DetectLabels,
DetectText, DetectCustomLabels) are forwarded there after validation, so the
fake acts as a recording, validating proxy in front of moto; everything else
is answered here. Without it, those are answered here too.

Faults: --throttle P answers a fraction P of detection calls with 400
ThrottlingException, --fail P with 500 InternalServerError, --latency MS
delays every answer; --refuse-credentials answers every call with 400
UnrecognizedClientException. Model lifecycle is kept in memory: start goes
STARTING then RUNNING, stop STOPPING then STOPPED, training
TRAINING_IN_PROGRESS then TRAINING_COMPLETED, each after --transition
seconds.

--log FILE gets one JSON line per request: op, valid, errors, status,
image_sha1, image_size, image_format, time.
"""
import argparse
import base64
import hashlib
import json
import random
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

# The model straight from botocore's data, without a session (which would
# read the AWS config the tests blank out).
MODEL = ServiceModel(Loader().load_service_model("rekognition", "service-2"), "rekognition")
MOTO_OPS = {"DetectLabels", "DetectText", "DetectCustomLabels"}
DETECTION_OPS = MOTO_OPS | {"DetectFaces", "SearchFacesByImage", "RecognizeCelebrities",
                            "DetectModerationLabels", "DetectProtectiveEquipment"}
MAX_IMAGE = 5 * 1024 * 1024
MAX_CUSTOM_LABELS_IMAGE = 4 * 1024 * 1024
ACCOUNT = "123456789012"
REGION = "us-east-1"


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ---- answers shaped from the model ----

def from_shape(shape, depth=0):
    """A value for `shape` with every member the model declares."""
    t = shape.type_name
    if t == "structure":
        if depth > 6:
            return {}
        return {name: from_shape(member, depth + 1) for name, member in shape.members.items()}
    if t == "list":
        return [from_shape(shape.member, depth + 1)] if depth <= 6 else []
    if t == "map":
        return {}
    if t == "string":
        return shape.enum[0] if shape.enum else "string".ljust(int(shape.metadata.get("min", 1)), "s")
    if t in ("float", "double"):
        return 50.0
    if t in ("integer", "long"):
        return max(int(shape.metadata.get("min", 1)), 1)
    if t == "boolean":
        return False
    if t == "timestamp":
        return 1700000000.0
    if t == "blob":
        return ""
    return None


def shaped(op, overrides):
    """The op's output shape filled in, then `overrides` on top (deep for
    dicts, lists replaced)."""
    out = from_shape(MODEL.operation_model(op).output_shape)

    def merge(base, top):
        for k, v in top.items():
            if isinstance(v, dict) and isinstance(base.get(k), dict):
                merge(base[k], v)
            else:
                base[k] = v
    merge(out, overrides)
    return out


def box(left, top, width, height):
    return {"Width": width, "Height": height, "Left": left, "Top": top}


def face_detail(bbox, confidence):
    d = from_shape(MODEL.shape_for("FaceDetail"))
    d.update({"BoundingBox": bbox, "Confidence": confidence})
    return d


FACES = [face_detail(box(0.10, 0.20, 0.20, 0.30), 99.9),
         face_detail(box(0.60, 0.25, 0.15, 0.25), 98.5),
         face_detail(box(0.40, 0.70, 0.02, 0.02), 40.0)]   # below min-confidence


def label_answer(image):
    name = "img-" + hashlib.sha1(image).hexdigest()[:10]
    return shaped("DetectLabels", {
        "Labels": [{"Name": name, "Confidence": 99.0, "Instances": [], "Parents": [],
                    "Aliases": [], "Categories": []}],
        "LabelModelVersion": "3.0"})


# ---- state ----

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.log = open(args.log, "a") if args.log else None
        self.collections = set(args.collection or [])
        self.projects = {}      # name -> arn
        self.versions = {}      # arn -> dict(status, until, next, units, project)
        for spec in args.model or []:
            arn, _, status = spec.partition("=")
            self.add_version(arn, status or "STOPPED")

    def add_version(self, arn, status):
        fields = arn.split(":", 5)[5].split("/")
        project = fields[1]
        self.projects.setdefault(project, "arn:aws:rekognition:%s:%s:project/%s/1600000000000"
                                 % (REGION, ACCOUNT, project))
        self.versions[arn] = {"status": status, "until": 0, "next": None, "units": 1,
                              "project": project, "version": fields[3]}

    def status(self, arn):
        v = self.versions[arn]
        if v["next"] and time.monotonic() >= v["until"]:
            v["status"], v["next"] = v["next"], None
        return v["status"]

    def transition(self, arn, now_status, later_status):
        v = self.versions[arn]
        v["status"], v["next"] = now_status, later_status
        v["until"] = time.monotonic() + self.args.transition

    def write_log(self, entry):
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()


# ---- operations answered here ----

def describe_collection(st, req, image):
    if req["CollectionId"] not in st.collections:
        raise ApiError(400, "ResourceNotFoundException",
                       "The collection id: %s does not exist" % req["CollectionId"])
    return shaped("DescribeCollection", {"FaceCount": 3, "CollectionARN":
                  "aws:rekognition:%s:%s:collection/%s" % (REGION, ACCOUNT, req["CollectionId"])})


def detect_faces(st, req, image):
    return shaped("DetectFaces", {"FaceDetails": FACES})


def search_faces(st, req, image):
    if req["CollectionId"] not in st.collections:
        raise ApiError(400, "ResourceNotFoundException", "no such collection")
    match = from_shape(MODEL.shape_for("FaceMatch"))
    match["Similarity"] = 97.25
    match["Face"].update({"FaceId": "11111111-2222-3333-4444-555555555555",
                          "ExternalImageId": "jane-doe", "Confidence": 99.9})
    return shaped("SearchFacesByImage", {"FaceMatches": [match],
                                         "SearchedFaceBoundingBox": box(0.2, 0.2, 0.6, 0.6),
                                         "SearchedFaceConfidence": 99.0})


def recognize_celebrities(st, req, image):
    celeb = from_shape(MODEL.shape_for("Celebrity"))
    celeb.update({"Name": "Ada Lovelace", "Id": "1a2b3c", "MatchConfidence": 96.5})
    celeb["Face"].update({"BoundingBox": box(0.3, 0.1, 0.25, 0.4), "Confidence": 99.0})
    return shaped("RecognizeCelebrities", {"CelebrityFaces": [celeb], "UnrecognizedFaces": []})


def detect_moderation(st, req, image):
    labels = [{"Name": "Violence", "Confidence": 88.5, "ParentName": "", "TaxonomyLevel": 1},
              {"Name": "Weapons", "Confidence": 61.0, "ParentName": "Violence", "TaxonomyLevel": 2}]
    return shaped("DetectModerationLabels", {
        "ModerationLabels": [x for x in labels if x["Confidence"] >= req.get("MinConfidence", 50)],
        "ModerationModelVersion": "7.0"})


def detect_ppe(st, req, image):
    eq = from_shape(MODEL.shape_for("EquipmentDetection"))
    eq.update({"Type": "FACE_COVER", "Confidence": 95.0, "BoundingBox": box(0.4, 0.3, 0.1, 0.1)})
    part = from_shape(MODEL.shape_for("ProtectiveEquipmentBodyPart"))
    part.update({"Name": "FACE", "Confidence": 99.0, "EquipmentDetections": [eq]})
    person = from_shape(MODEL.shape_for("ProtectiveEquipmentPerson"))
    person.update({"Id": 0, "Confidence": 99.5, "BoundingBox": box(0.3, 0.1, 0.4, 0.8),
                   "BodyParts": [part]})
    return shaped("DetectProtectiveEquipment", {"Persons": [person],
                  "ProtectiveEquipmentModelVersion": "1.0"})


def detect_labels(st, req, image):
    return label_answer(image)


def detect_text(st, req, image):
    det = {"DetectedText": "HELLO", "Type": "LINE", "Id": 0, "Confidence": 99.1,
           "Geometry": {"BoundingBox": box(0.1, 0.8, 0.3, 0.1), "Polygon": []}}
    return shaped("DetectText", {"TextDetections": [det], "TextModelVersion": "3.0"})


def model_of(st, arn):
    if arn not in st.versions:
        raise ApiError(400, "ResourceNotFoundException", "no such model: %s" % arn)
    return st.versions[arn]


def detect_custom_labels(st, req, image):
    with st.lock:
        model_of(st, req["ProjectVersionArn"])
        status = st.status(req["ProjectVersionArn"])
    if status != "RUNNING":
        raise ApiError(400, "ResourceNotReadyException", "the model is %s" % status)
    return shaped("DetectCustomLabels", {"CustomLabels": [
        {"Name": "brand-logo", "Confidence": 91.0, "Geometry": {"BoundingBox": box(0.5, 0.5, 0.2, 0.1),
                                                               "Polygon": []}}]})


def page(st, req, items):
    """One page of `items` as the service pages: NextToken until the end."""
    size = min(req.get("MaxResults", 100), st.args.page_size)
    start = int(req.get("NextToken", "0"))
    out = {}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return items[start:start + size], out


def describe_projects(st, req, image):
    names = req.get("ProjectNames")
    with st.lock:
        found = [(n, a) for n, a in st.projects.items() if not names or n in names]
    items, extra = page(st, req, [
        {"ProjectArn": a, "Status": "CREATED", "CreationTimestamp": 1600000000.0,
         "Datasets": [], "Feature": "CUSTOM_LABELS", "AutoUpdate": "DISABLED"} for n, a in found])
    answer = shaped("DescribeProjects", {"ProjectDescriptions": items})
    answer.pop("NextToken", None)
    answer.update(extra)
    return answer


def describe_versions(st, req, image):
    with st.lock:
        project = [n for n, a in st.projects.items() if a == req["ProjectArn"]]
        if not project:
            raise ApiError(400, "ResourceNotFoundException", "no such project")
        names = req.get("VersionNames")
        out = []
        for arn, v in st.versions.items():
            if v["project"] == project[0] and (not names or v["version"] in names):
                out.append({"ProjectVersionArn": arn, "Status": st.status(arn),
                            "StatusMessage": "The model is %s." % st.status(arn).lower(),
                            "MinInferenceUnits": v["units"], "CreationTimestamp": 1600000000.0})
    items, extra = page(st, req, out)
    answer = shaped("DescribeProjectVersions", {"ProjectVersionDescriptions": items})
    answer.pop("NextToken", None)
    answer.update(extra)
    return answer


def start_version(st, req, image):
    with st.lock:
        model_of(st, req["ProjectVersionArn"])
        status = st.status(req["ProjectVersionArn"])
        if status not in ("STOPPED", "TRAINING_COMPLETED"):
            raise ApiError(400, "ResourceInUseException", "the model is %s" % status)
        st.versions[req["ProjectVersionArn"]]["units"] = req["MinInferenceUnits"]
        st.transition(req["ProjectVersionArn"], "STARTING", "RUNNING")
    return shaped("StartProjectVersion", {"Status": "STARTING"})


def stop_version(st, req, image):
    with st.lock:
        model_of(st, req["ProjectVersionArn"])
        if st.status(req["ProjectVersionArn"]) != "RUNNING":
            raise ApiError(400, "ResourceInUseException", "the model is not running")
        st.transition(req["ProjectVersionArn"], "STOPPING", "STOPPED")
    return shaped("StopProjectVersion", {"Status": "STOPPING"})


def create_project(st, req, image):
    with st.lock:
        if req["ProjectName"] in st.projects:
            raise ApiError(400, "ResourceInUseException", "the project exists")
        arn = "arn:aws:rekognition:%s:%s:project/%s/1700000000000" % (REGION, ACCOUNT,
                                                                      req["ProjectName"])
        st.projects[req["ProjectName"]] = arn
    return shaped("CreateProject", {"ProjectArn": arn})


def create_version(st, req, image):
    with st.lock:
        project = [n for n, a in st.projects.items() if a == req["ProjectArn"]]
        if not project:
            raise ApiError(400, "ResourceNotFoundException", "no such project")
        arn = "arn:aws:rekognition:%s:%s:project/%s/version/%s/1700000000001" % (
            REGION, ACCOUNT, project[0], req["VersionName"])
        st.add_version(arn, "TRAINING_IN_PROGRESS")
        st.transition(arn, "TRAINING_IN_PROGRESS", "TRAINING_COMPLETED")
    return shaped("CreateProjectVersion", {"ProjectVersionArn": arn})


HANDLERS = {
    "DescribeCollection": describe_collection, "DetectFaces": detect_faces,
    "SearchFacesByImage": search_faces, "RecognizeCelebrities": recognize_celebrities,
    "DetectModerationLabels": detect_moderation, "DetectProtectiveEquipment": detect_ppe,
    "DetectLabels": detect_labels, "DetectText": detect_text,
    "DetectCustomLabels": detect_custom_labels, "DescribeProjects": describe_projects,
    "DescribeProjectVersions": describe_versions, "StartProjectVersion": start_version,
    "StopProjectVersion": stop_version, "CreateProject": create_project,
    "CreateProjectVersion": create_version,
}


# ---- checks ----

def image_format(image):
    if image.startswith(b"\xff\xd8"):
        return "jpeg"
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return "unknown"


def image_size(image):
    """(width, height) from a PNG header or a JPEG frame header, or None."""
    if image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) >= 24:
        return int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    i = 2
    while image.startswith(b"\xff\xd8") and i + 9 < len(image):
        if image[i] != 0xFF:
            return None
        marker, length = image[i + 1], int.from_bytes(image[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(image[i + 7:i + 9], "big"), int.from_bytes(image[i + 5:i + 7], "big")
        i += 2 + length
    return None


def check_image(op, req):
    """Decodes Image.Bytes in place; errors as the service gives them."""
    image = req.get("Image", {}).get("Bytes")
    if image is None:
        return None
    try:
        data = base64.b64decode(image, validate=True)
    except Exception:
        raise ApiError(400, "SerializationException", "Image.Bytes is not base64")
    req["Image"]["Bytes"] = data
    limit = MAX_CUSTOM_LABELS_IMAGE if op == "DetectCustomLabels" else MAX_IMAGE
    if len(data) > limit:
        raise ApiError(400, "ImageTooLargeException", "Image size is too large (%d bytes)" % len(data))
    fmt = image_format(data)
    # A JPEG without its end marker is what a truncated upload looks like:
    # the service cannot decode it.
    if fmt == "unknown" or (fmt == "jpeg" and not data.rstrip(b"\0").endswith(b"\xff\xd9")):
        raise ApiError(400, "InvalidImageFormatException", "Request has invalid image format")
    return data


def validate(op, req):
    report = ParamValidator().validate(req, MODEL.operation_model(op).input_shape)
    return report.generate_report() if report.has_errors() else ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle holds the
    # body until the client's delayed ACK (40 ms a call).
    disable_nagle_algorithm = True
    server_version = "FakeRekognition/1.0"

    def log_message(self, *args):
        pass

    def send_json(self, status, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "fake-%08x" % random.getrandbits(32))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, err):
        self.send_json(err.status, {"__type": err.code, "message": err.message},
                       {"X-Amzn-ErrorType": err.code})

    def do_POST(self):
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        op = target.split(".", 1)[1] if target.startswith("RekognitionService.") else target
        entry = {"op": op, "valid": True, "errors": "", "time": time.time(),
                 "client_port": self.client_address[1]}
        try:
            status, answer = self.handle_call(st, op, body, entry)
        except ApiError as e:
            status, answer = e.status, e
        except Exception as e:  # a bug of the fake: tests look for fake_error
            entry["fake_error"] = repr(e)
            status, answer = 500, ApiError(500, "InternalServerError", "fake: %r" % e)
        entry["status"] = status
        if st.args.latency:
            time.sleep(st.args.latency / 1000.0)
        entry["answered"] = time.time()
        st.write_log(entry)
        if isinstance(answer, ApiError):
            self.send_error_json(answer)
        elif isinstance(answer, bytes):
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        else:
            self.send_json(status, answer)

    def handle_call(self, st, op, body, entry):
        auth = self.headers.get("Authorization", "")
        problems = []
        if self.headers.get("Content-Type") != "application/x-amz-json-1.1":
            problems.append("Content-Type is %r" % self.headers.get("Content-Type"))
        if not auth.startswith("AWS4-HMAC-SHA256 Credential=") or "/rekognition/aws4_request" not in auth:
            problems.append("no SigV4 Authorization for rekognition")
        if not self.headers.get("X-Amz-Date"):
            problems.append("no X-Amz-Date")
        if op not in HANDLERS:
            problems.append("unknown operation %r" % op)
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            problems.append("body is not JSON")
            req = {}
        if not problems:
            image = check_image(op, req)
            if image is not None:
                entry.update(image_sha1=hashlib.sha1(image).hexdigest(), image_size=len(image),
                             image_format=image_format(image), image_dims=image_size(image))
            problems.append(validate(op, req))
        problems = [p for p in problems if p]
        if problems:
            entry.update(valid=False, errors="; ".join(problems))
            raise ApiError(400, "ValidationException", "; ".join(problems))
        for k in ("ProjectVersionArn", "CollectionId", "MinConfidence", "MaxLabels", "Filters",
                  "Attributes", "FaceMatchThreshold", "MaxFaces", "MinInferenceUnits",
                  "SummarizationAttributes", "ProjectName", "VersionName", "ProjectArn",
                  "TrainingData", "TestingData", "OutputConfig", "VersionNames", "ProjectNames"):
            if k in req:
                entry[k] = req[k]
        if st.args.refuse_credentials:
            raise ApiError(400, "UnrecognizedClientException",
                           "The security token included in the request is invalid.")
        if op in DETECTION_OPS:
            with st.lock:
                roll = st.rng.random()
            if roll < st.args.throttle:
                raise ApiError(400, "ThrottlingException", "Rate exceeded")
            if roll < st.args.throttle + st.args.fail:
                raise ApiError(500, "InternalServerError", "Internal server error")
        if st.args.upstream and op in MOTO_OPS:
            return self.forward(st, body)
        answer = HANDLERS[op](st, req, req.get("Image", {}).get("Bytes"))
        report = ParamValidator().validate(answer, MODEL.operation_model(op).output_shape)
        if report.has_errors():
            raise RuntimeError("fake answer does not match the model: " + report.generate_report())
        return 200, answer

    def forward(self, st, body):
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(st.args.upstream + "/", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--upstream")
    p.add_argument("--log")
    p.add_argument("--throttle", type=float, default=0.0)
    p.add_argument("--fail", type=float, default=0.0)
    p.add_argument("--latency", type=float, default=0.0)
    p.add_argument("--refuse-credentials", action="store_true")
    p.add_argument("--collection", action="append")
    p.add_argument("--model", action="append", help="ARN=STATUS")
    p.add_argument("--transition", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--page-size", type=int, default=100, help="Describe* results per page")
    args = p.parse_args()
    # The default backlog of 5 drops SYNs when many clients connect at once,
    # and a dropped SYN costs the client a 1 s retransmission.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
