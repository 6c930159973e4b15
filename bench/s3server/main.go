// s3server: a concurrent in-memory S3 server over TLS for the benchmarks (gofakes3, pinned in
// go.mod). -fill bucket/prefix:N:file puts N copies of file at prefix/part-%06d.parquet before
// serving, in process, so that 100,000 keys cost no uploads. Benchmarks only: it checks no
// signatures.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

type fills []string

func (f *fills) String() string     { return strings.Join(*f, ",") }
func (f *fills) Set(s string) error { *f = append(*f, s); return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	cert := flag.String("cert", "", "TLS certificate (PEM)")
	key := flag.String("key", "", "TLS key (PEM)")
	var fl fills
	flag.Var(&fl, "fill", "bucket/prefix:N:file (repeatable)")
	flag.Parse()

	backend := s3mem.New()
	for _, f := range fl {
		parts := strings.SplitN(f, ":", 3)
		if len(parts) != 3 {
			log.Fatalf("-fill %s: not bucket/prefix:N:file", f)
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			log.Fatalf("-fill %s: %v", f, err)
		}
		body, err := os.ReadFile(parts[2])
		if err != nil {
			log.Fatal(err)
		}
		bucket, prefix, _ := strings.Cut(parts[0], "/")
		if ok, _ := backend.BucketExists(bucket); !ok {
			if err := backend.CreateBucket(bucket); err != nil {
				log.Fatal(err)
			}
		}
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("%spart-%06d.parquet", prefix, i)
			if _, err := backend.PutObject(bucket, k, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
				log.Fatal(err)
			}
		}
	}
	faker := gofakes3.New(backend, gofakes3.WithAutoBucket(true), gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := &http.Server{Addr: *addr, Handler: faker.Server()}
	log.Printf("listening on %s", *addr)
	log.Fatal(srv.ListenAndServeTLS(*cert, *key))
}
