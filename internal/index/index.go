// Package index holds the lookup structures of the decision engine: a
// string-to-position table built in one allocation, for the allocation IDs
// of a step, and deterministic ID derivation.
package index

import "math/bits"

// Table maps distinct strings to their position in a slice, with open
// addressing in a single allocation. Each slot keeps the key's hash beside
// the position, so most probes never touch the key itself. Its hash is
// fixed (see Hash), so it has no random state and behaves the same on every
// run.
type Table struct {
	slots []uint64 // hash<<32 | position+1; 0 is empty
	mask  uint32
	keys  func(int) string
}

// New builds a table for n keys, read through key(i).
func New(n int, key func(int) string) *Table {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	return &Table{slots: make([]uint64, size), mask: uint32(size - 1), keys: key}
}

// Hash is a fixed 32-bit hash of s. It reads eight bytes at a time, mixing
// each word in with a multiply and a rotation, and ends with the
// splitmix64 finaliser so that every bit of s reaches the low bits (which
// pick the slot) and the high bits (kept as the slot's fingerprint). A
// byte-at-a-time hash costs a dependent multiply per byte; on 36-byte
// UUIDs this one is several times faster, which matters because Step
// hashes every allocation ID on every step.
func Hash(s string) uint32 {
	const k = 0x9e3779b97f4a7c15
	h := uint64(len(s)) * k
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = bits.RotateLeft64((h^w)*k, 31)
		s = s[8:]
	}
	if n := len(s); n > 0 {
		// The last 1 to 7 bytes, read without a loop: two 4-byte words that
		// overlap when n < 8, or the first, middle and last bytes when n < 4.
		var w uint64
		if n >= 4 {
			w = uint64(le32(s)) | uint64(le32(s[n-4:]))<<32
		} else {
			w = uint64(s[0]) | uint64(s[n/2])<<8 | uint64(s[n-1])<<16
		}
		h = bits.RotateLeft64((h^w)*k, 31)
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return uint32(h)
}

// le32 reads the first four bytes of s, little-endian, in one load.
func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// Insert records position i for its key. It returns the position already
// recorded for an equal key and false when the key is a duplicate.
func (t *Table) Insert(i int) (int, bool) {
	return t.insert(i, Hash(t.keys(i)))
}

// insert is Insert with the key's hash h already known.
func (t *Table) insert(i int, h uint32) (int, bool) {
	for p := h & t.mask; ; p = (p + 1) & t.mask {
		v := t.slots[p]
		if v == 0 {
			t.slots[p] = uint64(h)<<32 | uint64(i+1)
			return i, true
		}
		if uint32(v>>32) == h {
			if pos := int(uint32(v)) - 1; t.keys(pos) == t.keys(i) {
				return pos, false
			}
		}
	}
}

// Dup is a key met twice: recorded at First, met again at At.
type Dup struct{ First, At int }

// InsertAll inserts positions 0 to n-1 in order, as Insert would, except
// that empty keys are left out (Find never finds ""). It returns the
// duplicates in position order: nil when the keys are distinct.
//
// It is faster than calling Insert n times: it hashes a run of keys before
// probing for them, so that the processor has the run's probes, which
// mostly miss the cache on a large table, in flight at once.
func (t *Table) InsertAll(n int) []Dup {
	const run = 32
	var hs [run]uint32
	var dups []Dup
	for base := 0; base < n; base += run {
		end := min(base+run, n)
		var empty uint32 // bit i-base: key i is empty
		for i := base; i < end; i++ {
			k := t.keys(i)
			if k == "" {
				empty |= 1 << (i - base)
			}
			hs[i-base] = Hash(k)
		}
		for i := base; i < end; i++ {
			if empty&(1<<(i-base)) != 0 {
				continue
			}
			if first, ok := t.insert(i, hs[i-base]); !ok {
				dups = append(dups, Dup{First: first, At: i})
			}
		}
	}
	return dups
}

// Find returns the position recorded for key, or -1.
func (t *Table) Find(key string) int {
	h := Hash(key)
	for p := h & t.mask; ; p = (p + 1) & t.mask {
		v := t.slots[p]
		if v == 0 {
			return -1
		}
		if uint32(v>>32) == h {
			if pos := int(uint32(v)) - 1; t.keys(pos) == key {
				return pos
			}
		}
	}
}
