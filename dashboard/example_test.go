package dashboard_test

import (
	"crypto/rand"
	"errors"
	"log"
	"net"
	"net/http"

	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/dashboard"
)

// A dashboard of a Manager's jobs, mounted under /rollouts/ and served
// with NewServer's timeouts. Commands are allowed from this machine only;
// the CSRF key would come from the deployment's secrets, the same on every
// replica.
func ExampleNewServer() {
	m, err := controller.NewManager(controller.ManagerConfig{Driver: rollouttest.NewRecordingDriver(), Store: controller.NewMemoryStore()})
	if err != nil {
		log.Fatal(err)
	}
	key := make([]byte, dashboard.MinCSRFKeyLength)
	_, _ = rand.Read(key)
	dash, err := dashboard.New(dashboard.ManagerBackend(m), dashboard.Options{
		Authorize: func(r *http.Request, a dashboard.Action) error {
			if host, _, _ := net.SplitHostPort(r.RemoteAddr); host != "127.0.0.1" && host != "::1" {
				return errors.New("only from this machine")
			}
			return nil
		},
		CSRFKey:        key,
		AllowedOrigins: []string{"https://rollouts.example.com"}, // the public origin, behind a TLS proxy
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/rollouts/", http.StripPrefix("/rollouts", dash))
	srv := dashboard.NewServer("127.0.0.1:8080", mux)
	_ = srv // go m.Run(ctx); log.Fatal(srv.ListenAndServe())
}
