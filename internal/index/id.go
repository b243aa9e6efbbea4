package index

import (
	"crypto/sha256"
	"encoding/hex"
)

// ID derives a 16-hex-digit identifier from parts, the same for the same
// parts on every run. Parts are separated unambiguously.
func ID(parts ...string) string {
	h := sha256.New()
	var sep = []byte{0}
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write(sep)
	}
	var sum [32]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}
