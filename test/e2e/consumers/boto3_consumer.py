"""One long-lived boto3 session reading credentials from the container endpoint (the chain picks
botocore's ContainerProvider from AWS_CONTAINER_CREDENTIALS_FULL_URI), printing what it resolved."""
import json
import sys
import time

import boto3

rounds, gap = int(sys.argv[1]), float(sys.argv[2])
session = boto3.session.Session()
creds = session.get_credentials()
print(json.dumps({"method": creds.method}), flush=True)
for _ in range(rounds):
    frozen = creds.get_frozen_credentials()
    expiry = getattr(creds, "_expiry_time", None)
    print(json.dumps({"ak": frozen.access_key, "sk": frozen.secret_key, "exp": expiry.isoformat() if expiry else None}), flush=True)
    time.sleep(gap)
