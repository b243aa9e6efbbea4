//go:build !unix

package rollout_test

// cpuTime is not available on this system.
func cpuTime() (ns int64, ok bool) { return 0, false }
