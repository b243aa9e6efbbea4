module github.com/rollout-go/rollout/dashboard

go 1.25

require github.com/rollout-go/rollout v0.0.0

replace github.com/rollout-go/rollout => ../
