package boltstore

import (
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds the bytes copied in one transaction of Compact.
const compactTxSize = 64 << 20

// Compact writes a compacted copy of the store file at src to a new file
// at dst: the same jobs, states and revisions, without the free pages.
// bbolt never shrinks a file by itself: pages freed by later saves are
// reused, never returned, so a file keeps the size of its largest moment.
// Compact is how to get the space back, offline: stop the controller (src
// must not be open: Compact fails with ErrLocked while another process
// holds it), compact, then move dst over src. dst must not exist. The same
// is done by bbolt's command, `bbolt compact -o dst src`.
func Compact(src, dst string) (err error) {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("boltstore: compact %s: destination %s: %w", src, dst, fs.ErrExist)
	}
	// Open's checks (a damaged file, another process's lock, a schema)
	// hold for the source.
	from, err := Open(src, &Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("boltstore: compact: %w", err)
	}
	defer from.Close()
	to, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("boltstore: compact %s: destination %s: %w", src, dst, err)
	}
	if err := guard("compact", func() error { return bolt.Compact(to, from.db, compactTxSize) }); err != nil {
		to.Close()
		os.Remove(dst)
		return fmt.Errorf("boltstore: compact %s into %s: %w", src, dst, err)
	}
	if err := to.Close(); err != nil {
		os.Remove(dst)
		return fmt.Errorf("boltstore: compact %s into %s: %w", src, dst, err)
	}
	return nil
}
