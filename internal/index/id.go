package index

import (
	"crypto/sha256"
	"encoding/hex"
)

// ID derives a 16-hex-digit identifier from parts, the same for the same
// parts on every run. Parts are separated unambiguously: it is the first
// eight bytes of the SHA-256 of the parts, each followed by a zero byte.
// It makes one heap allocation, the result, when the parts fit in 256
// bytes.
func ID(parts ...string) string {
	var buf [256]byte
	b := buf[:0]
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	sum := sha256.Sum256(b)
	var dst [16]byte
	hex.Encode(dst[:], sum[:8])
	return string(dst[:])
}
