#!/usr/bin/python3
"""The task of an "Airflow image": one long-lived boto3 session with NO credentials configured puts and gets
objects continuously, then reads every object back, and writes a JSON report. Run with Debian's
/usr/bin/python3 (python3-boto3 1.26 / botocore 1.29).

Credentials come from whatever the environment gives boto3's default chain — in a pod, the agent's
loopback endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN). This script
never reads a token file: botocore 1.29 ignores AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (added in 1.32).

botocore 1.29 also ignores AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (added in 1.31) and AWS_REGION (it reads
AWS_DEFAULT_REGION only), so the endpoint and region the webhook injects are read here and passed to the
client explicitly.

Usage: s3_loop.py [REPORT_PATH]
Env:
  S3_LOOP_REPORT      report path (or argv[1]; required)
  S3_LOOP_BUCKET      bucket (default avi-loop; created when missing)
  S3_LOOP_SECONDS     how long to loop (default 30)
  S3_LOOP_STOP_FILE   stop early once this file exists
  S3_LOOP_INTERVAL    pause between rounds in seconds (default 0.2)
  S3_LOOP_PREFIX      key prefix (default loop/<hostname>-<pid>)
  S3_LOOP_RETRIES     botocore retries per request (default 0: every failed HTTP attempt is counted)
  S3_LOOP_PROGRESS    print a progress line (JSON, no secrets) to stdout every this many seconds (default: never)
  S3_LOOP_PROGRESS_FILE after every round, atomically write {"round","accessKeyId","accessKeyIds","requests",
                         "failedRequests"} here (the key that signed the round's last request), so a test can
                         follow the session live (e.g. remove an old key only once the session has moved on)
Exit: 0 all requests succeeded and every object read back intact; 1 otherwise; 2 usage error.
"""
import hashlib
import json
import os
import socket
import sys
import time
from datetime import datetime, timezone

import boto3
import botocore.config
import botocore.exceptions


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def usage(msg):
    print(f"s3_loop: {msg}", file=sys.stderr)
    sys.exit(2)


def signing_key(request):
    """The access key id in a SigV4 Authorization header (what actually signed this request)."""
    auth = request.headers.get("Authorization", b"")
    auth = auth.decode() if isinstance(auth, bytes) else auth
    marker = "Credential="
    if marker not in auth:
        return None
    return auth.split(marker, 1)[1].split("/", 1)[0]


def describe(err):
    if isinstance(err, botocore.exceptions.ClientError):
        meta = err.response.get("ResponseMetadata", {})
        code = err.response.get("Error", {}).get("Code")
        return {"error": str(err), "code": code, "status": meta.get("HTTPStatusCode")}
    return {"error": f"{type(err).__name__}: {err}", "code": None, "status": None}


def write_json(path, value):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(tmp, path)


