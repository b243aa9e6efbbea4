module github.com/rollout-go/rollout/boltstore

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/rollout-go/rollout v0.1.0
	go.etcd.io/bbolt v1.5.0
)

require (
	github.com/benbjohnson/clock v1.3.5 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
	golang.org/x/sys v0.45.0 // indirect
)

replace github.com/rollout-go/rollout => ../
