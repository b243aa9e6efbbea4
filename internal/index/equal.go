package index

// Equal reports whether a == b. Strings of 4 to 16 bytes, the commonest
// IDs and names, are compared a word or two at a time, inline; others as
// == compares them, through the runtime's memory comparison.
func Equal(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if n < 4 || n > 16 {
		return a == b
	}
	if n < 8 {
		return le32(a) == le32(b) && le32(a[n-4:]) == le32(b[n-4:])
	}
	return le64(a) == le64(b) && le64(a[n-8:]) == le64(b[n-8:])
}

// le64 reads the first eight bytes of s as a little-endian word: one load
// where the processor allows it.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// le32 reads the first four bytes of s as a little-endian word.
func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
