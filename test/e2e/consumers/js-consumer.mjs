// One long-lived @aws-sdk/client-s3 client on the default credential chain (remoteProvider → fromHttp
// from AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE), printing what it resolved.
import { S3Client } from "@aws-sdk/client-s3";

const [rounds, gap] = [Number(process.argv[2]), Number(process.argv[3])];
const client = new S3Client({ region: process.env.AWS_REGION ?? "us-east-1" });
for (let i = 0; i < rounds; i++) {
  const c = await client.config.credentials();
  console.log(JSON.stringify({ ak: c.accessKeyId, sk: c.secretAccessKey, exp: c.expiration?.toISOString() ?? null }));
  await new Promise((resolve) => setTimeout(resolve, gap * 1000));
}
client.destroy();
