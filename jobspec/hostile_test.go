package jobspec_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout/jobspec"
)

// secret is what the granted test file system's secret.txt holds: no
// error may show it. The "(" makes it an invalid regular expression and
// the start an invalid number, JSON document and timestamp, so that the
// functions given it fail with messages that would quote it.
const secret = "hunter2(secret"

// hostileJob is a job whose group holds attr, at line 3, column 5.
func hostileJob(attr string) string {
	return "job \"j\" {\n  group \"g\" {\n    " + attr + "\n    task \"t\" { driver = \"exec\" }\n  }\n}\n"
}

// splitLocal defines local.x, a list of n one-character strings, built
// without range (which cty caps at 1024 values).
func splitLocal(n int) string {
	return fmt.Sprintf("locals {\n  x = split(\"\", format(\"%%%ds\", \"\"))\n}\n", n)
}

// recordingFS is a file system that records every file opened.
type recordingFS struct {
	fsys fs.FS
	mu   sync.Mutex
	open []string
}

func (r *recordingFS) Open(name string) (fs.File, error) {
	r.mu.Lock()
	r.open = append(r.open, name)
	r.mu.Unlock()
	return r.fsys.Open(name)
}

// Stat lets the loader check a file before it opens it; it reads nothing.
func (r *recordingFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(r.fsys, name) }

func grantedFS() *recordingFS {
	return &recordingFS{fsys: fstest.MapFS{
		"secret.txt": {Data: []byte(secret)},
		"zero":       {Mode: fs.ModeDevice | fs.ModeCharDevice},
		"pipe":       {Mode: fs.ModeNamedPipe},
		"dir/a.txt":  {Data: []byte("a")},
		"big.txt":    {Data: []byte(strings.Repeat("x", 64))},
	}}
}

// hostileCase is a job file that must be refused: quickly, in little
// memory, with an error at a position, wrapping a sentinel, never quoting
// a file.
type hostileCase struct {
	name string
	src  func() string
	// opts returns the options to load with, given the recording file
	// system (nil: Load's defaults, which grant no file).
	opts func(fsys fs.FS) *jobspec.Options
	want string // a fragment of the error
	at   string // its position, line:column
	is   error  // the sentinel it wraps, if any
	// reads marks a case that reads secret.txt on purpose, to check that
	// its content is not shown; the others open no file.
	reads bool
	// loads marks a costly file within the limits, which must load (and
	// within the cost bounds: 8,000 locals in reverse order took 24 s when
	// their order was found by passes; a JSON job with a 1 MiB key over
	// 40,000 values took gigabytes when every value's path was built).
	loads bool
}

func withFS(fsys fs.FS) *jobspec.Options { return &jobspec.Options{FS: fsys} }

func deep(open, close string, n int) string {
	return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
}

