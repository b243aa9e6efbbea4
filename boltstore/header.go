package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	"github.com/rollout-go/rollout/controller"
)

// The layout of a bbolt file's two meta pages (pages 0 and 1), as bbolt
// writes them in the machine's byte order: a 16-byte page header (id,
// flags, count, overflow), then the meta.
const (
	pageHeaderSize = 16
	metaPageFlag   = 0x04
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	metaSize       = 64 // magic … txid, then the checksum
	checksumAt     = 56 // the FNV-64a of the meta's first 56 bytes
	noFreelist     = ^uint64(0)
	minPageSize    = 512
	maxPageSize    = 1 << 16
)

// boltMeta is what header checks read of one meta page.
type boltMeta struct {
	pageSize       uint32
	root, freelist uint64 // page ids
	pgid           uint64 // the high-water mark: pages below it are in use
	txid           uint64 // the transaction that wrote it; bbolt reads the newer
}

// checkHeader reads the two meta pages of the existing file at path, without
// mapping it, and refuses (ErrCorrupt) a file that no bbolt database could
// be read from whole: empty, too short for its meta pages, a meta page
// that fails its checksum or names pages past the end of the file, a page
// tree or freelist that is damaged (see pageTree; only with tree). bbolt
// itself maps the file and faults on pages past its end (the process
// dies), and falls back to the other meta page when one is damaged, which
// reads the file as it was one transaction earlier: rollout refuses
// instead, since a damaged meta page cannot be told from one rotted after
// its commit.
func checkHeader(path string, tree bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	if size == 0 {
		return fmt.Errorf("%w: the file is empty (a store file is created only where no file exists)", controller.ErrCorrupt)
	}
	m0, err := readMeta(f, 0, size)
	if err != nil {
		return metaError(0, err)
	}
	m1, err := readMeta(f, int64(m0.pageSize), size)
	if err != nil {
		return metaError(1, err)
	}
	if m1.pageSize != m0.pageSize {
		return fmt.Errorf("%w: the meta pages disagree on the page size (%d and %d)", controller.ErrCorrupt, m0.pageSize, m1.pageSize)
	}
	for i, m := range []boltMeta{m0, m1} {
		// A new file has four pages: the meta pages, a freelist and the root.
		if m.pgid < 4 || m.pgid > uint64(size)/uint64(m.pageSize) {
			return fmt.Errorf("%w: truncated: meta page %d says the file holds %d pages of %d bytes, but it has %d bytes", controller.ErrCorrupt, i, m.pgid, m.pageSize, size)
		}
		if m.root < 2 || m.root >= m.pgid {
			return fmt.Errorf("%w: meta page %d: root page %d is outside pages 2 to %d", controller.ErrCorrupt, i, m.root, m.pgid-1)
		}
		if m.freelist == noFreelist {
			return fmt.Errorf("%w: meta page %d: no freelist (rollout's files always keep one)", controller.ErrCorrupt, i)
		}
		if m.freelist < 2 || m.freelist >= m.pgid {
			return fmt.Errorf("%w: meta page %d: freelist page %d is outside pages 2 to %d", controller.ErrCorrupt, i, m.freelist, m.pgid-1)
		}
	}
	if !tree {
		return nil
	}
	newer := m0
	if m1.txid > m0.txid {
		newer = m1
	}
	if err := checkPageTree(f, newer); err != nil {
		if errors.Is(err, errTree) {
			return fmt.Errorf("%w: %w", controller.ErrCorrupt, err)
		}
		return err // the file system's
	}
	return nil
}

// readError is a read of the file that failed: the file system's error
// (permissions, a directory, I/O), not damage of the file's contents.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// metaError says what is wrong with meta page i.
func metaError(i int, err error) error {
	var re *readError
	if errors.As(err, &re) {
		return fmt.Errorf("meta page %d: %w", i, re.err)
	}
	return fmt.Errorf("%w: meta page %d: %w", controller.ErrCorrupt, i, err)
}

// readMeta reads and checks the meta page at off.
func readMeta(f io.ReaderAt, off, size int64) (boltMeta, error) {
	if off+pageHeaderSize+metaSize > size {
		return boltMeta{}, fmt.Errorf("truncated: the file has %d bytes, too few for a meta page at offset %d", size, off)
	}
	var buf [pageHeaderSize + metaSize]byte
	if _, err := f.ReadAt(buf[:], off); err != nil {
		return boltMeta{}, &readError{err}
	}
	le := binary.NativeEndian
	if flags := le.Uint16(buf[8:10]); flags != metaPageFlag {
		return boltMeta{}, fmt.Errorf("not a meta page (page flags %#x): not a bbolt file, or damaged", flags)
	}
	m := buf[pageHeaderSize:]
	if magic := le.Uint32(m[0:4]); magic != boltMagic {
		return boltMeta{}, fmt.Errorf("bad magic number %#x: not a bbolt file, or damaged", magic)
	}
	if v := le.Uint32(m[4:8]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("bbolt format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:checksumAt])
	if sum := le.Uint64(m[checksumAt:]); sum != h.Sum64() {
		return boltMeta{}, fmt.Errorf("checksum mismatch (stored %#x, computed %#x): damaged", sum, h.Sum64())
	}
	meta := boltMeta{
		pageSize: le.Uint32(m[8:12]),
		root:     le.Uint64(m[16:24]),
		freelist: le.Uint64(m[32:40]),
		pgid:     le.Uint64(m[40:48]),
		txid:     le.Uint64(m[48:56]),
	}
	if ps := meta.pageSize; ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
		return boltMeta{}, fmt.Errorf("page size %d is not a power of two from %d to %d", ps, minPageSize, maxPageSize)
	}
	return meta, nil
}
