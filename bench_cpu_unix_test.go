//go:build unix

package rollout_test

import "syscall"

// cpuTime returns the CPU time this process has used, user and system, in
// nanoseconds; ok is false when it cannot be read.
func cpuTime() (ns int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
