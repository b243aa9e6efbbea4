// Package index holds the lookup structures of the decision engine: the
// allocation IDs of a step by position (Keys: duplicates found from their
// hashes, lookups), a string-to-position table filled cache region by
// cache region (Table), both reusable from one step to the next, and
// deterministic ID derivation.
package index

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
)

// Table maps distinct strings to their position in a slice, with open
// addressing in a single array. Each slot keeps the key's hash beside the
// position, so most probes never touch the key itself. Its answers do not
// depend on the hash's random seed (see Hash).
// A Table can be refilled (Load, Add, Finish), reusing its memory.
type Table struct {
	slots []uint64 // hash<<32 | position+1; 0 is empty
	mask  uint32
	keys  func(int) string
	// cleared is how many slots, from the first, Finish has emptied so far.
	cleared int
	// The keys added since Load, by region (see Add), kept for reuse.
	pairs     []uint64 // hash<<32 | position
	fill, end []int32  // per region: next free and end of its bucket in pairs
	spill     []uint64 // keys whose bucket was full, in order
}

// New returns an empty table for n keys, read through key(i).
func New(n int, key func(int) string) *Table {
	t := new(Table)
	t.size(n, key)
	clear(t.slots)
	t.cleared = len(t.slots)
	return t
}

// size sizes the table for n keys read through key(i), reusing its memory
// when that is large enough, and leaves its slots as they were.
func (t *Table) size(n int, key func(int) string) {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	if cap(t.slots) >= size {
		t.slots = t.slots[:size]
	} else {
		t.slots = make([]uint64, size)
	}
	t.mask, t.keys, t.cleared = uint32(size-1), key, 0
}

// Release forgets the keys, so that a table kept for reuse does not keep
// them alive.
func (t *Table) Release() { t.keys = nil }

// seed keys Hash. It is random, drawn once per process, so that no input
// can be crafted to make its keys collide (which would make a table's
// probes quadratic). Nothing the engine outputs depends on it: a table
// answers lookups, whatever the hash.
var seed = maphash.MakeSeed()

// Hash is the 32-bit hash of s that a Table uses: the runtime's string
// hash (hardware AES where the processor has it), folded to 32 bits.
func Hash(s string) uint32 {
	h := maphash.String(seed, s)
	return uint32(h ^ h>>32)
}

// Insert records position i for its key. It returns the position already
// recorded for an equal key and false when the key is a duplicate.
func (t *Table) Insert(i int) (int, bool) {
	return t.insert(i, Hash(t.keys(i)))
}

// insert is Insert with the key's hash h already known.
func (t *Table) insert(i int, h uint32) (int, bool) {
	for p := h & t.mask; ; p = (p + 1) & t.mask {
		if int(p) >= t.cleared { // a probe run longer than a region, in Finish
			t.clearTo(min(len(t.slots), int(p)+1<<regionBits))
		}
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

// regionBits sets the size of the regions Finish fills one at a time:
// 2^12 slots, 32 KiB, fit in a level-1 cache.
const regionBits = 12

// Load empties the table and sizes it for n keys, read through key(i), to
// be filled by Add and Finish: a caller that reads its keys in one pass
// hashes each and Adds it on the way, and Finish fills the table.
//
// That is faster than calling Insert in position order on a table larger
// than the cache, whose probes would land anywhere: Add sorts the keys by
// the region of the table their slot is in as they come (into buckets
// sized for the hash's even spread, with a spill list for a bucket that
// overflows), and Finish empties and fills the table one region at a time,
// so that a region is in the cache while it fills.
func (t *Table) Load(n int, key func(int) string) {
	t.size(n, key)
	regions := max(1, len(t.slots)>>regionBits)
	per := n / regions
	room := per + 4*int(math.Sqrt(float64(per))) + 16 // four standard deviations, and some
	if regions == 1 {
		room = n
	}
	t.pairs = resize(t.pairs, regions*room)
	t.fill, t.end = resize(t.fill, regions), resize(t.end, regions)
	for r := range regions {
		t.fill[r], t.end[r] = int32(r*room), int32((r+1)*room)
	}
	t.spill = t.spill[:0]
}

// Add records that the key at position i hashes to h (Hash(key(i))).
// Positions are added in increasing order; a position not added is never
// found.
func (t *Table) Add(i int, h uint32) {
	r := (h & t.mask) >> regionBits
	if k := t.fill[r]; k < t.end[r] {
		t.pairs[k] = uint64(h)<<32 | uint64(i)
		t.fill[r] = k + 1
		return
	}
	t.addSpill(i, h)
}

// addSpill records a key whose region's bucket is full.
func (t *Table) addSpill(i int, h uint32) {
	t.spill = append(t.spill, uint64(h)<<32|uint64(i))
}

// Finish fills the table with the added positions, as calling Insert for
// each in order would, and returns the duplicates ordered by At: nil when
// the keys are distinct. Equal keys hash to one region, where they were
// added in order, so the first of them is the one recorded.
func (t *Table) Finish() []Dup {
	var dups []Dup
	insert := func(v uint64) {
		if first, ok := t.insert(int(uint32(v)), uint32(v>>32)); !ok {
			dups = append(dups, Dup{First: first, At: int(uint32(v))})
		}
	}
	room := int(t.end[0])
	for r := range t.fill {
		// A probe runs on past its region's end: empty the next one too.
		t.clearTo(min(len(t.slots), (r+2)<<regionBits))
		for _, v := range t.pairs[r*room : t.fill[r]] {
			insert(v)
		}
	}
	// The spilled keys came after their regions' others: insert them last.
	for _, v := range t.spill {
		insert(v)
	}
	t.clearTo(len(t.slots))
	slices.SortFunc(dups, func(a, b Dup) int { return cmp.Compare(a.At, b.At) })
	return dups
}

// resize returns a slice of length n, reusing b's array when it is large
// enough; the contents are not cleared.
func resize[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// clearTo empties the slots up to slot end, if Finish has not yet.
func (t *Table) clearTo(end int) {
	if end > t.cleared {
		clear(t.slots[t.cleared:end])
		t.cleared = end
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
