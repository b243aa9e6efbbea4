module github.com/rollout-go/rollout/cmd/rollout

go 1.26.0

require (
	github.com/hashicorp/go-multierror v1.1.1
	github.com/rollout-go/rollout v0.1.0
	github.com/rollout-go/rollout/boltstore v0.1.0
	github.com/rollout-go/rollout/jobspec v0.1.0
)

require (
	github.com/agext/levenshtein v1.2.1 // indirect
	github.com/apparentlymart/go-textseg/v15 v15.0.0 // indirect
	github.com/apparentlymart/go-textseg/v17 v17.0.1 // indirect
	github.com/benbjohnson/clock v1.3.5 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/hcl/v2 v2.25.0 // indirect
	github.com/mitchellh/go-wordwrap v1.0.1 // indirect
	github.com/zclconf/go-cty v1.20.0 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/mod v0.29.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.31.0 // indirect
	golang.org/x/tools v0.38.0 // indirect
)

replace (
	github.com/rollout-go/rollout => ../../
	github.com/rollout-go/rollout/boltstore => ../../boltstore
	github.com/rollout-go/rollout/jobspec => ../../jobspec
)
