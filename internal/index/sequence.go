package index

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"unsafe"
)

// IDLen is the length of the identifiers ID, Digest and Arena derive: 16
// hexadecimal digits.
const IDLen = 16

// Arena derives a step's many identifiers and holds their bytes, so that
// they cost one heap allocation per chunk of them rather than one each.
// Each identifier is a string over 16 bytes of a chunk that is never
// written again. The zero Arena is ready to use; Seed it before Next.
//
// The n-th identifier of a seed is a bijective mix of seed + n: a step's
// identifiers are distinct by construction, and one SHA-256 (of the seed's
// parts) serves them all.
type Arena struct {
	chunk  []byte // the current chunk; identifiers are cut from its start
	seed   uint64
	seeded bool
}

// Seed sets the seed to the first 8 bytes of SHA-256 of b (parts appended
// by AppendPart).
func (ar *Arena) Seed(b []byte) {
	sum := sha256.Sum256(b)
	ar.seed, ar.seeded = binary.BigEndian.Uint64(sum[:8]), true
}

// Seeded reports whether Seed was called.
func (ar *Arena) Seeded() bool { return ar.seeded }

// Next returns the n-th identifier of the seed: 16 hexadecimal digits of
// mix(seed + n), where mix is SplitMix64's finalizer, a bijection of the
// 64-bit integers.
func (ar *Arena) Next(n uint64) string {
	if len(ar.chunk)+IDLen > cap(ar.chunk) {
		// Chunks grow with the identifiers made, up to 64 KiB.
		ar.chunk = make([]byte, 0, min(max(2*cap(ar.chunk), 32*IDLen), 64<<10))
	}
	z := ar.seed + n
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	var w [8]byte
	binary.BigEndian.PutUint64(w[:], z)
	start := len(ar.chunk)
	ar.chunk = ar.chunk[:start+IDLen]
	hex.Encode(ar.chunk[start:], w[:])
	// The bytes are never written again: the string may share them.
	return unsafe.String(&ar.chunk[start], IDLen)
}
