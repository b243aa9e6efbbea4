package index

import (
	"crypto/sha256"
	"encoding/hex"
	"unsafe"
)

// IDLen is the length of the identifiers ID and Digest derive: 16
// hexadecimal digits.
const IDLen = 16

// Arena holds the bytes of many identifiers, so that a step's derived
// identifiers cost one heap allocation per chunk of them rather than one
// each. Each identifier is a string over 16 bytes of a chunk that is never
// written again. The zero Arena is ready to use.
type Arena struct {
	chunk []byte // the current chunk; identifiers are cut from its start
}

// Digest returns Digest(b), its bytes in the arena.
func (ar *Arena) Digest(b []byte) string {
	if len(ar.chunk)+IDLen > cap(ar.chunk) {
		// Chunks grow with the identifiers made, up to 64 KiB.
		ar.chunk = make([]byte, 0, min(max(2*cap(ar.chunk), 32*IDLen), 64<<10))
	}
	sum := sha256.Sum256(b)
	start := len(ar.chunk)
	ar.chunk = ar.chunk[:start+IDLen]
	hex.Encode(ar.chunk[start:], sum[:IDLen/2])
	// The bytes are never written again: the string may share them.
	return unsafe.String(&ar.chunk[start], IDLen)
}
