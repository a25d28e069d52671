#!/usr/bin/python3
"""Scenario 7: read the agent's airflow/connections.json the way Airflow's LocalFilesystemBackend does, build
a boto3 client from the `aws` connection the way the Amazon provider's AwsBaseHook does, and reach the store.
Airflow itself is not installable here, so its rules are re-implemented from
apache/airflow (airflow.secrets.local_filesystem @1579160d:
_parse_secret_file, _parse_json_file/_parse_env_file/_parse_yaml_file, _create_connection,
load_connections_dict; airflow.models.connection.Connection.__init__/_parse_from_uri/_validate_extra) and
the Amazon provider (airflow.providers.amazon.aws.utils.connection_wrapper.AwsConnectionWrapper:
credentials and endpoint precedence).

Usage: airflow_conn_check.py CONNECTIONS_FILE CONN_ID BUCKET
Prints one JSON line {"ok","connId","connType","accessKeyId","hasSessionToken","endpoint","region","bucket","key"}
(no secrets); exit 0 when an object was written and read back, 1 when the store refused, 3 when the file
does not parse as Airflow would parse it (the message names Airflow's exception), 2 usage error.
"""
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import botocore.config


class AirflowParseError(Exception):
    """Stands for the exception Airflow would raise; `kind` is its class name."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind


# --------------------------------------------------------------- §2.1 LocalFilesystemBackend parsers
COMMENT_PATTERN = re.compile(r"^\s*#")  # airflow.utils.file.COMMENT_PATTERN


def parse_env_file(content):
    secrets, errors = {}, []
    for line_no, line in enumerate(content.splitlines(), 1):
        if not line or COMMENT_PATTERN.match(line):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            errors.append((line_no, 'Invalid line format. The line should contain at least one equal sign ("=").'))
        elif not key:
            errors.append((line_no, "Invalid line format. Key is empty."))
        elif not value:
            errors.append((line_no, "Invalid line format. Value is empty."))
        else:
            secrets.setdefault(key, []).append(value)
    return secrets, errors


def parse_json_file(content):
    if not content:
        return {}, [(1, "The file is empty.")]
    try:
        secrets = json.loads(content)
    except json.JSONDecodeError as e:
        return {}, [(e.lineno, e.msg)]
    if not isinstance(secrets, dict):
        return {}, [(1, "The file should contain the object.")]
    return secrets, []


def parse_yaml_file(content):
    import yaml  # Debian python3-yaml; Airflow uses a safe loader too

    if not content:
        return {}, [(1, "The file is empty.")]
    try:
        secrets = yaml.safe_load(content)
    except yaml.MarkedYAMLError as e:
        return {}, [(e.problem_mark.line if e.problem_mark else -1, str(e))]
    if not isinstance(secrets, dict):
        return {}, [(1, "The file should contain the object.")]
    return secrets, []


FILE_PARSERS = {"env": parse_env_file, "json": parse_json_file, "yaml": parse_yaml_file, "yml": parse_yaml_file}


def parse_secret_file(path):
    ext = Path(path).suffix.lstrip(".").lower()
    if ext not in FILE_PARSERS:
        exts = " ".join(f".{e}" for e in sorted(FILE_PARSERS))
        raise AirflowParseError("AirflowUnsupportedFileTypeException",
                                f"Unsupported file format. The file must have one of the following extensions: {exts}")
    with open(path) as f:
        content = f.read()
    secrets, errors = FILE_PARSERS[ext](content)
    if errors:
        raise AirflowParseError("AirflowFileParseException",
                                f"Failed to load the secret file. {path}: " + "; ".join(f"line {n}: {m}" for n, m in errors))
    return secrets


# --------------------------------------------------------------- Connection (airflow.models.connection)
CONNECTION_PARAMETERS = {"conn_id", "conn_type", "description", "host", "login", "password", "schema", "port", "extra", "uri"}


class Connection:
    def __init__(self, conn_id=None, conn_type=None, description=None, host=None, login=None, password=None,
                 schema=None, port=None, extra=None, uri=None):
        self.conn_id = conn_id
        self.description = description
        if extra and not isinstance(extra, str):
            extra = json.dumps(extra)
        if uri and (conn_type or host or login or password or schema or port or extra):
            raise AirflowParseError("AirflowException", "You must create an object using the URI or individual values "
                                    "(conn_type, host, login, password, schema, port or extra).You can't mix these two ways to create this object.")
        if uri:
            self._parse_from_uri(uri)
        else:
            self.conn_type, self.host, self.login, self.password = conn_type, host, login, password
            self.schema, self.port, self.extra = schema, port, extra
        if self.extra:
            try:
                if not isinstance(json.loads(self.extra), dict):
                    raise ValueError(f"Encountered JSON value in `extra` which does not parse as a dictionary in connection {conn_id!r}.")
            except json.JSONDecodeError:
                raise ValueError(f"Encountered non-JSON in `extra` field for connection {conn_id!r}.")

    def _parse_from_uri(self, uri):
        schemes = uri.count("://")
        if schemes > 2:
            raise AirflowParseError("AirflowException", f"Invalid connection string: {uri}.")
        with_protocol = schemes == 2
        parts = urlsplit(uri)
        conn_type = parts.scheme
        self.conn_type = "postgres" if conn_type == "postgresql" else conn_type.replace("-", "_")
        rest = uri.replace(f"{conn_type}://", "" if with_protocol else "//")
        if with_protocol:
            first = rest.split("://", 1)[0]
            if "@" in first or ":" in first:
                raise AirflowParseError("AirflowException", f"Invalid connection string: {uri}.")
        parts = urlsplit(rest)
        protocol = parts.scheme if with_protocol else None
        host = unquote(parts.hostname or "")
        if "/" in host:
            host = parts.netloc.rsplit("@", 1)[-1].split(":", 1)[0]
            host = unquote(host)
        self.host = f"{protocol}://{host}" if protocol and host else host
        quoted_schema = parts.path[1:]
        self.schema = unquote(quoted_schema) if quoted_schema else quoted_schema
        self.login = unquote(parts.username) if parts.username else parts.username
        self.password = unquote(parts.password) if parts.password else parts.password
        self.port = parts.port
        self.extra = None
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self.extra = query["__extra__"] if "__extra__" in query else json.dumps(query)

    @property
    def extra_dejson(self):
        return json.loads(self.extra) if self.extra else {}


def create_connection(conn_id, value):
    if isinstance(value, str):
        return Connection(conn_id=conn_id, uri=value)
    if isinstance(value, dict):
        allowed = CONNECTION_PARAMETERS | {"extra_dejson"}
        illegal = set(value) - allowed
        if illegal:
            raise AirflowParseError("AirflowException", f"The object have illegal keys: {', '.join(illegal)}. "
                                    f"The dictionary can only contain the following keys: {allowed}")
        if "extra" in value and "extra_dejson" in value:
            raise AirflowParseError("AirflowException", "The extra and extra_dejson parameters are mutually exclusive. "
                                    "Please provide only one parameter.")
        value = dict(value)
        if "extra_dejson" in value:
            value["extra"] = json.dumps(value.pop("extra_dejson"))
        if "conn_id" in value and conn_id != value["conn_id"]:
            raise AirflowParseError("AirflowException", f"Mismatch conn_id. The dictionary key has the value: {value['conn_id']}. "
                                    f"The item has the value: {conn_id}.")
        value["conn_id"] = conn_id
        return Connection(**value)
    raise AirflowParseError("AirflowException", f"Unexpected value type: {type(value)}. "
                            "The connection can only be defined using a string or object.")


def load_connections_dict(path):
    by_id = {}
    for key, values in parse_secret_file(path).items():
        if isinstance(values, list):  # .env: a list of values per key
            if len(values) > 1:
                raise AirflowParseError("ConnectionNotUnique", f"Found multiple values for {key} in {path}.")
            for v in values:
                by_id[key] = create_connection(key, v)
        else:
            by_id[key] = create_connection(key, values)
    return by_id


# --------------------------------------------------------------- §2.3 AwsBaseHook's view of the connection
def boto3_client_from(conn):
    extra = conn.extra_dejson
    access_key, secret_key = conn.login, conn.password
    if not (access_key and secret_key):
        access_key, secret_key = extra.get("aws_access_key_id"), extra.get("aws_secret_access_key")
    token = extra.get("aws_session_token")  # extra only; static credentials the hook never renews
    region = extra.get("region_name")
    service_config = (extra.get("service_config") or {}).get("s3", {})
    endpoint = service_config["endpoint_url"] if "endpoint_url" in service_config else extra.get("endpoint_url")
    config = botocore.config.Config(**extra["config_kwargs"]) if extra.get("config_kwargs") else None
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                    aws_session_token=token, region_name=region)
    return session.client("s3", endpoint_url=endpoint, config=config), access_key, token, endpoint, region


def main():
    if len(sys.argv) != 4:
        print("usage: airflow_conn_check.py CONNECTIONS_FILE CONN_ID BUCKET", file=sys.stderr)
        sys.exit(2)
    path, conn_id, bucket = sys.argv[1:]
    try:
        conns = load_connections_dict(path)
    except (AirflowParseError, ValueError) as e:
        print(f"airflow_conn_check: {path} does not load as Airflow's LocalFilesystemBackend loads it: {e}", file=sys.stderr)
        sys.exit(3)
    conn = conns.get(conn_id)
    if conn is None:
        print(f"airflow_conn_check: no connection {conn_id!r} in {path} (has: {', '.join(sorted(conns)) or 'none'})", file=sys.stderr)
        sys.exit(3)
    client, access_key, token, endpoint, region = boto3_client_from(conn)
    key = f"airflow-conn/{conn_id}-{os.getpid()}"
    body = f"written through Airflow connection {conn_id}\n".encode()
    report = {"ok": False, "connId": conn_id, "connType": conn.conn_type, "accessKeyId": access_key,
              "hasSessionToken": bool(token), "endpoint": endpoint, "region": region, "bucket": bucket, "key": key}
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body)
        report["ok"] = client.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    except Exception as e:
        report["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
