module github.com/rollout-go/rollout/dashboard

go 1.26.0

require (
	github.com/chromedp/chromedp v0.24.0
	github.com/rollout-go/rollout v0.1.0
)

require (
	github.com/benbjohnson/clock v1.3.5 // indirect
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
)

replace github.com/rollout-go/rollout => ../
