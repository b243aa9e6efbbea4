package index

import "slices"

// Keys records a step's keys (allocation IDs) by position, read in one
// pass, and answers the two questions a step asks of them: which keys are
// duplicates, every step, and where a key is, a few times in most steps.
//
// A Table answers both, but filling one costs a write to a random slot of
// a table larger than the cache for every key, in every step. Keys does
// less: the pass keeps each key's hash, and Finish sets the hash's bit in
// a bitmap of 16 bits per key (which fits in a level-2 cache at 100,000
// keys). A key whose bit was already set is a candidate duplicate: only
// those and the earlier keys that share their bits, a few in a hundred,
// go into a small Table to be compared. Lookups test the bitmap (a key not
// in it is absent), then scan the hashes, and build a full Table once they
// have scanned a few times, when a step's lookups are many.
//
// The zero Keys is ready to Load. Its memory is reused from one Load to
// the next.
type Keys struct {
	n      int
	key    func(int) string
	hashes []uint32 // per position: Hash of its key, when added
	// bits has a bit per hash value modulo its size: set for the hashes
	// added. hot marks those of the candidates during Finish, and is left
	// empty.
	bits, hot []uint64
	bitMask   uint32
	cands     []int32 // positions whose bit was set already, in order
	skipped   []int32 // positions not added, in order
	scans     int     // lookups answered by scanning the hashes
	full      Table   // all the keys, once lookups are many (built)
	built     bool
	small     Table // the candidates, in Finish
	hotPos    []int32
}

// linearScans is how many lookups Find answers by scanning the hashes
// before it builds a Table: a scan reads 4 bytes a key, building the
// Table costs about as much as twenty scans.
const linearScans = 8

// Load empties k for n keys read through key(i), to be added in position
// order (Add, Skip) and finished (Finish) before any Find.
func (k *Keys) Load(n int, key func(int) string) {
	k.n, k.key = n, key
	k.hashes = resize(k.hashes, n)
	size := 64
	for size < 16*n {
		size <<= 1
	}
	k.bitMask = uint32(size - 1)
	k.bits = resize(k.bits, size/64)
	clear(k.bits)
	if len(k.hot) != size/64 {
		k.hot = make([]uint64, size/64) // Finish leaves it empty
	}
	// Candidates are a few in a hundred keys, and the keys they touch
	// twice that: room for an eighth, so that they rarely grow.
	k.cands, k.skipped = resize(k.cands, n/8+16)[:0], k.skipped[:0]
	k.hotPos = resize(k.hotPos, n/4+16)[:0]
	k.scans, k.built = 0, false
}

// Add records that the key at position i hashes to h (Hash(key(i))). It
// only stores the hash: the bitmap is filled by Finish, in a loop of its
// own, where its random accesses do not wait behind the caller's reads.
func (k *Keys) Add(i int, h uint32) { k.hashes[i] = h }

// Skip records that position i has no key to add: it is never found and
// never a duplicate.
func (k *Keys) Skip(i int) {
	k.hashes[i] = 0
	k.skipped = append(k.skipped, int32(i))
}

// Finish returns the duplicates, ordered by At, as inserting every added
// key into a Table in position order would report them: nil when the keys
// are distinct.
func (k *Keys) Finish() []Dup {
	for i, h := range k.added {
		b := h & k.bitMask
		w, bit := &k.bits[b>>6], uint64(1)<<(b&63)
		if *w&bit != 0 {
			k.cands = append(k.cands, int32(i))
		}
		*w |= bit
	}
	if len(k.cands) == 0 {
		return nil
	}
	// The candidates' bits are hot: every key whose bit is hot goes into
	// the small table, in position order.
	for _, c := range k.cands {
		b := k.hashes[c] & k.bitMask
		k.hot[b>>6] |= 1 << (b & 63)
	}
	k.hotPos = k.hotPos[:0]
	for i, h := range k.added {
		if b := h & k.bitMask; k.hot[b>>6]&(1<<(b&63)) != 0 {
			k.hotPos = append(k.hotPos, int32(i))
		}
	}
	for _, c := range k.cands {
		b := k.hashes[c] & k.bitMask
		k.hot[b>>6] = 0
	}
	pos := k.hotPos
	k.small.Load(len(pos), func(j int) string { return k.key(int(pos[j])) })
	for j, p := range pos {
		k.small.Add(j, k.hashes[p])
	}
	dups := k.small.Finish()
	for d := range dups {
		dups[d] = Dup{First: int(pos[dups[d].First]), At: int(pos[dups[d].At])}
	}
	k.small.Release()
	return dups
}

// Find returns the position of key, the first one added for a duplicate
// key, or -1.
func (k *Keys) Find(key string) int {
	if len(k.bits) == 0 {
		return -1
	}
	h := Hash(key)
	if b := h & k.bitMask; k.bits[b>>6]&(1<<(b&63)) == 0 {
		return -1
	}
	if k.built {
		return k.full.Find(key)
	}
	if k.scans++; k.scans > linearScans {
		k.build()
		return k.full.Find(key)
	}
	for i, x := range k.hashes[:k.n] {
		if x == h && k.key(i) == key && !k.isSkipped(i) {
			return i
		}
	}
	return -1
}

// isSkipped reports whether position i was skipped.
func (k *Keys) isSkipped(i int) bool {
	_, ok := slices.BinarySearch(k.skipped, int32(i))
	return ok
}

// build fills the full Table with every added key.
func (k *Keys) build() {
	k.full.Load(k.n, k.key)
	for i, h := range k.added {
		k.full.Add(i, h)
	}
	k.full.Finish()
	k.built = true
}

// added yields the added positions, in order, with their hashes.
func (k *Keys) added(yield func(int, uint32) bool) {
	skipped := k.skipped
	for i, h := range k.hashes[:k.n] {
		if len(skipped) > 0 && skipped[0] == int32(i) {
			skipped = skipped[1:] // Skip was called in position order
			continue
		}
		if !yield(i, h) {
			return
		}
	}
}

// Release forgets the keys, so that a Keys kept for reuse does not keep
// them alive.
func (k *Keys) Release() {
	k.key = nil
	k.full.Release()
	k.small.Release()
}
