"""Checks Kubernetes manifests against the API's own types, offline: each
document is read into the model class of its kind with the Kubernetes
Python client (Debian's python3-kubernetes) and written back; a field the
API does not have (a typo, a wrong level) is dropped on the way and shows as
a difference, a wrong type fails the conversion. Prints one line per
problem and exits 1 when there is any.

  /usr/bin/python3 k8s_schema.py FILE.yaml...
"""
import json
import sys

import yaml
from kubernetes import client

KINDS = {("batch/v1", "Job"): "V1Job", ("v1", "ConfigMap"): "V1ConfigMap",
         ("v1", "Secret"): "V1Secret", ("v1", "ServiceAccount"): "V1ServiceAccount"}


class _Response:
    def __init__(self, data):
        self.data = data


def differences(want, got, path=""):
    if isinstance(want, dict) and isinstance(got, dict):
        for key in want:
            if key not in got:
                yield "%s.%s: not a field of the API" % (path, key)
            else:
                yield from differences(want[key], got[key], "%s.%s" % (path, key))
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            yield from differences(w, g, "%s[%d]" % (path, i))
    elif want != got:
        yield "%s: %r read as %r" % (path, want, got)


def check(doc, api):
    kind = KINDS.get((doc.get("apiVersion"), doc.get("kind")))
    if kind is None:
        return ["%s %s: not a kind this check knows" % (doc.get("apiVersion"), doc.get("kind"))]
    model = api.deserialize(_Response(json.dumps(doc)), kind)
    back = api.sanitize_for_serialization(model)
    return ["%s %s%s" % (doc["kind"], doc["metadata"]["name"], d) for d in differences(doc, back)]


def main():
    api = client.ApiClient()
    problems = []
    for path in sys.argv[1:]:
        with open(path) as fh:
            for doc in yaml.safe_load_all(fh):
                if doc:
                    try:
                        problems += check(doc, api)
                    except (ValueError, TypeError) as e:
                        problems.append("%s: %s" % (path, e))
    for p in problems:
        print(p)
    print("checked %d file(s): %d problem(s)" % (len(sys.argv) - 1, len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