var hostileCases = []hostileCase{
	// Item 1: no file access unless granted; no escape from the grant.
	{name: "file-not-granted", src: func() string { return hostileJob(`count = file("/etc/passwd")`) },
		want: `file("/etc/passwd"): file access is not granted`, at: "3:13", is: jobspec.ErrFileAccess},
	{name: "meta-file-not-granted", src: func() string { return hostileJob(`meta { k = file("/etc/passwd") }`) },
		want: `file("/etc/passwd"): file access is not granted`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "absolute-path", src: func() string { return hostileJob(`meta { k = file("/etc/passwd") }`) }, opts: withFS,
		want: `file("/etc/passwd"): an absolute path is refused`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "dot-dot", src: func() string { return hostileJob(`meta { k = file("../../../../etc/hostname") }`) }, opts: withFS,
		want: `file("../../../../etc/hostname"): the path leaves the granted directory`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "dot-dot-inside", src: func() string { return hostileJob(`meta { k = file("dir/../../x") }`) }, opts: withFS,
		want: `file("dir/../../x"): the path leaves the granted directory`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "proc-environ", src: func() string { return hostileJob(`meta { k = file("/proc/self/environ") }`) }, opts: withFS,
		want: `file("/proc/self/environ"): an absolute path is refused`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "dev-zero", src: func() string { return hostileJob(`meta { k = file("/dev/zero") }`) }, opts: withFS,
		want: `file("/dev/zero"): an absolute path is refused`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "device", src: func() string { return hostileJob(`meta { k = file("zero") }`) }, opts: withFS,
		want: `file("zero"): not a regular file (a device)`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "named-pipe", src: func() string { return hostileJob(`meta { k = filebase64("pipe") }`) }, opts: withFS,
		want: `filebase64("pipe"): not a regular file (a named pipe)`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "directory", src: func() string { return hostileJob(`meta { k = file("dir") }`) }, opts: withFS,
		want: `file("dir"): not a regular file (a directory)`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "file-too-big", src: func() string { return hostileJob(`meta { k = file("big.txt") }`) },
		opts: func(fsys fs.FS) *jobspec.Options {
			return &jobspec.Options{FS: fsys, Limits: jobspec.Limits{FileBytes: 63}}
		},
		want: `file("big.txt"): larger than 63 bytes (Limits.FileBytes)`, at: "3:16", is: jobspec.ErrLimit},
	{name: "fileexists-not-granted", src: func() string { return hostileJob(`meta { k = fileexists("secret.txt") }`) },
		want: `fileexists("secret.txt"): file access is not granted`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "abspath-not-granted", src: func() string { return hostileJob(`meta { k = abspath("x") }`) }, opts: withFS,
		want: `abspath("x"): the host's paths are not granted`, at: "3:16", is: jobspec.ErrFileAccess},
	{name: "pathexpand-home", src: func() string { return hostileJob(`meta { k = pathexpand("~/.ssh/id_rsa") }`) },
		want: `pathexpand("~/.ssh/id_rsa"): the host's home directory is not granted`, at: "3:16", is: jobspec.ErrFileAccess},

	// A file's content is never shown, whatever refuses it.
	{name: "count-from-file", src: func() string { return hostileJob(`count = file("secret.txt")`) }, opts: withFS, reads: true,
		want: "count must be a whole number, not a value read from a file", at: "3:5"},
	{name: "parseint-from-file", src: func() string { return hostileJob(`count = parseint(file("secret.txt"), 10)`) }, opts: withFS, reads: true,
		want: "withheld", at: "3:22"},
	{name: "regex-from-file", src: func() string { return hostileJob(`meta { k = regex(file("secret.txt"), "x") }`) }, opts: withFS, reads: true,
		want: "withheld", at: "3:22"},
	{name: "jsondecode-from-file", src: func() string { return hostileJob(`meta { k = jsondecode(file("secret.txt")) }`) }, opts: withFS, reads: true,
		want: "withheld", at: "3:16"},
	{name: "timeadd-from-file", src: func() string { return hostileJob(`meta { k = timeadd(file("secret.txt"), "1h") }`) }, opts: withFS, reads: true,
		want: "withheld", at: "3:16"},
	{name: "local-from-file", src: func() string {
		return "locals {\n  s = file(\"secret.txt\")\n}\n" + hostileJob(`meta { k = tonumber(local.s) }`)
	}, opts: withFS, reads: true, want: "withheld", at: "6:25"},
	{name: "duration-from-file", src: func() string { return hostileJob(`reschedule { delay = file("secret.txt") }`) }, opts: withFS, reads: true,
		want: "reschedule.delay (a value read from a file): must be a duration", at: "3:18"},
	{name: "update-from-file", src: func() string { return hostileJob(`update { max_parallel = file("secret.txt") }`) }, opts: withFS, reads: true,
		want: "update.max_parallel (a value read from a file)", at: "3:14"},

	// Item 2: bounded cost, refused before the parser recurses.
	{name: "parens-100k", src: func() string { return hostileJob("count = " + deep("(", ")", 100_000)) },
		want: "nests deeper than 128 levels (Limits.Depth", at: "3:139", is: jobspec.ErrLimit},
	{name: "parens-40k", src: func() string { return hostileJob("count = " + deep("(", ")", 40_000)) },
		want: "nests deeper than 128 levels", at: "3:139", is: jobspec.ErrLimit},
	{name: "brackets-50k", src: func() string { return hostileJob("meta { k = " + deep("[", "]", 50_000) + " }") },
		want: "nests deeper than 128 levels", at: "3:141", is: jobspec.ErrLimit},
	{name: "blocks-100k", src: func() string { return hostileJob(strings.Repeat("meta {\n", 100_000)) },
		want: "nests deeper than 128 levels", at: "129:6", is: jobspec.ErrLimit},
	{name: "unary-100k", src: func() string { return hostileJob("count = " + strings.Repeat("-", 100_000) + "1") },
		want: "nests deeper than 128 levels", at: "3:139", is: jobspec.ErrLimit},
	{name: "binary-chain-1m", src: func() string { return hostileJob("count = " + strings.Repeat("1+", 1_000_000) + "1") },
		want: "nests deeper than 128 levels", at: "3:266", is: jobspec.ErrLimit},
	{name: "binary-chain-lines", src: func() string { return hostileJob("count = " + strings.Repeat("1 +\n", 100_000) + "1") },
		want: "nests deeper than 128 levels", at: "129:3", is: jobspec.ErrLimit},
	{name: "ternary-chain", src: func() string { return hostileJob("count = " + strings.Repeat("true ? 1 : ", 100_000) + "1") },
		want: "nests deeper than 128 levels", at: "3:1404", is: jobspec.ErrLimit},
	{name: "index-chain", src: func() string { return hostileJob("count = local.x" + strings.Repeat("[local.i]", 100_000)) },
		want: "nests deeper than 128 levels", at: "3:1145", is: jobspec.ErrLimit},
	{name: "nested-templates", src: func() string {
		return hostileJob("meta { k = " + strings.Repeat(`"${`, 50_000) + "1" + strings.Repeat(`}"`, 50_000) + " }")
	},
		want: "nests deeper than 128 levels", at: "3:203", is: jobspec.ErrLimit},
	{name: "nested-directives", src: func() string {
		return hostileJob("meta { k = <<EOT\n" + strings.Repeat("%{ if true }", 50_000) + strings.Repeat("%{ endif }", 50_000) + "\nEOT\n}")
	}, want: "nests deeper than 128 levels", at: "4:1477", is: jobspec.ErrLimit},
	{name: "setproduct", src: func() string { return hostileJob(`count = length(setproduct(range(200), range(200), range(200)))`) },
		want: "setproduct: would make more than 10000 elements (Limits.Elements)", at: "3:20", is: jobspec.ErrLimit},
	{name: "range", src: func() string { return hostileJob(`count = length(range(1e9))`) },
		want: "range: would make 1000000000 elements, more than 10000", at: "3:20", is: jobspec.ErrLimit},
	{name: "nested-for-range", src: func() string {
		return hostileJob(`count = length([for a in range(1000): [for b in range(1000): b]])`)
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "nested-for-10k", src: func() string {
		return splitLocal(9999) + hostileJob(`count = length([for a in local.x: [for b in local.x: b]])`)
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "for-sharing", src: func() string {
		return "locals {\n  x = split(\"\", format(\"%9999s\", \"\"))\n  y = [for a in range(1000): local.x]\n}\n" + hostileJob("count = 1")
	}, want: "holds more than 10000 elements (Limits.Elements)", at: "3:7", is: jobspec.ErrLimit},
	{name: "nested-dynamic", src: func() string {
		return splitLocal(9999) + hostileJob("dynamic \"meta\" {\n  for_each = local.x\n  content {\n    dynamic \"x\" {\n      for_each = local.x\n      content { a = 1 }\n    }\n  }\n}")
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "string-doubling", src: func() string {
		s := "locals {\n  a0 = \"xxxxxxxxxxxxxxxx\"\n"
		for i := 1; i < 40; i++ {
			s += fmt.Sprintf("  a%d = \"${local.a%d}${local.a%d}\"\n", i, i-1, i-1)
		}
		return s + "}\n" + hostileJob("meta { k = local.a39 }")
	}, want: "holds more than 1048576 bytes of strings (Limits.StringBytes)", at: "19:9", is: jobspec.ErrLimit},
	{name: "template-parts", src: func() string {
		return "locals {\n  s = format(\"%1000000s\", \"\")\n}\n" + hostileJob("meta { k = \""+strings.Repeat("${local.s}", 1000)+"\" }")
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "try-swallows", src: func() string {
		return hostileJob(`count = try(length(setproduct(range(200), range(200), range(200))), 1)`)
	}, want: "setproduct: would make more than 10000 elements", at: "3:13", is: jobspec.ErrLimit},
	{name: "locals-reversed", src: func() string {
		var b strings.Builder
		b.WriteString("locals {\n")
		for i := 0; i < 8000; i++ {
			fmt.Fprintf(&b, "  a%d = local.a%d\n", i, i+1)
		}
		b.WriteString("  a8000 = 1\n}\n")
		return b.String() + hostileJob("count = local.a0")
	}, loads: true},
	{name: "groups-times-job-meta", src: func() string {
		return splitLocal(9000) + `job "j" {
  meta = { for i, v in local.x : "k${i}" => v }
  dynamic "group" {
    for_each = local.x
    labels   = ["g${group.key}"]
    content {
      task "t" { driver = "exec" }
    }
  }
}
`
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "dynamic-artifacts", src: func() string {
		return splitLocal(9000) + hostileJob(`task "u" {
      driver = "exec"
      dynamic "artifact" {
        for_each = local.x
        content { source = "s" }
      }
    }`)
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "dynamic-big-lazy-expression", src: func() string {
		return splitLocal(9999) + hostileJob("dynamic \"meta\" {\n  for_each = local.x\n  content { k = try(1, ["+strings.Repeat("1,", 20_000)+"1]) }\n}")
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "dynamic-many-blocks", src: func() string {
		return splitLocal(9999) + hostileJob("dynamic \"meta\" {\n  for_each = local.x\n  content {\n"+strings.Repeat("x {}\n", 5000)+"  }\n}")
	}, want: "costs more than its budget of 250000 units (Limits.Work)", is: jobspec.ErrLimit},
	{name: "dynamic-reschedule-many-arguments", src: func() string {
		var attrs strings.Builder
		for i := range 5000 {
			fmt.Fprintf(&attrs, "x%d = 1\n", i)
		}
		return splitLocal(9999) + hostileJob("dynamic \"reschedule\" {\n  for_each = local.x\n  content {\n"+attrs.String()+"  }\n}")
	}, want: `unsupported argument "x0" in a reschedule block`, at: "9:1"},
	{name: "format-width", src: func() string { return hostileJob(`meta { k = format("%999999999d", 1) }`) },
		want: "format: would make a string of more than 1048576 bytes", at: "3:16", is: jobspec.ErrLimit},
	{name: "join-separator", src: func() string {
		return splitLocal(9000) + hostileJob(`meta { k = join(format("%1000s", ""), local.x) }`)
	}, want: "join: would make a string of more than 1048576 bytes", at: "6:16", is: jobspec.ErrLimit},
	{name: "replace-empty", src: func() string {
		return hostileJob(`meta { k = replace(format("%100000s", ""), "", format("%100s", "")) }`)
	}, want: "replace: would make a string of more than 1048576 bytes", at: "3:16", is: jobspec.ErrLimit},
	{name: "regexall-empty", src: func() string { return hostileJob(`meta { k = regexall("", format("%1000000s", "")) }`) },
		want: "regexall: would make more than 10000 elements", at: "3:16", is: jobspec.ErrLimit},
	{name: "jsondecode-deep", src: func() string { return hostileJob(`meta { k = jsondecode("` + deep("[", "]", 5000) + `") }`) },
		want: "jsondecode: the document nests deeper than 128 levels", at: "3:16", is: jobspec.ErrLimit},
	{name: "huge-number", src: func() string { return hostileJob(`meta { k = "${1e999999999}" }`) },
		want: "a number literal with an exponent beyond 1000 is refused", at: "3:19", is: jobspec.ErrLimit},
	{name: "huge-number-string", src: func() string { return hostileJob(`count = "1e999999999"`) },
		want: "count must be a whole number, not 1e999999999", at: "3:5"},
	{name: "huge-number-tonumber", src: func() string { return hostileJob(`count = tonumber("1e999999999")`) },
		want: "count must be a whole number, not +Inf", at: "3:5"},
	{name: "regex-big-pattern", src: func() string {
		return hostileJob(`meta { k = regexall(join("", [for i in range(1000): "(a|b)?"]), format("%100000s", "")) }`)
	}, want: "regexall: matching a regular expression takes up to its length times the string's", at: "3:16", is: jobspec.ErrLimit},
	{name: "distinct-quadratic", src: func() string {
		return splitLocal(9999) + hostileJob(`count = length(distinct(local.x))`)
	}, want: "distinct: distinct compares each element with the others, 49990000 steps, more than 16000000", at: "6:20", is: jobspec.ErrLimit},
	{name: "tuple-conversion", src: func() string {
		return splitLocal(9999) + hostileJob(`count = length(sort([for i, v in local.x : "${i}"]))`)
	}, want: "converting an argument, of 9999 elements, to a collection compares each element's type with the others'", at: "6:25", is: jobspec.ErrLimit},
	{name: "tolist-conversion", src: func() string {
		return splitLocal(9999) + hostileJob(`count = length(tolist([for i, v in local.x : "${i}"]))`)
	}, want: "converting the argument of tolist, of 9999 elements", at: "6:20", is: jobspec.ErrLimit},
	{name: "variable-conversion", src: func() string {
		return "variable \"x\" {\n  type = list(string)\n  default = [for i, v in split(\"\", format(\"%9999s\", \"\")) : \"${i}\"]\n}\n" + hostileJob(`count = length(var.x)`)
	}, want: "converting the value of variable x, of 9999 elements", at: "1:1", is: jobspec.ErrLimit},
	{name: "many-arguments", src: func() string {
		return hostileJob("count = coalesce(" + strings.Repeat("1, ", 20_000) + "1)")
	}, want: "coalesce: unifying the types of 20001 arguments compares each with the others, 200020000 steps", at: "3:13", is: jobspec.ErrLimit},
	{name: "conditional-unify", src: func() string {
		return splitLocal(9999) + hostileJob(`count = length(local.x[0] == "" ? [for i, v in local.x : "${i}"] : [1])`)
	}, want: "converting an argument, of 9999 elements, to a collection", at: "6:20", is: jobspec.ErrLimit},
	{name: "huge-product", src: func() string { return hostileJob(`meta { k = "${1e300 * 1e300 * 1e300 * 1e300 * 1e300}" }`) },
		want: "is a number beyond 2^±4096", at: "3:19", is: jobspec.ErrLimit},
	{name: "tuple-2m", src: func() string { return hostileJob("meta { k = [" + strings.Repeat("1,", 2_000_000) + "1] }") },
		want: "the job file holds more than 50000 tokens (Limits.Tokens)", at: "3:50006", is: jobspec.ErrLimit},
	{name: "tuple-20k", src: func() string { return hostileJob("meta { k = [" + strings.Repeat("1,", 20_000) + "1] }") },
		want: "holds more than 10000 elements (Limits.Elements)", at: "3:16", is: jobspec.ErrLimit},
	{name: "source-too-big", src: func() string { return hostileJob("# " + strings.Repeat("x", 4<<20)) },
		want: "the job file is larger than 4194304 bytes (Limits.SourceBytes)", at: "1:1", is: jobspec.ErrLimit},
	{name: "json-deep", src: func() string { return `{"Job": {"ID": "x", "Meta": ` + deep("[", "]", 100_000) + `}}` },
		want: "the job file nests deeper than 128 levels (Limits.Depth)", at: "1:155", is: jobspec.ErrLimit},
	{name: "json-values", src: func() string { return `{"Job":{"ID":"x","Meta":[` + strings.Repeat("1,", 2_000_000) + `1]}}` },
		want: "the job file holds more than 50000 values (Limits.Tokens)", at: "1:100011", is: jobspec.ErrLimit},
	{name: "json-long-key", src: func() string {
		return `{"Job":{"ID":"x","` + strings.Repeat("k", 1<<20) + `":[` + strings.Repeat("1,", 40_000) + `1]}}`
	}, loads: true},
	{name: "deep-var", src: func() string { return "variable \"n\" {\n  type = number\n}\n" + hostileJob("count = var.n") },
		opts: func(fs.FS) *jobspec.Options {
			return &jobspec.Options{Vars: map[string]string{"n": deep("(", ")", 100_000)}}
		}, want: "nests deeper than 128 levels", at: "1:129", is: jobspec.ErrLimit},
}

// loadHostile loads a case the way the tests do.
func loadHostile(c hostileCase) (*recordingFS, error) {
	rec := grantedFS()
	var opts *jobspec.Options
	if c.opts != nil {
		opts = c.opts(rec)
	}
	_, err := jobspec.Load("hostile.nomad", []byte(c.src()), opts)
	return rec, err
}

// TestHostileJobFiles: each hostile job file is refused with the error a
// user relies on (what, where, which sentinel), having opened no file but
// those a case reads on purpose, and never showing what a file holds.
func TestHostileJobFiles(t *testing.T) {
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := loadHostile(c)
			if c.loads {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded; want a refusal")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the secret file's content:\n%v", err)
			}
			var me *multierror.Error
			if !errors.As(err, &me) {
				t.Fatalf("error is %T, want a *multierror.Error", err)
			}
			var found *jobspec.Error
			for _, e := range me.Errors {
				var je *jobspec.Error
				if !errors.As(e, &je) {
					t.Errorf("%v is %T, want a *jobspec.Error", e, e)
					continue
				}
				if je.Err != nil && strings.Contains(je.Err.Error(), "hunter2") {
					t.Errorf("the underlying error shows the secret: %v", je.Err)
				}
				if found == nil && strings.Contains(je.Msg, c.want) {
					found = je
				}
			}
			if found == nil {
				t.Fatalf("no error says %q:\n%v", c.want, err)
			}
			if c.at != "" {
				if at := fmt.Sprintf("%d:%d", found.Pos.Line, found.Pos.Column); at != c.at || found.Pos.File == "" {
					t.Errorf("error at %s:%s, want %s: %v", found.Pos.File, at, c.at, found)
				}
			}
			if c.is != nil && !errors.Is(found, c.is) {
				t.Errorf("errors.Is(%v, %v) is false", found, c.is)
			}
			switch {
			case !c.reads && len(rec.open) > 0:
				t.Errorf("opened %q, want no file opened", rec.open)
			case c.reads && (len(rec.open) == 0 || slices.ContainsFunc(rec.open, func(n string) bool { return n != "secret.txt" })):
				t.Errorf("opened %q, want secret.txt only", rec.open)
			}
		})
	}
}

// TestLimitsAreSettable: a limit of Options.Limits replaces its default,
// both ways, and a negative one is refused.
func TestLimitsAreSettable(t *testing.T) {
	src := []byte(hostileJob("count = " + deep("(", ")", 200)))
	if _, err := jobspec.Load("deep.nomad", src, nil); !errors.Is(err, jobspec.ErrLimit) {
		t.Fatalf("200 parentheses under the default depth: %v, want ErrLimit", err)
	}
	j, err := jobspec.Load("deep.nomad", src, &jobspec.Options{Limits: jobspec.Limits{Depth: 300}})
	if err != nil {
		t.Fatalf("200 parentheses with Depth 300: %v", err)
	}
	if j.Version.Groups[0].Count != 1 {
		t.Errorf("count = %d, want 1", j.Version.Groups[0].Count)
	}
	small := &jobspec.Options{Limits: jobspec.Limits{Elements: 3}}
	if _, err := jobspec.Load("e.nomad", []byte(hostileJob(`meta { k = [1, 2, 3, 4] }`)), small); err == nil || !strings.Contains(err.Error(), "more than 3 elements (Limits.Elements)") {
		t.Errorf("4 elements with Elements 3: %v", err)
	}
	if _, err := jobspec.Load("n.nomad", src, &jobspec.Options{Limits: jobspec.Limits{Work: -1}}); err == nil || !strings.Contains(err.Error(), "Limits.Work = -1") {
		t.Errorf("a negative limit: %v, want it refused", err)
	}
}

// TestGrantedFileLoads: a file of the granted file system loads, and a
// caller can tell it from its position.
func TestGrantedFileLoads(t *testing.T) {
	rec := &recordingFS{fsys: fstest.MapFS{"tpl/app.conf": {Data: []byte("listen 8080\n")}}}
	j, err := jobspec.Load("web.nomad", []byte(hostileJob(`meta { conf = file("tpl/app.conf") }`)), &jobspec.Options{FS: rec})
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Groups[0].Fields[0].Value; got != "listen 8080\n" {
		t.Errorf("meta.conf = %q", got)
	}
	if len(rec.open) == 0 || slices.ContainsFunc(rec.open, func(n string) bool { return n != "tpl/app.conf" }) {
		t.Errorf("opened %q, want tpl/app.conf only", rec.open)
	}
}

// TestLimitNeverTruncates: whatever a limit, a job file either loads
// whole, as with no limit, or is refused with ErrLimit; no pass of the
// loader drops the refusal and returns what it read so far.
func TestLimitNeverTruncates(t *testing.T) {
	src, err := os.ReadFile("testdata/variables.nomad")
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, "\nlocals {\n  ports = [for p in range(30) : p]\n}\n"...)
	want, err := jobspec.Load("variables.nomad", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sweep := range []struct {
		limit    string
		to, step int
		set      func(*jobspec.Limits, int)
	}{
		{"Work", 3000, 7, func(l *jobspec.Limits, n int) { l.Work = n }},
		{"Elements", 40, 1, func(l *jobspec.Limits, n int) { l.Elements = n }},
		{"StringBytes", 400, 3, func(l *jobspec.Limits, n int) { l.StringBytes = n }},
		{"Tokens", 600, 5, func(l *jobspec.Limits, n int) { l.Tokens = n }},
		{"Depth", 12, 1, func(l *jobspec.Limits, n int) { l.Depth = n }},
	} {
		loaded := 0
		for n := 1; n <= sweep.to; n += sweep.step {
			var lim jobspec.Limits
			sweep.set(&lim, n)
			j, err := jobspec.Load("variables.nomad", src, &jobspec.Options{Limits: lim})
			switch {
			case err == nil:
				loaded++
				if d := cmp.Diff(want, j, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(jobspec.GroupSpec{}, jobspec.TaskSpec{})); d != "" {
					t.Fatalf("%s %d: loaded a different job (-unlimited +limited):\n%s", sweep.limit, n, d)
				}
			case !errors.Is(err, jobspec.ErrLimit):
				t.Fatalf("%s %d: %v, want ErrLimit", sweep.limit, n, err)
			}
		}
		if loaded == 0 || loaded == (sweep.to+sweep.step-1)/sweep.step {
			t.Errorf("%s: loaded %d times: the sweep must cross the file's cost", sweep.limit, loaded)
		}
	}
}

// TestNestingCountsOnlyCode: what the HCL parser does not recurse on, the
// nesting scan does not count: brackets in strings, heredocs and comments,
// escaped interpolations, items of a list, attributes of a body.
func TestNestingCountsOnlyCode(t *testing.T) {
	many := func(s string) string { return strings.Repeat(s, 500) }
	for _, tc := range []struct{ name, attr string }{
		{"brackets in a string", `meta { k = "` + many("([{") + `" }`},
		{"escaped quotes", `meta { k = "` + many(`\"(`) + `" }`},
		{"escaped interpolations", `meta { k = "` + many("$${(") + `" }`},
		{"brackets in a heredoc", "meta {\n  k = <<EOT\n" + many("([{") + "\nEOT\n}"},
		{"brackets in comments", "# " + many("(") + "\n    // " + many("[") + "\n    /* " + many("{") + " */"},
		{"list items", `meta { k = jsonencode([` + many("-1, ") + `1]) }`},
		{"body items", "meta {\n" + func() string {
			var b strings.Builder
			for i := range 500 {
				fmt.Fprintf(&b, "  k%d = 1 + 2\n", i)
			}
			return b.String()
		}() + "}"},
		{"object items", "meta = {\n" + many("  k = 1 + 2,\n") + "}"},
		{"templates one after another", `meta { k = "` + many("${1}%{ if true }x%{ endif }") + `" }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := jobspec.Load("ok.nomad", []byte(hostileJob(tc.attr)), nil); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}
