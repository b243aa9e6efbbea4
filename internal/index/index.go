// Package index holds the lookup structures of the decision engine: a
// string-to-position table built in one allocation, for the allocation IDs
// of a step, and deterministic ID derivation.
package index

// Table maps distinct strings to their position in a slice, with open
// addressing in a single allocation. Each slot keeps the key's hash beside
// the position, so most probes never touch the key itself. Its hash is
// fixed (FNV-1a), so it has no random state and behaves the same on every
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

// Hash is 32-bit FNV-1a.
func Hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// Insert records position i for its key. It returns the position already
// recorded for an equal key and false when the key is a duplicate.
func (t *Table) Insert(i int) (int, bool) {
	k := t.keys(i)
	h := Hash(k)
	for p := h & t.mask; ; p = (p + 1) & t.mask {
		v := t.slots[p]
		if v == 0 {
			t.slots[p] = uint64(h)<<32 | uint64(i+1)
			return i, true
		}
		if uint32(v>>32) == h {
			if pos := int(uint32(v)) - 1; t.keys(pos) == k {
				return pos, false
			}
		}
	}
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
