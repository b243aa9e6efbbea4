module github.com/rollout-go/rollout/dashboard

go 1.25

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/rollout-go/rollout v0.0.0
)

require (
	github.com/benbjohnson/clock v1.3.5 // indirect
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
)

replace github.com/rollout-go/rollout => ../
