package scenario

import (
	"fmt"
	"strings"
)

// separator ends a case's input and starts its expected output.
const separator = "----"

// script is a parsed scenario file.
type script struct {
	path  string
	lines []string // the file, line by line, for rewriting
	cases []*tcase
}

// tcase is one case of a script:
//
//	# why this case expects what it expects
//	verb pos key=value ...
//	input lines
//	----
//	expected output
//
// The expected output ends at a blank line or at the end of the file.
type tcase struct {
	line     int      // 1-based line of the verb
	comment  []string // the comment lines right above the verb, without "#"
	verb     string
	pos      []string // positional arguments, in order
	args     []arg    // key=value arguments, in order
	input    []string
	expected []string
	// expStart and expEnd delimit the expected output in script.lines
	// (0-based, end exclusive), for rewriting.
	expStart, expEnd int
}

type arg struct{ key, value string }

// parse reads a script. Every case needs a comment, a verb and a separator.
func parse(path, text string) (*script, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	s := &script{path: path, lines: lines}
	var comment []string
	for i := 0; i < len(lines); {
		l := lines[i]
		switch {
		case strings.TrimSpace(l) == "":
			comment = nil
			i++
			continue
		case strings.HasPrefix(l, "#"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(l, "#")))
			i++
			continue
		}
		c := &tcase{line: i + 1, comment: comment}
		comment = nil
		if len(c.comment) == 0 {
			return nil, fmt.Errorf("%s:%d: case %q has no comment: say above it, after #, why it expects what it expects", path, i+1, l)
		}
		if err := c.parseVerb(l); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		i++
		for ; i < len(lines) && lines[i] != separator; i++ {
			c.input = append(c.input, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s:%d: case %q has no %q line before the end of the file", path, c.line, c.verb, separator)
		}
		i++
		c.expStart = i
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			c.expected = append(c.expected, lines[i])
		}
		c.expEnd = i
		s.cases = append(s.cases, c)
	}
	return s, nil
}

func (c *tcase) parseVerb(l string) error {
	fields := strings.Fields(l)
	c.verb = fields[0]
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			c.pos = append(c.pos, f)
			continue
		}
		if k == "" {
			return fmt.Errorf("argument %q has no key", f)
		}
		if seen[k] {
			return fmt.Errorf("argument %q is given twice", k)
		}
		seen[k] = true
		c.args = append(c.args, arg{k, v})
	}
	return nil
}

// rewrite returns the script's text with each case's expected output
// replaced by got[case].
func (s *script) rewrite(got map[*tcase][]string) string {
	var b strings.Builder
	next := 0
	for _, c := range s.cases {
		for _, l := range s.lines[next:c.expStart] {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		out, ok := got[c]
		if !ok {
			out = c.expected
		}
		for _, l := range out {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		next = c.expEnd
	}
	for _, l := range s.lines[next:] {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// args reads a case's key=value arguments (checkKeys has vetted them).
type args struct{ c *tcase }

func newArgs(c *tcase) *args { return &args{c: c} }

func (a *args) get(key string) (string, bool) {
	for _, kv := range a.c.args {
		if kv.key == key {
			return kv.value, true
		}
	}
	return "", false
}

func (a *args) has(key string) bool {
	_, ok := a.get(key)
	return ok
}
