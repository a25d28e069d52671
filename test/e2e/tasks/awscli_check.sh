#!/usr/bin/env bash
# Scenario 6, awscli half: Debian's /usr/bin/aws (aws-cli 2.9.19) through the `aws/config` profile the agent
# writes (`credential_process = /bin/cat <dir>/<name>.json`): put an object, read it back, compare.
#
# Usage: awscli_check.sh PROFILE BUCKET [KEY]
# Env:   AWS_CONFIG_FILE      the agent's aws/config (required)
#        AWS_ENDPOINT_URL_S3  the store (required: aws-cli < 2.13 ignores `endpoint_url` in the profile and
#                             AWS_ENDPOINT_URL*, so it is passed as --endpoint-url)
# Prints one JSON line: {"ok","profile","bucket","key","accessKeyId","endpoint"}; exit 0 only when the
# object read back equals what was written. Never prints a secret.
set -euo pipefail
AWS=/usr/bin/aws   # Debian's, not the pyenv aws-cli v1 that may come first on PATH
profile=${1:?usage: awscli_check.sh PROFILE BUCKET [KEY]}
bucket=${2:?usage: awscli_check.sh PROFILE BUCKET [KEY]}
key=${3:-awscli/$(hostname)-$$}
: "${AWS_CONFIG_FILE:?set AWS_CONFIG_FILE to the aws/config file the agent writes}"
: "${AWS_ENDPOINT_URL_S3:?set AWS_ENDPOINT_URL_S3 to the store endpoint}"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE   # only the profile may answer
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export AWS_SHARED_CREDENTIALS_FILE="$tmp/none" AWS_PAGER=""
aws() { "$AWS" --profile "$profile" --endpoint-url "$AWS_ENDPOINT_URL_S3" "$@"; }

ak=$("$AWS" configure export-credentials --profile "$profile" --format process | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKeyId"])')
printf 'written by awscli_check %s\n' "$(date -u +%FT%TZ)" >"$tmp/put"
aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1 || aws s3api create-bucket --bucket "$bucket" >/dev/null
aws s3api put-object --bucket "$bucket" --key "$key" --body "$tmp/put" >/dev/null
aws s3api get-object --bucket "$bucket" --key "$key" "$tmp/got" >/dev/null
ok=false; cmp -s "$tmp/put" "$tmp/got" && ok=true
printf '{"ok":%s,"profile":"%s","bucket":"%s","key":"%s","accessKeyId":"%s","endpoint":"%s"}\n' "$ok" "$profile" "$bucket" "$key" "$ak" "$AWS_ENDPOINT_URL_S3"
[ "$ok" = true ]
