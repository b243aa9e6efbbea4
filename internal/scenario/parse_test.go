package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	text := `# A file comment, ended by a blank line.

# Why the first case expects nothing.
reset name=x
----

# Why the job prints what it prints:
# two comment lines.
job id=j max_parallel=2
group web count=1 spec=a
----
old output
more old output

# The last case has no blank line after it.
advance 30s
----
`
	s, err := parse("t.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	type flat struct {
		Line     int
		Comment  []string
		Verb     string
		Pos      []string
		Args     []arg
		Input    []string
		Expected []string
	}
	var got []flat
	for _, c := range s.cases {
		got = append(got, flat{c.line, c.comment, c.verb, c.pos, c.args, c.input, c.expected})
	}
	want := []flat{
		{Line: 4, Comment: []string{"Why the first case expects nothing."}, Verb: "reset", Args: []arg{{"name", "x"}}},
		{Line: 9, Comment: []string{"Why the job prints what it prints:", "two comment lines."}, Verb: "job",
			Args: []arg{{"id", "j"}, {"max_parallel", "2"}}, Input: []string{"group web count=1 spec=a"},
			Expected: []string{"old output", "more old output"}},
		{Line: 16, Comment: []string{"The last case has no blank line after it."}, Verb: "advance", Pos: []string{"30s"}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(arg{})); diff != "" {
		t.Errorf("parse mismatch (-want +got):\n%s", diff)
	}

	// Rewriting replaces only the expected outputs.
	out := s.rewrite(map[*tcase][]string{s.cases[0]: {"new"}, s.cases[1]: nil, s.cases[2]: {"now +30s"}})
	wantText := strings.Replace(text, "reset name=x\n----\n", "reset name=x\n----\nnew\n", 1)
	wantText = strings.Replace(wantText, "old output\nmore old output\n", "", 1)
	wantText += "now +30s\n"
	if diff := cmp.Diff(wantText, out); diff != "" {
		t.Errorf("rewrite mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"no comment", "step\n----\n", "has no comment"},
		{"comment cut by a blank line", "# why\n\nstep\n----\n", "has no comment"},
		{"no separator", "# why\nstep\n", `has no "----" line`},
		{"repeated key", "# why\nstep at=+1s at=+2s\n----\n", "given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("t.txt", tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestScriptErrors(t *testing.T) {
	for _, tc := range []struct {
		name, verb, want string
		input            []string
	}{
		{name: "unknown verb", verb: "frobnicate", want: "unknown verb"},
		{name: "unknown key", verb: "step bogus=1", want: "unknown argument(s) bogus"},
		{name: "step before job", verb: "step", want: "no job submitted"},
		{name: "apply before step", verb: "apply", want: "no step output"},
		{name: "job without groups", verb: "job", want: "give the groups"},
		{name: "unknown alias", verb: "healthy ids=nope", want: `unknown allocation "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &tcase{input: tc.input}
			if err := c.parseVerb(tc.verb); err != nil {
				t.Fatal(err)
			}
			_, err := newRunner().exec(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exec error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestFmtDur(t *testing.T) {
	for in, want := range map[string]string{"0s": "0s", "30s": "30s", "10m": "10m", "1m30s": "1m30s", "1h": "1h", "1h0m30s": "1h0m30s", "1h10m": "1h10m"} {
		d, err := time.ParseDuration(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%s) = %q, want %q", in, got, want)
		}
	}
}