def main():
    report_path = os.environ.get("S3_LOOP_REPORT") or (sys.argv[1] if len(sys.argv) > 1 else None)
    if not report_path:
        usage("no report path: set S3_LOOP_REPORT or pass it as the first argument")
    try:
        seconds = float(os.environ.get("S3_LOOP_SECONDS", "30"))
        interval = float(os.environ.get("S3_LOOP_INTERVAL", "0.2"))
        retries = int(os.environ.get("S3_LOOP_RETRIES", "0"))
        progress_every = float(os.environ.get("S3_LOOP_PROGRESS", "0"))
    except ValueError as e:
        usage(f"bad number in S3_LOOP_SECONDS/S3_LOOP_INTERVAL/S3_LOOP_RETRIES/S3_LOOP_PROGRESS: {e}")
    bucket = os.environ.get("S3_LOOP_BUCKET", "avi-loop")
    stop_file = os.environ.get("S3_LOOP_STOP_FILE")
    progress_path = os.environ.get("S3_LOOP_PROGRESS_FILE")
    prefix = os.environ.get("S3_LOOP_PREFIX", f"loop/{socket.gethostname()}-{os.getpid()}")
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

    session = boto3.session.Session()
    client = session.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        config=botocore.config.Config(retries={"total_max_attempts": retries + 1}, s3={"addressing_style": "path"}),
    )
    failures = []
    try:
        creds = session.get_credentials()
    except Exception as e:  # the first fetch failed; every request below will fail (and be counted) too
        creds = None
        failures.append({"at": now_iso(), "op": "credentials", "key": None, "accessKeyId": None, **describe(e)})

    keys_seen = {}  # access key id -> {first, last, requests}
    key_order = []
    current = {"op": None, "key": None, "access_key_id": None}

    def on_send(request, **_):
        ak = signing_key(request)
        current["access_key_id"] = ak
        if ak is None:
            return
        entry = keys_seen.get(ak)
        if entry is None:
            entry = keys_seen[ak] = {"accessKeyId": ak, "firstSeen": now_iso(), "requests": 0}
            key_order.append(ak)
        entry["lastSeen"] = now_iso()
        entry["requests"] += 1

    client.meta.events.register("before-send.s3", on_send)

    counts = {"head_bucket": 0, "create_bucket": 0, "put": 0, "get": 0, "verify": 0}
    objects = {}  # key -> sha256 of the body written

    def call(op, key, fn):
        counts[op] += 1
        current["access_key_id"] = None
        try:
            return fn()
        except Exception as e:  # every failure is counted and reported, none is fatal
            failures.append({"at": now_iso(), "op": op, "key": key, "accessKeyId": current["access_key_id"], **describe(e)})
            return None

    started = time.monotonic()
    started_at = now_iso()
    try:
        client.head_bucket(Bucket=bucket)
        counts["head_bucket"] += 1
    except botocore.exceptions.ClientError as e:
        counts["head_bucket"] += 1
        if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            call("create_bucket", None, lambda: client.create_bucket(Bucket=bucket))
        else:
            failures.append({"at": now_iso(), "op": "head_bucket", "key": None, "accessKeyId": current["access_key_id"], **describe(e)})
    except Exception as e:
        counts["head_bucket"] += 1
        failures.append({"at": now_iso(), "op": "head_bucket", "key": None, "accessKeyId": current["access_key_id"], **describe(e)})

    def progress():
        ak = key_order[-1] if key_order else None
        print(json.dumps({"progress": {"requests": sum(counts.values()), "failed": len(failures), "objects": len(objects),
                                       "keys": len(key_order), "accessKeyIdPrefix": ak[:8] if ak else None}}), flush=True)

    n = 0
    mismatches = []
    last_progress = time.monotonic()
    while time.monotonic() - started < seconds and not (stop_file and os.path.exists(stop_file)):
        if progress_every > 0 and time.monotonic() - last_progress >= progress_every:
            progress()
            last_progress = time.monotonic()
        key = f"{prefix}/{n:06d}"
        body = f"{key} {time.time()} {os.urandom(8).hex()}\n".encode() * 16
        if call("put", key, lambda: client.put_object(Bucket=bucket, Key=key, Body=body)) is not None:
            objects[key] = hashlib.sha256(body).hexdigest()
            got = call("get", key, lambda: client.get_object(Bucket=bucket, Key=key)["Body"].read())
            if got is not None and hashlib.sha256(got).hexdigest() != objects[key]:
                mismatches.append({"key": key, "phase": "loop"})
        n += 1
        if progress_path:
            write_json(progress_path, {"round": n, "accessKeyId": current["access_key_id"], "accessKeyIds": list(key_order),
                                       "requests": sum(counts.values()), "failedRequests": len(failures)})
        time.sleep(interval)

    verified = 0
    for key, digest in objects.items():
        got = call("verify", key, lambda: client.get_object(Bucket=bucket, Key=key)["Body"].read())
        if got is None:
            continue
        if hashlib.sha256(got).hexdigest() == digest:
            verified += 1
        else:
            mismatches.append({"key": key, "phase": "verify"})

    ok = not failures and not mismatches and verified == len(objects) and len(objects) > 0
    report = {
        "ok": ok,
        "bucket": bucket,
        "prefix": prefix,
        "endpoint": endpoint,
        "region": region,
        "credentialMethod": getattr(creds, "method", None) if creds is not None else None,
        "startedAt": started_at,
        "finishedAt": now_iso(),
        "durationSeconds": round(time.monotonic() - started, 3),
        "requests": {**counts, "total": sum(counts.values())},
        "failedRequests": len(failures),
        "failures": failures,
        "objects": len(objects),
        "verified": verified,
        "mismatches": mismatches,
        "accessKeyIds": [keys_seen[ak] for ak in key_order],
        "accessKeyChanges": max(0, len(key_order) - 1),
    }
    write_json(report_path, report)
    print(f"s3_loop: ok={ok} requests={report['requests']['total']} failed={len(failures)} objects={len(objects)} "
          f"verified={verified} keys={len(key_order)}", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
