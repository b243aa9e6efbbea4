package index

import (
	"fmt"
	"strings"
	"testing"
)

// TestHashSpreads checks that every byte of a key reaches the hash: keys
// that differ in one byte, at any position and length, hash differently.
// (Hash is seeded at random; a chance collision of two of these 32-bit
// hashes is about one in 5 million runs.)
func TestHashSpreads(t *testing.T) {
	for n := 1; n <= 40; n++ {
		base := []byte("0123456789abcdef0123456789abcdef01234567"[:n])
		h0 := Hash(string(base))
		for i := range n {
			k := append([]byte(nil), base...)
			k[i] ^= 0x01
			if h := Hash(string(k)); h == h0 {
				t.Errorf("Hash(%q) = Hash(%q) = %08x", base, k, h)
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

// TestLoad checks Load, Add and Finish against Insert: the same
// duplicates, in order, with the keys not added (empty ones) left out, on
// a table of one region and on one of many.
func TestLoad(t *testing.T) {
	for _, n := range []int{200, 20000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var keys []string
			for i := range n {
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
			one, all := New(len(keys), key), new(Table)
			var want []Dup
			all.Load(len(keys), key)
			for i, k := range keys {
				if k == "" {
					continue
				}
				all.Add(i, Hash(k))
				if first, ok := one.Insert(i); !ok {
					want = append(want, Dup{First: first, At: i})
				}
			}
			got := all.Finish()
			if n > 1<<regionBits && len(all.slots)>>regionBits < 2 {
				t.Fatalf("%d slots: the table has one region", len(all.slots))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Finish duplicates = %v, want %v", got, want)
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
			// A table loaded again forgets what it held.
			all.Load(1, func(int) string { return "other" })
			all.Add(0, Hash("other"))
			if dups := all.Finish(); dups != nil || all.Find(keys[1]) != -1 || all.Find("other") != 0 {
				t.Errorf("rebuilt table: duplicates %v, Find(%q) = %d, Find(other) = %d; want none, -1, 0", dups, keys[1], all.Find(keys[1]), all.Find("other"))
			}
		})
	}
}

// TestLoadLongRuns checks Finish when every key's slot is in the first
// region: the region's bucket overflows into the spill list, and the probe
// runs pass the region's end and the next one's, so the table must empty
// regions ahead of the fill.
func TestLoadLongRuns(t *testing.T) {
	const n = 10000
	var tab Table
	tab.size(n, nil)
	mask := tab.mask
	var keys []string
	var hashes []uint32
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("key-%d", i)
		if h := Hash(k); h&mask < 1<<regionBits {
			keys, hashes = append(keys, k), append(hashes, h)
		}
	}
	// Make the reused memory dirty, as a previous fill leaves it.
	for i := range tab.slots {
		tab.slots[i] = ^uint64(0) >> 1
	}
	keys = append(keys, keys[7]) // and one duplicate, spilled
	hashes = append(hashes, hashes[7])
	tab.Load(len(keys), func(i int) string { return keys[i] })
	for i, h := range hashes {
		tab.Add(i, h)
	}
	if len(tab.spill) == 0 {
		t.Fatal("no key spilled: the test does not test the spill list")
	}
	dups := tab.Finish()
	if want := []Dup{{First: 7, At: len(keys) - 1}}; fmt.Sprint(dups) != fmt.Sprint(want) {
		t.Fatalf("Finish duplicates = %v, want %v", dups[:min(len(dups), 5)], want)
	}
	keys = keys[:len(keys)-1]
	for i, k := range keys {
		if got := tab.Find(k); got != i {
			t.Fatalf("Find(%q) = %d, want %d", k, got, i)
		}
	}
	if got := tab.Find("absent"); got != -1 {
		t.Errorf(`Find("absent") = %d, want -1`, got)
	}
}

// TestArenaSequence checks that an arena's identifiers are distinct, of
// IDLen hexadecimal digits, the same for the same seed, different for
// another seed, and that later ones do not overwrite earlier ones.
func TestArenaSequence(t *testing.T) {
	var ar, again, other Arena
	ar.Seed([]byte("alloc\x00job\x00"))
	again.Seed([]byte("alloc\x00job\x00"))
	other.Seed([]byte("alloc\x00job2\x00"))
	seen := map[string]bool{}
	var ids []string
	for n := range uint64(5000) {
		id := ar.Next(n)
		if len(id) != IDLen || strings.Trim(id, "0123456789abcdef") != "" || seen[id] {
			t.Fatalf("identifier %d is %q: want %d new hexadecimal digits", n, id, IDLen)
		}
		seen[id] = true
		ids = append(ids, id)
		if again.Next(n) != id || other.Next(n) == id {
			t.Fatalf("identifier %d: the same seed must give it again, another seed another one", n)
		}
	}
	for n, id := range ids {
		if !seen[id] || id != again.Next(uint64(n)) {
			t.Fatalf("identifier %d changed to %q", n, id)
		}
	}
}

// TestPutHex checks the identifiers' digits against fmt's: every nibble
// value in every position, and values of all sizes.
func TestPutHex(t *testing.T) {
	check := func(z uint64) {
		t.Helper()
		var got [16]byte
		putHex(got[:], z)
		if want := fmt.Sprintf("%016x", z); string(got[:]) != want {
			t.Fatalf("putHex(%#x) = %q, want %q", z, got[:], want)
		}
	}
	for pos := range 16 {
		for nib := range uint64(16) {
			check(nib << (4 * pos))
			check(^(nib << (4 * pos)))
		}
	}
	for z, k := uint64(1), 0; k < 64; z, k = z*3, k+1 {
		check(z)
		check(z * 0x9e3779b97f4a7c15)
	}
}
