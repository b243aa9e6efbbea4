module github.com/rollout-go/rollout

go 1.26.0

require (
	github.com/benbjohnson/clock v1.3.5
	github.com/google/go-cmp v0.7.0
	github.com/hashicorp/go-multierror v1.1.1
	pgregory.net/rapid v1.3.0
)

require github.com/hashicorp/errwrap v1.0.0 // indirect
