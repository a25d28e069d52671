// Scenario 6, JS half: @aws-sdk/client-s3 on its default credential chain (the agent's endpoint:
// AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) and AWS_ENDPOINT_URL_S3,
// as a task would use it: put objects, read them back.
//
// Usage: node sdk_s3_check.mjs BUCKET [COUNT=3]
// Env:   AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (or _TOKEN),
//        AWS_ENDPOINT_URL_S3, AWS_REGION — what the webhook injects.
// Prints one JSON line: {"ok","bucket","objects","accessKeyIds","endpoint","failures":[{op,key,error,status}]};
// exit 0 only when every object read back intact. Never prints a secret.
//
// Two settings a task needs against Ceph RGW 16.2 (measured with @aws-sdk/client-s3 3.x): checksums only when
// required (RGW answers 411 to the SDK's default aws-chunked uploads) and path-style addressing.
import { CreateBucketCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const bucket = process.argv[2];
const count = Number(process.argv[3] ?? "3");
if (!bucket || !Number.isInteger(count) || count < 1) {
  console.error("usage: node sdk_s3_check.mjs BUCKET [COUNT]");
  process.exit(2);
}
const client = new S3Client({ forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED", maxAttempts: 1 });
const failures = [];
const keys = new Set();
const attempt = async (op, key, fn) => {
  try {
    return await fn();
  } catch (err) {
    failures.push({ op, key, error: `${err.name}: ${err.message}`, status: err.$metadata?.httpStatusCode ?? null });
    return undefined;
  }
};
const prefix = `sdk-js/${process.pid}-${Date.now()}`;
if ((await attempt("head_bucket", null, () => client.send(new HeadBucketCommand({ Bucket: bucket })))) === undefined && failures.at(-1)?.status === 404) {
  failures.pop();
  await attempt("create_bucket", null, () => client.send(new CreateBucketCommand({ Bucket: bucket })));
}
let intact = 0;
for (let i = 0; i < count; i++) {
  const key = `${prefix}/${i}`;
  const body = `written by sdk_s3_check ${key} ${new Date().toISOString()}\n`;
  keys.add((await client.config.credentials()).accessKeyId);
  if ((await attempt("put", key, () => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })))) === undefined) continue;
  const got = await attempt("get", key, async () => (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToString());
  if (got === body) intact++;
  else if (got !== undefined) failures.push({ op: "get", key, error: "body differs from what was written", status: null });
}
const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? null;
const ok = failures.length === 0 && intact === count;
console.log(JSON.stringify({ ok, bucket, objects: intact, accessKeyIds: [...keys], endpoint, failures }));
client.destroy();
process.exit(ok ? 0 : 1);
