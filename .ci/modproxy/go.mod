module github.com/rollout-go/rollout/.ci/modproxy

go 1.26.0
