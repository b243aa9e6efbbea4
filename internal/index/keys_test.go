package index

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestKeys checks Keys against a Table filled by Insert: the same
// duplicates in the same order, the same answers to Find (first by
// scanning, then through the table Find builds), skipped positions never
// found nor duplicates, and a Keys loaded again forgetting what it held.
func TestKeys(t *testing.T) {
	for _, n := range []int{0, 1, 7, 200, 20000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var keys []string
			for i := range n {
				switch {
				case i%37 == 5:
					keys = append(keys, "") // skipped
				case i%29 == 3 && i > 40:
					keys = append(keys, keys[i-40]) // a duplicate of an earlier key
				default:
					keys = append(keys, fmt.Sprintf("k%d", i))
				}
			}
			if n > 2 {
				keys = append(keys, keys[1], keys[1], "")
			}
			key := func(i int) string { return keys[i] }
			one := New(len(keys), key)
			var want []Dup
			var ks Keys
			ks.Load(len(keys), key)
			for i, k := range keys {
				if k == "" {
					ks.Skip(i)
					continue
				}
				ks.Add(i, Hash(k))
				if first, ok := one.Insert(i); !ok {
					want = append(want, Dup{First: first, At: i})
				}
			}
			if got := ks.Finish(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Finish duplicates = %v, want %v", got, want)
			}
			if n >= 200 && len(want) == 0 {
				t.Fatal("the test has no duplicates")
			}
			for i, k := range keys {
				if k != "" && ks.Find(k) != one.Find(k) {
					t.Fatalf("Find(%q) (lookup %d) = %d, want %d", k, i, ks.Find(k), one.Find(k))
				}
			}
			if n >= 200 && !ks.built {
				t.Error("many lookups did not build the table")
			}
			for _, k := range []string{"", "absent", "k"} {
				if got := ks.Find(k); got != -1 {
					t.Errorf("Find(%q) = %d, want -1", k, got)
				}
			}
			// A Keys loaded again forgets what it held.
			ks.Load(2, func(i int) string { return []string{"", "other"}[i] })
			ks.Skip(0)
			ks.Add(1, Hash("other"))
			if dups := ks.Finish(); dups != nil || (n > 2 && ks.Find(keys[1]) != -1) || ks.Find("other") != 1 || ks.Find("") != -1 {
				t.Errorf("reloaded: duplicates %v, Find(other) = %d, Find(\"\") = %d; want none, 1, -1", dups, ks.Find("other"), ks.Find(""))
			}
		})
	}
}

// TestKeysCandidates checks Finish when many keys share bitmap bits with
// distinct keys (a full bitmap), and when a duplicate's bit also holds
// other keys: only equal keys are duplicates.
func TestKeysCandidates(t *testing.T) {
	const n = 5000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%08x-id", rand.Uint32())
	}
	keys[n-1], keys[n-2] = keys[3], keys[3]
	var ks Keys
	ks.Load(n, func(i int) string { return keys[i] })
	// Every key's hash in one of 16 bitmap bits (the low 17 bits index a
	// bitmap of 5000 keys): nearly all are candidates.
	for i := range keys {
		h := Hash(keys[i])
		ks.Add(i, h&^0x1ffff|h&0xf)
	}
	one := New(n, func(i int) string { return keys[i] })
	var want []Dup
	for i := range keys {
		if first, ok := one.Insert(i); !ok {
			want = append(want, Dup{First: first, At: i})
		}
	}
	if got := ks.Finish(); fmt.Sprint(got) != fmt.Sprint(want) || len(want) != 2 {
		t.Fatalf("Finish duplicates = %v, want %v (two)", got, want)
	}
	if len(ks.hotPos) < n/2 {
		t.Errorf("%d keys compared: the test does not fill the bitmap", len(ks.hotPos))
	}
}

// TestEqual checks Equal against == at every length up to 40, for equal
// strings and strings differing in one byte.
func TestEqual(t *testing.T) {
	for n := range 41 {
		a := []byte("0123456789abcdef0123456789abcdef01234567"[:n])
		if !Equal(string(a), string(a)) {
			t.Errorf("Equal(%q, itself) = false", a)
		}
		if Equal(string(a), string(a)+"x") || Equal(string(a)+"x", string(a)) {
			t.Errorf("Equal(%q, longer) = true", a)
		}
		for i := range n {
			b := append([]byte(nil), a...)
			b[i] ^= 0x80
			if Equal(string(a), string(b)) {
				t.Errorf("Equal(%q, %q) = true", a, b)
			}
		}
	}
}
