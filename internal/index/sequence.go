package index

import (
	"crypto/sha256"
	"encoding/binary"
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

// Reserve makes room in one chunk for the next n identifiers, so that a
// step that knows how many it is about to make allocates their bytes once,
// at their size, rather than in growing chunks.
func (ar *Arena) Reserve(n int) {
	if need := n * IDLen; cap(ar.chunk)-len(ar.chunk) < need {
		ar.chunk = make([]byte, 0, need)
	}
}

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
	start := len(ar.chunk)
	ar.chunk = ar.chunk[:start+IDLen]
	putHex(ar.chunk[start:], z)
	// The bytes are never written again: the string may share them.
	return unsafe.String(&ar.chunk[start], IDLen)
}

// putHex writes z as 16 lowercase hexadecimal digits, most significant
// first, to dst: each half's nibbles spread to a byte each and turned to
// digits all at once, as encoding/hex writes them one by one.
func putHex(dst []byte, z uint64) {
	binary.BigEndian.PutUint64(dst[:8], hexDigits(uint32(z>>32)))
	binary.BigEndian.PutUint64(dst[8:16], hexDigits(uint32(z)))
}

// hexDigits returns the 8 digits of v, the last in the low byte.
func hexDigits(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	// Each byte is a nibble n; n > 9 where n + 6 carries into bit 4.
	letters := (x + 0x0606060606060606) >> 4 & 0x0101010101010101
	return x + 0x3030303030303030 + letters*('a'-'0'-10)
}
