package index

import (
	"fmt"
	"testing"
)

// TestHashSpreads checks that every byte of a key reaches the hash: keys
// that differ in one byte, at any position and length, hash differently,
// in the low bits (the slot) as in the high bits (the fingerprint).
func TestHashSpreads(t *testing.T) {
	for n := 1; n <= 40; n++ {
		base := []byte("0123456789abcdef0123456789abcdef01234567"[:n])
		h0 := Hash(string(base))
		for i := range n {
			k := append([]byte(nil), base...)
			k[i] ^= 0x01
			h := Hash(string(k))
			if h&0xffff == h0&0xffff || h>>16 == h0>>16 {
				t.Errorf("Hash(%q) = %08x and Hash(%q) = %08x share 16 bits", base, h0, k, h)
			}
		}
	}
	if Hash("") == Hash("\x00") {
		t.Error(`Hash("") == Hash("\x00"): the length is not hashed`)
	}
}

// TestHashSlots checks that sequential, UUID-shaped keys spread over the
// slots of a table: no probe run is long.
func TestHashSlots(t *testing.T) {
	const n = 1 << 14
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("00000000-0000-4000-8000-%012x", i)
	}
	tab := New(n, func(i int) string { return keys[i] })
	for i := range keys {
		tab.Insert(i)
	}
	run, longest := 0, 0
	for _, v := range tab.slots {
		if v == 0 {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	if longest > 64 {
		t.Errorf("longest run of occupied slots is %d; the hash clusters", longest)
	}
}

// TestInsertAll checks InsertAll against Insert: the same duplicates, in
// order, across runs of keys, with empty keys left out.
func TestInsertAll(t *testing.T) {
	var keys []string
	for i := range 200 {
		switch {
		case i%37 == 5:
			keys = append(keys, "")
		case i%29 == 3 && i > 40:
			keys = append(keys, keys[i-40]) // a duplicate of an earlier key
		default:
			keys = append(keys, fmt.Sprintf("k%d", i))
		}
	}
	keys = append(keys, keys[1], keys[1])
	key := func(i int) string { return keys[i] }
	one, all := New(len(keys), key), New(len(keys), key)
	var want []Dup
	for i, k := range keys {
		if k == "" {
			continue
		}
		if first, ok := one.Insert(i); !ok {
			want = append(want, Dup{First: first, At: i})
		}
	}
	got := all.InsertAll(len(keys))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("InsertAll duplicates = %v, want %v", got, want)
	}
	if len(got) == 0 {
		t.Fatal("the test has no duplicates")
	}
	for _, k := range keys {
		if k != "" && all.Find(k) != one.Find(k) {
			t.Errorf("Find(%q) = %d, want %d", k, all.Find(k), one.Find(k))
		}
	}
	if all.Find("") != -1 {
		t.Error(`Find("") found the empty key`)
	}
}
