package etcdstore

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The keys of a store under prefix P, for a job whose escaped ID is E
// (see escapeID):
//
//	P/jobs/E/state   the job's state (controller.EncodeState)
//	P/leases/E/...   the job's election (one key per candidate)
//
// E never holds a '/', and each key puts one after it, so that no job's
// key or election prefix is a prefix of another job's: the election of
// "a" (P/leases/a/) does not contain the candidates of "a/b"
// (P/leases/a%2Fb/), and an ID is read back exactly from its state key.

const (
	jobsDir   = "/jobs/"
	leasesDir = "/leases/"
	stateName = "/state"
)

// escapeID returns a job ID as one key segment: every byte of '/', '%',
// ' ', a character that is not printable or a byte that is not UTF-8 is
// written %XX (two upper-case hex digits); everything else, letters of any
// script included, is kept, so that simple IDs read as they are. The
// result never holds a '/', and different IDs have different results.
func escapeID(id string) string {
	if !needsEscape(id) {
		return id
	}
	var b strings.Builder
	b.Grow(len(id) + 8)
	for i := 0; i < len(id); {
		r, size := utf8.DecodeRuneInString(id[i:])
		if keep(r, size) {
			b.WriteString(id[i : i+size])
		} else {
			for _, c := range []byte(id[i : i+size]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether escapeID changes id.
func needsEscape(id string) bool {
	for i := 0; i < len(id); {
		r, size := utf8.DecodeRuneInString(id[i:])
		if !keep(r, size) {
			return true
		}
		i += size
	}
	return false
}

// keep reports whether escapeID keeps a decoded character as it is.
func keep(r rune, size int) bool {
	if r == utf8.RuneError && size == 1 {
		return false // a byte that is not UTF-8
	}
	return r != '/' && r != '%' && r != ' ' && unicode.IsPrint(r)
}

// errBadSegment: a key segment that escapeID did not write.
var errBadSegment = errors.New("not an escaped job ID")

// unescapeID reads back what escapeID wrote. Anything else (a '/', a '%'
// not followed by two upper-case hex digits, a character escaped that
// escapeID keeps or kept that it escapes) fails with errBadSegment, so
// that each ID has exactly one segment.
func unescapeID(seg string) (string, error) {
	if !strings.Contains(seg, "%") {
		if needsEscape(seg) {
			return "", errBadSegment
		}
		return seg, nil
	}
	b := make([]byte, 0, len(seg))
	for i := 0; i < len(seg); i++ {
		if seg[i] != '%' {
			b = append(b, seg[i])
			continue
		}
		if i+2 >= len(seg) {
			return "", errBadSegment
		}
		hi, ok1 := unhex(seg[i+1])
		lo, ok2 := unhex(seg[i+2])
		if !ok1 || !ok2 {
			return "", errBadSegment
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	id := string(b)
	if escapeID(id) != seg {
		return "", errBadSegment
	}
	return id, nil
}

// unhex is the value of an upper-case hex digit.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// jobFromStateKey returns the job ID of a state key of the jobs prefix
// (a key P/jobs/E/state, given without P/jobs/).
func jobFromStateKey(rest string) (string, error) {
	seg, ok := strings.CutSuffix(rest, stateName)
	if !ok || strings.Contains(seg, "/") {
		return "", errBadSegment
	}
	return unescapeID(seg)
}

// shortKey is a key for an error message: quoted, its middle cut when it
// is long.
func shortKey(k string) string {
	const limit = 200
	if len(k) <= limit {
		return fmt.Sprintf("%q", k)
	}
	return fmt.Sprintf("%q...%q (%d bytes)", k[:limit/2], k[len(k)-limit/2:], len(k))
}
