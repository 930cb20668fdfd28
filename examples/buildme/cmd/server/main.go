// The buildme server: receives messages over HTTP and sends back their "translation".
package main

import (
	"io"
	"log"
	"net/http"
	"os"
	"strings"
)

// version is set at build time: go build -ldflags "-X main.version=v0.0.1"
var version string

func main() {
	if version != "" {
		log.Printf("Version: %s", version)
	}
	addr := os.Getenv("BUILDME_ADDR")
	if addr == "" {
		addr = ":3000"
	}
	http.HandleFunc("/translate", handleTranslate)
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	log.Println("Starting server...")
	log.Printf("Listening on HTTP port %s", addr[strings.LastIndex(addr, ":")+1:])
	log.Fatal(http.ListenAndServe(addr, nil))
}

func handleTranslate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	reply := translate(string(body))
	log.Printf("translated %q -> %q", string(body), reply)
	io.WriteString(w, reply)
}
