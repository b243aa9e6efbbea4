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
		b = AppendPart(b, p)
	}
	return Digest(b)
}

// AppendPart appends a part of an ID's input to b, as ID separates them:
// followed by a zero byte. A caller that builds a part in place appends it
// and then the zero byte itself.
func AppendPart(b []byte, part string) []byte {
	return append(append(b, part...), 0)
}

// Digest returns the identifier of input b, built of parts as ID builds
// them: ID(parts...) is Digest of the parts appended by AppendPart.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	var dst [16]byte
	hex.Encode(dst[:], sum[:8])
	return string(dst[:])
}
