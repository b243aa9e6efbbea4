package dashboard

import (
	"net/http"
	"time"
)

// The limits NewServer sets on its connections.
const (
	// ServerReadHeaderTimeout bounds the reading of a request's headers:
	// a client that sends them slowly (slowloris) is disconnected.
	ServerReadHeaderTimeout = 10 * time.Second
	// ServerReadTimeout bounds the reading of a whole request, headers
	// and body; it does not bound the response (an event stream).
	ServerReadTimeout = time.Minute
	// ServerIdleTimeout closes a kept-alive connection with no request.
	ServerIdleTimeout = 2 * time.Minute
	// ServerMaxHeaderBytes caps a request's headers and URL.
	ServerMaxHeaderBytes = 64 << 10
)

// NewServer returns an http.Server for addr serving h, with the limits
// above and no WriteTimeout: an event stream is one long response (the
// dashboard bounds its writes one by one instead, and so lifts a
// WriteTimeout your own server may set). Use it, or set the same fields
// on your own server, for any server reachable by clients you do not
// control, the dashboard's and any other.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ServerReadHeaderTimeout,
		ReadTimeout:       ServerReadTimeout,
		IdleTimeout:       ServerIdleTimeout,
		MaxHeaderBytes:    ServerMaxHeaderBytes,
	}
}
