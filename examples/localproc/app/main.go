// Command app is the tiny HTTP server the localproc example rolls out: it
// answers / with its version and /health with 200, or with 500 when it is
// the broken build (-broken).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	fd := flag.Int("listen-fd", 0, "serve on this inherited listening socket instead of -addr")
	version := flag.String("version", "v1", "the version it reports")
	broken := flag.Bool("broken", false, "fail /health")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, *version) })
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if *broken {
			http.Error(w, "broken build", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	// Timeouts, so that a client that sends its request slowly, or holds
	// an idle connection, is disconnected.
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	if *fd != 0 {
		ln, err := net.FileListener(os.NewFile(uintptr(*fd), "listener"))
		if err != nil {
			log.Fatal(err)
		}
		log.Fatal(srv.Serve(ln))
	}
	log.Fatal(srv.ListenAndServe())
}
