//go:build unix

package jobspec_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileChild names the case a child process of TestHostileCost loads.
const hostileChild = "JOBSPEC_HOSTILE_CHILD"

// Bounds of one hostile load, measured in a process of its own: its peak
// resident memory (the test binary's own included) and its CPU time.
// They are generous, so as never to flake on a loaded machine; the
// measured figures are logged (go test -v -run TestHostileCost).
const (
	maxHostileRSS = 100 << 20
	maxHostileCPU = 10 * time.Second
	// childHeapGuard stops a child whose heap runs away, so that a
	// regression fails the test instead of exhausting the machine.
	childHeapGuard = 1 << 30
)

var costLine = regexp.MustCompile(`hostile cost: cpu=(\d+)us rss=(\d+) refused=(.*)`)

// TestHostileCost loads each hostile job file in a child process (this
// test binary, run again) and holds its peak memory and CPU time to the
// bounds: a goroutine cannot be stopped, nor a process's memory measured
// from inside a test that shares it.
func TestHostileCost(t *testing.T) {
	if name := os.Getenv(hostileChild); name != "" {
		hostileChildMain(name)
		return
	}
	if testing.Short() {
		t.Skip("runs a process per case")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies resident memory; run without -race (CI does)")
	}
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileCost$", "-test.count=1")
			cmd.Env = append(os.Environ(), hostileChild+"="+c.name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			m := costLine.FindSubmatch(out)
			if m == nil {
				t.Fatalf("child printed no cost:\n%s", out)
			}
			cpuUS, _ := strconv.ParseInt(string(m[1]), 10, 64)
			rss, _ := strconv.ParseInt(string(m[2]), 10, 64)
			cpu := time.Duration(cpuUS) * time.Microsecond
			t.Logf("cpu %v, peak RSS %.1f MB", cpu.Round(time.Millisecond), float64(rss)/(1<<20))
			switch {
			case c.loads && string(m[3]) != "nothing":
				t.Errorf("child refused %q; want it loaded", m[3])
			case !c.loads && !strings.Contains(string(m[3]), c.want):
				t.Errorf("child's refusal %q does not say %q", m[3], c.want)
			}
			if rss > maxHostileRSS {
				t.Errorf("peak RSS %d bytes, want at most %d", rss, maxHostileRSS)
			}
			if cpu > maxHostileCPU {
				t.Errorf("CPU time %v, want at most %v", cpu, maxHostileCPU)
			}
		})
	}
}

// hostileChildMain loads one case and prints what it cost.
func hostileChildMain(name string) {
	var c *hostileCase
	for i := range hostileCases {
		if hostileCases[i].name == name {
			c = &hostileCases[i]
		}
	}
	if c == nil {
		fmt.Printf("no case %q\n", name)
		os.Exit(2)
	}
	go guardHeap()
	_, err := loadHostile(*c)
	refused := "nothing"
	if err != nil {
		refused = strings.ReplaceAll(err.Error(), "\n", " ")
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Println("getrusage:", err)
		os.Exit(2)
	}
	rss := int64(ru.Maxrss) * 1024 // kilobytes on Linux
	if runtime.GOOS == "darwin" {
		rss = int64(ru.Maxrss) // bytes on macOS
	}
	cpu := (ru.Utime.Nano() + ru.Stime.Nano()) / 1000
	fmt.Printf("hostile cost: cpu=%dus rss=%d refused=%s\n", cpu, rss, refused)
}

// guardHeap ends the process when its heap passes childHeapGuard.
func guardHeap() {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for {
		metrics.Read(s)
		if s[0].Value.Uint64() > childHeapGuard {
			fmt.Println("hostile cost: heap beyond the guard")
			os.Exit(3)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
