package etcdstore

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// keyIDs are job IDs whose keys must stay apart: prefixes of each other,
// the escape character and its escapes, slashes, unicode, long.
var keyIDs = []string{
	"a", "a/b", "a/", "/a", "a%2Fb", "a%", "%", "%%", "", "a b", "ab",
	"ジョブ", "ジョブ/1", "🚀", "e\u0301", "tab\there", "nul\x00", "del\x7f", "\u2028",
	"bad\xffutf8", strings.Repeat("x", 4096), strings.Repeat("/", 100),
}

// TestEscapeID: an escaped ID holds no '/', reads back exactly, and no
// ID's state key or election prefix is a prefix of another's; simple IDs
// read as they are.
func TestEscapeID(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"web", "web"},
		{"job-1.v2_x", "job-1.v2_x"},
		{"a/b", "a%2Fb"},
		{"a/", "a%2F"},
		{"a%2Fb", "a%252Fb"},
		{"a b", "a%20b"},
		{"", ""},
		{"ジョブ", "ジョブ"},
		{"🚀", "🚀"},
		{"nul\x00", "nul%00"},
		{"\u2028", "%E2%80%A8"}, // a line separator is not printable
		{"bad\xff", "bad%FF"},
	} {
		if got := escapeID(c.id); got != c.want {
			t.Errorf("escapeID(%q) = %q, want %q", c.id, got, c.want)
		}
	}
	seen := map[string]string{}
	for _, id := range keyIDs {
		e := escapeID(id)
		if strings.Contains(e, "/") {
			t.Errorf("escapeID(%q) = %q holds a '/'", id, e)
		}
		if back, err := unescapeID(e); err != nil || back != id {
			t.Errorf("unescapeID(escapeID(%q)) = %q, %v", id, back, err)
		}
		if other, dup := seen[e]; dup {
			t.Errorf("escapeID(%q) = escapeID(%q) = %q", id, other, e)
		}
		seen[e] = id
	}
	for _, a := range keyIDs {
		for _, b := range keyIDs {
			if a == b {
				continue
			}
			ka, kb := "/p"+jobsDir+escapeID(a)+stateName, "/p"+jobsDir+escapeID(b)+stateName
			if strings.HasPrefix(kb, ka) {
				t.Errorf("state key of %q is a prefix of the state key of %q", a, b)
			}
			// concurrency.NewElection adds the '/'.
			ea, eb := "/p"+leasesDir+escapeID(a)+"/", "/p"+leasesDir+escapeID(b)+"/"
			if strings.HasPrefix(eb, ea) {
				t.Errorf("election of %q holds the election of %q", a, b)
			}
		}
	}
}

// TestUnescapeIDRefuses: a segment escapeID did not write is refused, so
// each ID has one segment only.
func TestUnescapeIDRefuses(t *testing.T) {
	for _, seg := range []string{
		"a/b",       // a raw '/'
		"a b",       // a raw space
		"%",         // a cut escape
		"%2",        // a cut escape
		"%2f",       // lower-case hex
		"%GG",       // not hex
		"%61",       // 'a' escaped
		"%E3%82%B8", // ジ escaped
		"\xff",      // a raw byte that is not UTF-8
		"nul\x00",   // a raw control character
	} {
		if id, err := unescapeID(seg); !errors.Is(err, errBadSegment) {
			t.Errorf("unescapeID(%q) = %q, %v; want errBadSegment", seg, id, err)
		}
	}
}

// TestJobFromStateKey: only P/jobs/E/state keys name a job.
func TestJobFromStateKey(t *testing.T) {
	for _, c := range []struct {
		rest, id string
		ok       bool
	}{
		{"web/state", "web", true},
		{"a%2Fb/state", "a/b", true},
		{"/state", "", true},
		{"web", "", false},         // the layout before escaping
		{"a/b/state", "", false},   // a raw '/'
		{"web/state/x", "", false}, // not a state key
		{"web/lease", "", false},   // not a state key
		{"%zz/state", "", false},   // a bad escape
	} {
		id, err := jobFromStateKey(c.rest)
		if (err == nil) != c.ok || id != c.id {
			t.Errorf("jobFromStateKey(%q) = %q, %v; want %q, ok %v", c.rest, id, err, c.id, c.ok)
		}
	}
}

// FuzzUnescapeID: unescapeID never panics, accepts exactly what escapeID
// writes, and escapeID's output always reads back.
func FuzzUnescapeID(f *testing.F) {
	for _, id := range keyIDs {
		f.Add(id)
		f.Add(escapeID(id))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := unescapeID(s); err == nil && escapeID(id) != s {
			t.Errorf("unescapeID(%q) = %q, which escapes to %q", s, id, escapeID(id))
		}
		e := escapeID(s)
		if back, err := unescapeID(e); err != nil || back != s {
			t.Errorf("unescapeID(escapeID(%q)) = %q, %v", s, back, err)
		}
		if strings.Contains(e, "/") || !utf8.ValidString(e) {
			t.Errorf("escapeID(%q) = %q: holds a '/' or is not UTF-8", s, e)
		}
	})
}
