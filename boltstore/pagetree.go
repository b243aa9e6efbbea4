package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Page types and sizes of bbolt's file format.
const (
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01 // a leaf element that is a bucket
	elementSize      = 16   // a branch or a leaf element's header
	bucketHeaderSize = 16   // a bucket value: root page id, sequence
	maxTreeDepth     = 64   // far deeper than a B+tree of any real file
)

// pageTree walks the pages of one meta's B+tree with ReadAt, without
// mapping the file, and checks what bbolt would follow blindly: every
// page id within the high-water mark, branch and leaf pages of the right
// type, elements within their page, no page reached twice (a cycle sends
// bbolt's cursor into an endless recursion, which no recover stops), and a
// freelist that names pages in range, none twice and none in use.
type pageTree struct {
	f        io.ReaderAt
	pageSize int64
	hwm      uint64
	inUse    []bool // by page id
}

var errTree = errors.New("damaged page tree")

func (t *pageTree) bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errTree, fmt.Sprintf(format, args...))
}

// checkPageTree checks the tree and freelist of meta m.
func checkPageTree(f io.ReaderAt, m boltMeta) error {
	t := &pageTree{f: f, pageSize: int64(m.pageSize), hwm: m.pgid, inUse: make([]bool, m.pgid)}
	t.inUse[0], t.inUse[1] = true, true
	if err := t.walk(m.root, "the root bucket", 0); err != nil {
		return err
	}
	return t.freelist(m.freelist)
}

// read returns page id's header fields and its whole span (overflow
// pages included), marking them in use.
func (t *pageTree) read(id uint64, what string) (flags uint16, count uint16, span []byte, err error) {
	if id < 2 || id >= t.hwm {
		return 0, 0, nil, t.bad("%s: page %d is outside pages 2 to %d", what, id, t.hwm-1)
	}
	var head [pageHeaderSize]byte
	if _, err := t.f.ReadAt(head[:], int64(id)*t.pageSize); err != nil {
		return 0, 0, nil, err
	}
	le := binary.NativeEndian
	flags, count = le.Uint16(head[8:10]), le.Uint16(head[10:12])
	overflow := uint64(le.Uint32(head[12:16]))
	if id+overflow >= t.hwm {
		return 0, 0, nil, t.bad("%s: page %d and its %d overflow pages pass the high-water mark %d", what, id, overflow, t.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if t.inUse[p] {
			return 0, 0, nil, t.bad("%s: page %d is reached twice", what, p)
		}
		t.inUse[p] = true
	}
	span = make([]byte, int64(overflow+1)*t.pageSize)
	if _, err := t.f.ReadAt(span, int64(id)*t.pageSize); err != nil {
		return 0, 0, nil, err
	}
	return flags, count, span, nil
}

// walk checks the tree of pages under page id.
func (t *pageTree) walk(id uint64, what string, depth int) error {
	if depth > maxTreeDepth {
		return t.bad("%s: deeper than %d pages", what, maxTreeDepth)
	}
	flags, count, span, err := t.read(id, what)
	if err != nil {
		return err
	}
	switch flags {
	case branchPageFlag:
		if count == 0 {
			return t.bad("%s: branch page %d is empty", what, id)
		}
		le := binary.NativeEndian
		for i := range int(count) {
			at := pageHeaderSize + i*elementSize
			if at+elementSize > len(span) {
				return t.bad("%s: branch page %d: element %d is past the page", what, id, i)
			}
			e := span[at : at+elementSize]
			pos, ksize := int(le.Uint32(e[0:4])), int(le.Uint32(e[4:8]))
			if at+pos+ksize > len(span) {
				return t.bad("%s: branch page %d: the key of element %d is past the page", what, id, i)
			}
			if err := t.walk(le.Uint64(e[8:16]), what, depth+1); err != nil {
				return err
			}
		}
		return nil
	case leafPageFlag:
		return t.leaf(span, count, fmt.Sprintf("%s: leaf page %d", what, id), depth)
	}
	return t.bad("%s: page %d has flags %#x, not a branch or a leaf", what, id, flags)
}

// leaf checks the elements of a leaf page (span starts with its header)
// and walks the buckets it holds.
func (t *pageTree) leaf(span []byte, count uint16, what string, depth int) error {
	le := binary.NativeEndian
	for i := range int(count) {
		at := pageHeaderSize + i*elementSize
		if at+elementSize > len(span) {
			return t.bad("%s: element %d is past the page", what, i)
		}
		e := span[at : at+elementSize]
		eflags, pos := le.Uint32(e[0:4]), int(le.Uint32(e[4:8]))
		ksize, vsize := int(le.Uint32(e[8:12])), int(le.Uint32(e[12:16]))
		end := at + pos + ksize + vsize
		if pos < 0 || ksize < 0 || vsize < 0 || end > len(span) || end < at {
			return t.bad("%s: the key or value of element %d is past the page", what, i)
		}
		if eflags&bucketLeafFlag == 0 {
			continue
		}
		v := span[at+pos+ksize : end]
		if len(v) < bucketHeaderSize {
			return t.bad("%s: bucket %d has a value of %d bytes", what, i, len(v))
		}
		if root := le.Uint64(v[0:8]); root != 0 {
			if err := t.walk(root, what+" > bucket", depth+1); err != nil {
				return err
			}
			continue
		}
		// An inline bucket: a leaf page inside the value.
		inline := v[bucketHeaderSize:]
		if len(inline) < pageHeaderSize || le.Uint16(inline[8:10]) != leafPageFlag {
			return t.bad("%s: inline bucket %d is not a leaf page", what, i)
		}
		if err := t.leaf(inline, le.Uint16(inline[10:12]), what+" > inline bucket", depth+1); err != nil {
			return err
		}
	}
	return nil
}

// freelist checks the freelist page: every id free is in range, listed
// once, and not a page of the tree.
func (t *pageTree) freelist(id uint64) error {
	flags, count, span, err := t.read(id, "the freelist")
	if err != nil {
		return err
	}
	if flags != freelistPageFlag {
		return t.bad("the freelist: page %d has flags %#x, not a freelist", id, flags)
	}
	le := binary.NativeEndian
	ids, n := span[pageHeaderSize:], uint64(count)
	if count == 0xFFFF { // the count is the first id's place
		if len(ids) < 8 {
			return t.bad("the freelist: page %d is cut short", id)
		}
		n, ids = le.Uint64(ids[0:8]), ids[8:]
	}
	if n > uint64(len(ids))/8 {
		return t.bad("the freelist: page %d lists %d pages, more than it holds", id, n)
	}
	free := make([]bool, t.hwm)
	for i := range n {
		p := le.Uint64(ids[8*i:])
		switch {
		case p < 2 || p >= t.hwm:
			return t.bad("the freelist: free page %d is outside pages 2 to %d", p, t.hwm-1)
		case free[p]:
			return t.bad("the freelist: page %d is listed twice", p)
		case t.inUse[p]:
			return t.bad("the freelist: page %d is free but in use", p)
		}
		free[p] = true
	}
	return nil
}
