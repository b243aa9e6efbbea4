package boltstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/rollout-go/rollout/controller"
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
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("boltstore: compact %s: %w", src, err)
	}
	from, err := bolt.Open(src, 0, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return fmt.Errorf("boltstore: compact %s: %w", src, ErrLocked)
		}
		return fmt.Errorf("boltstore: compact %s: %w: %w", src, controller.ErrCorrupt, err)
	}
	defer from.Close()
	if err := from.View(checkSchema); err != nil {
		return fmt.Errorf("boltstore: compact %s: %w", src, err)
	}
	to, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("boltstore: compact %s: destination %s: %w", src, dst, err)
	}
	if err := bolt.Compact(to, from, compactTxSize); err != nil {
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

// checkSchema fails unless the file is a store of a schema this package
// reads.
func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(metaBucket)
	if meta == nil || tx.Bucket(jobsBucket) == nil {
		return fmt.Errorf("%w: not a store file (no %s and %s buckets)", controller.ErrCorrupt, metaBucket, jobsBucket)
	}
	var n int
	if _, err := fmt.Sscan(string(meta.Get(schemaKey)), &n); err != nil {
		return fmt.Errorf("%w: no schema", controller.ErrCorrupt)
	}
	if n > fileSchema {
		return fmt.Errorf("%w: file schema %d, this version reads up to %d", controller.ErrSchema, n, fileSchema)
	}
	return nil
}
