"""Drive a Vault (sim/vault in the tests) with Debian's python3-hvac through every call the agent makes.

Run with /usr/bin/python3. Input: one JSON object on stdin (addresses, tokens, mount names, JWTs).
Output: one JSON object on stdout, a result per step: {"ok": value} or {"error": "<hvac exception class>",
"message": ...}. The test asserts on the results; this script only records what hvac saw.
"""
import json
import sys

import hvac
from hvac import exceptions

cfg = json.load(sys.stdin)
results = {}


def step(name, fn):
    try:
        results[name] = {"ok": fn()}
    except exceptions.VaultError as err:  # hvac's error classes, one per status
        results[name] = {"error": type(err).__name__, "message": str(err)}
    except Exception as err:  # a response hvac could not digest: recorded, the test fails on it
        results[name] = {"error": "Python:" + type(err).__name__, "message": str(err)}


def body(resp):
    """hvac returns parsed JSON for bodies and the requests.Response for 204s."""
    if isinstance(resp, dict):
        return resp
    out = {"status_code": getattr(resp, "status_code", None)}
    try:
        out["json"] = resp.json()
    except Exception:
        pass
    return out


def run_main():
    root = hvac.Client(url=cfg["addr"], token=cfg["root_token"])
    k8s, kv1, kv2, aws = cfg["k8s_mount"], cfg["kv1_mount"], cfg["kv2_mount"], cfg["aws_mount"]

    step("is_authenticated", root.is_authenticated)
    step("health", lambda: body(root.sys.read_health_status(method="GET")))
    step("health_standbyok", lambda: body(root.sys.read_health_status(standby_ok=True, method="GET")))
    step("seal_status", lambda: root.sys.read_seal_status())

    # Kubernetes auth: configure, role, login with a projected pod token from sim/apiserver.
    step("k8s_configure", lambda: body(root.auth.kubernetes.configure(
        kubernetes_host=cfg["k8s_host"], kubernetes_ca_cert=cfg["k8s_ca"], token_reviewer_jwt=cfg["reviewer_jwt"], mount_point=k8s)))
    step("k8s_role", lambda: body(root.auth.kubernetes.create_role(
        name="etl", bound_service_account_names=[cfg["sa"]], bound_service_account_namespaces=[cfg["namespace"]],
        ttl="1h", policies=["etl"], mount_point=k8s)))
    step("k8s_read_role", lambda: root.auth.kubernetes.read_role(name="etl", mount_point=k8s)["token_policies"])
    step("policy", lambda: body(root.sys.create_or_update_policy(name="etl", policy=cfg["policy"])))

    pod = hvac.Client(url=cfg["addr"])
    step("k8s_login", lambda: {k: pod.auth.kubernetes.login(role="etl", jwt=cfg["pod_jwt"], mount_point=k8s)["auth"][k]
                               for k in ("policies", "renewable", "lease_duration", "token_type")})
    step("pod_authenticated", pod.is_authenticated)

    # Token self-operations with the pod's token.
    step("lookup_self", lambda: {k: pod.auth.token.lookup_self()["data"][k] for k in ("policies", "ttl", "renewable", "meta")})
    step("renew_self", lambda: pod.auth.token.renew_self(increment="30m")["auth"]["lease_duration"])

    # KV v1 and v2, written by root, read by the pod.
    step("kv1_write", lambda: body(root.secrets.kv.v1.create_or_update_secret(path="team/rgw", secret={"access_key": "AK1", "secret_key": "SK1"}, mount_point=kv1)))
    step("kv1_read", lambda: pod.secrets.kv.v1.read_secret(path="team/rgw", mount_point=kv1)["data"])
    step("kv2_write", lambda: root.secrets.kv.v2.create_or_update_secret(path="team/rgw", secret={"access_key": "AK2", "secret_key": "SK2"}, mount_point=kv2)["data"]["version"])
    step("kv2_write_again", lambda: root.secrets.kv.v2.create_or_update_secret(path="team/rgw", secret={"access_key": "AK3", "secret_key": "SK3"}, mount_point=kv2)["data"]["version"])
    step("kv2_read", lambda: (lambda r: {"data": r["data"]["data"], "version": r["data"]["metadata"]["version"]})(
        pod.secrets.kv.v2.read_secret_version(path="team/rgw", mount_point=kv2)))
    step("kv2_read_v1", lambda: pod.secrets.kv.v2.read_secret_version(path="team/rgw", version=1, mount_point=kv2)["data"]["data"])
    step("kv2_mount_tune", lambda: root.sys.read_mount_configuration(path=kv2))

    # AWS secrets engine: the simulated account answers (no iam_endpoint / sts_endpoint).
    step("aws_config_root", lambda: body(root.secrets.aws.configure_root_iam_credentials(
        access_key="AKIAROOTKEYFORTESTS0", secret_key="x" * 40, region="us-east-1", mount_point=aws)))
    step("aws_role_iam_user", lambda: body(root.secrets.aws.create_or_update_role(
        name="user", credential_type="iam_user", policy_document=cfg["aws_policy"], mount_point=aws)))
    step("aws_role_assumed", lambda: body(root.secrets.aws.create_or_update_role(
        name="assumed", credential_type="assumed_role", role_arns=["arn:aws:iam::123456789012:role/App"], mount_point=aws)))
    step("aws_role_federation", lambda: body(root.secrets.aws.create_or_update_role(
        name="fed", credential_type="federation_token", policy_document=cfg["aws_policy"], mount_point=aws)))

    creds = {}

    def mint(name, endpoint, ttl=None):
        r = pod.secrets.aws.generate_credentials(name=name, endpoint=endpoint, ttl=ttl, mount_point=aws)
        creds[name] = r
        d = r["data"]
        return {"lease_id": r["lease_id"], "renewable": r["renewable"], "lease_duration": r["lease_duration"],
                "access_key": d["access_key"], "has_secret": len(d["secret_key"]) > 0, "has_token": bool(d.get("security_token"))}

    step("aws_iam_user", lambda: mint("user", "creds"))
    step("aws_assumed_role", lambda: mint("assumed", "sts", "1h"))
    step("aws_federation_token", lambda: mint("fed", "sts", "1h"))

    # Leases: lookup (root: sys/leases/lookup needs sudo), renew and revoke with the pod's token.
    user_lease = lambda: creds["user"]["lease_id"]
    step("lease_lookup", lambda: {k: root.sys.read_lease(lease_id=user_lease())["data"][k] for k in ("id", "renewable", "ttl")})
    step("lease_renew", lambda: (lambda r: {"lease_id": r["lease_id"], "renewable": r["renewable"], "lease_duration": r["lease_duration"]})(
        pod.sys.renew_lease(lease_id=user_lease(), increment=600)))
    step("lease_renew_sts", lambda: body(pod.sys.renew_lease(lease_id=creds["assumed"]["lease_id"])))
    step("lease_revoke", lambda: body(pod.sys.revoke_lease(lease_id=user_lease())))
    step("lease_lookup_revoked", lambda: root.sys.read_lease(lease_id=user_lease()))
    step("lease_renew_revoked", lambda: pod.sys.renew_lease(lease_id=user_lease()))

    # Error classes.
    step("err_missing_kv", lambda: pod.secrets.kv.v1.read_secret(path="team/missing", mount_point=kv1))
    step("err_forbidden", lambda: pod.secrets.kv.v1.read_secret(path="other", mount_point=cfg["forbidden_mount"]))
    step("err_bad_role", lambda: hvac.Client(url=cfg["addr"]).auth.kubernetes.login(role="nope", jwt=cfg["pod_jwt"], mount_point=k8s))
    step("err_wrong_sa", lambda: hvac.Client(url=cfg["addr"]).auth.kubernetes.login(role="etl", jwt=cfg["other_jwt"], mount_point=k8s))
    step("err_bad_token", lambda: hvac.Client(url=cfg["addr"], token="s.notatoken").auth.token.lookup_self())

    # Revoke-self ends the token: afterwards it is forbidden.
    step("revoke_self", lambda: body(pod.auth.token.revoke_self()))
    step("after_revoke_self", lambda: pod.auth.token.lookup_self())


def run_unavailable():
    root = hvac.Client(url=cfg["addr"], token=cfg["root_token"])
    step("err_rate_limited", lambda: root.secrets.kv.v1.read_secret(path="team/rgw", mount_point=cfg["kv1_mount"]))


def run_sealed():
    root = hvac.Client(url=cfg["addr"], token=cfg["root_token"])
    step("sealed_is_sealed", root.sys.is_sealed)
    step("sealed_health", lambda: body(root.sys.read_health_status(method="GET")))
    step("err_sealed", lambda: root.secrets.kv.v1.read_secret(path="team/rgw", mount_point=cfg["kv1_mount"]))


{"main": run_main, "rate-limited": run_unavailable, "sealed": run_sealed}[cfg["phase"]]()
json.dump(results, sys.stdout)
