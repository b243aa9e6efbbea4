// Package index holds the lookup structures of the decision engine: a
// string-to-position table for the allocation IDs of a step, reusable from
// one step to the next and filled cache region by cache region, and
// deterministic ID derivation.
package index

import (
	"cmp"
	"hash/maphash"
	"slices"
)

// Table maps distinct strings to their position in a slice, with open
// addressing in a single array. Each slot keeps the key's hash beside the
// position, so most probes never touch the key itself. Its answers do not
// depend on the hash's random seed (see Hash).
// A Table can be refilled by Build, reusing its memory.
type Table struct {
	slots []uint64 // hash<<32 | position+1; 0 is empty
	mask  uint32
	keys  func(int) string
	// cleared is how many slots, from the first, Build has emptied so far.
	cleared int
	// Build's working space, kept for the next Build.
	pairs  []uint64
	counts []int32
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
		if int(p) >= t.cleared { // a probe run longer than a region, in Build
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

// regionBits sets the size of the regions Build fills one at a time: 2^12
// slots, 32 KiB, fit in a level-1 cache.
const regionBits = 12

// Build empties the table and fills it with positions 0 to len(hashes)-1,
// whose keys, read through key(i), hash to hashes[i] (Hash(key(i))), as
// calling Insert for each in order would, except that it leaves out the
// positions listed in skip (ascending; Find never finds them). It returns
// the duplicates ordered by At: nil when the keys are distinct.
//
// It is faster than calling Insert in order on a table larger than the
// cache, whose probes would land anywhere: it sorts the positions by the
// region of the table their slot is in (a counting sort, stable, so equal
// keys keep their order and the first one is the one recorded), and it
// empties and fills the table one region at a time, so that a region is
// in the cache while it fills.
func (t *Table) Build(key func(int) string, hashes []uint32, skip []int32) []Dup {
	t.size(len(hashes), key)
	var dups []Dup
	insert := func(i int, h uint32) {
		if first, ok := t.insert(i, h); !ok {
			dups = append(dups, Dup{First: first, At: i})
		}
	}
	regions := len(t.slots) >> regionBits
	if regions <= 1 {
		t.clearTo(len(t.slots))
		for i, h := range hashes {
			if len(skip) > 0 && int(skip[0]) == i {
				skip = skip[1:]
				continue
			}
			insert(i, h)
		}
		return dups
	}
	if cap(t.counts) < regions+1 {
		t.counts = make([]int32, regions+1)
	}
	counts := t.counts[:regions+1]
	clear(counts)
	rest := skip
	for i, h := range hashes {
		if len(rest) > 0 && int(rest[0]) == i {
			rest = rest[1:]
			continue
		}
		counts[(h&t.mask)>>regionBits+1]++
	}
	for r := 1; r <= regions; r++ {
		counts[r] += counts[r-1]
	}
	n := int(counts[regions])
	if cap(t.pairs) < n {
		t.pairs = make([]uint64, n)
	}
	pairs := t.pairs[:n]
	rest = skip
	for i, h := range hashes {
		if len(rest) > 0 && int(rest[0]) == i {
			rest = rest[1:]
			continue
		}
		r := (h & t.mask) >> regionBits
		pairs[counts[r]] = uint64(h)<<32 | uint64(i)
		counts[r]++
	}
	// counts[r] is now where region r+1's pairs start.
	start := 0
	for r := range regions {
		// A probe runs on past its region's end: empty the next region too.
		t.clearTo(min(len(t.slots), (r+2)<<regionBits))
		end := int(counts[r])
		for _, v := range pairs[start:end] {
			insert(int(uint32(v)), uint32(v>>32))
		}
		start = end
	}
	slices.SortFunc(dups, func(a, b Dup) int { return cmp.Compare(a.At, b.At) })
	return dups
}

// clearTo empties the slots up to slot end, if Build has not yet.
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
