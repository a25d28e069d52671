// A long-lived minio-go (Debian golang-github-minio-minio-go-v7-dev, 7.0.46) consumer of the agent's
// endpoint: one client on NewChainCredentials(EnvAWS, IAM) for its whole life, as a task would hold it.
// Commands on stdin, one JSON line per command on stdout:
//   round <n>      put an object, get it back, compare; report the access key that signed
//   offset <secs>  run the credentials' expiry clock (IAM's Expiry.CurrentTime) that far ahead of real
//                  time, so the test can look at minio-go's refresh rule (80 % of the time to Expiration)
//                  without waiting minutes; "offset 0" goes back to real time
// Env: S3_ENDPOINT (host:port), S3_BUCKET, and the injected AWS_CONTAINER_* variables.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

var offset atomic.Int64 // nanoseconds

func clock() time.Time { return time.Now().Add(time.Duration(offset.Load())) }

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func main() {
	// As credentials.NewIAM builds it (its client is unexported), with the expiry clock reachable.
	iam := &credentials.IAM{Client: &http.Client{Transport: http.DefaultTransport}}
	iam.CurrentTime = clock
	creds := credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, iam})
	client, err := minio.New(os.Getenv("S3_ENDPOINT"), &minio.Options{Creds: creds, Secure: false, Region: os.Getenv("AWS_REGION")})
	if err != nil {
		emit(map[string]interface{}{"fatal": err.Error()})
		os.Exit(1)
	}
	bucket := os.Getenv("S3_BUCKET")
	ctx := context.Background()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fields := strings.Fields(in.Text())
		if len(fields) != 2 {
			continue
		}
		switch fields[0] {
		case "offset":
			secs, _ := strconv.ParseFloat(fields[1], 64)
			offset.Store(int64(secs * float64(time.Second)))
			emit(map[string]interface{}{"offset": secs})
		case "round":
			value, _ := creds.Get()
			out := map[string]interface{}{"round": fields[1], "accessKeyId": value.AccessKeyID, "anonymous": value.SignerType == credentials.SignatureAnonymous}
			key := "minio-go/" + fields[1]
			body := []byte("minio-go round " + fields[1] + " " + time.Now().UTC().Format(time.RFC3339Nano))
			_, err := client.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
			if err == nil {
				var obj *minio.Object
				obj, err = client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
				if err == nil {
					var got []byte
					got, err = io.ReadAll(obj)
					out["same"] = err == nil && bytes.Equal(got, body)
				}
			}
			out["ok"] = err == nil
			if err != nil {
				out["error"] = err.Error()
			}
			emit(out)
		}
	}
}
