"""A KubernetesExecutor task stand-in: reads its credentials the two ways a task can — the files in
the credentials mount (credential_process JSON, aws/config) and the loopback endpoint named by
AWS_CONTAINER_CREDENTIALS_FULL_URI with the token file — and checks they agree. Prints no secret."""
import json
import os
import sys
import urllib.request

CREDS = "/var/run/secrets/airflow-vault"
name = sys.argv[1]

with open(os.path.join(CREDS, f"{name}.json")) as f:
    process_creds = json.load(f)
with open(os.environ["AWS_CONFIG_FILE"]) as f:
    config = f.read()
assert f"[profile {name}]" in config, "aws/config names the profile"

with open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]) as f:
    token = f.read()
req = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], headers={"Authorization": token})
with urllib.request.urlopen(req, timeout=5) as res:
    served = json.load(res)

assert served["AccessKeyId"] == process_creds["AccessKeyId"], "endpoint and file agree"
assert served["Token"] == process_creds["SessionToken"]
print(json.dumps({"task": "ok", "uid": os.getuid(), "groups": sorted(os.getgroups()), "access_key_prefix": served["AccessKeyId"][:4], "expiration": served["Expiration"]}))
