package boltstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// fuzzJobs is how many jobs the fuzzed file holds: a few, so that each run
// is quick, on more pages than one.
const fuzzJobs = 6

var fuzzFile struct {
	once sync.Once
	data []byte
	err  error
}

// fuzzBase returns the bytes of a sound file with fuzzJobs jobs.
func fuzzBase(t *testing.T) []byte {
	fuzzFile.once.Do(func() {
		dir, err := os.MkdirTemp("", "boltstore-fuzz-")
		if err != nil {
			fuzzFile.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "rollout.db")
		s, err := boltstore.Open(path, &boltstore.Options{NoSync: true})
		if err != nil {
			fuzzFile.err = err
			return
		}
		for i := range fuzzJobs {
			st := rollouttest.FullState()
			st.Deployments[0].Description = marker(i)
			if _, err := s.Save(context.Background(), jobID(i), st); err != nil {
				fuzzFile.err = err
			}
		}
		s.Close()
		fuzzFile.data, fuzzFile.err = os.ReadFile(path)
	})
	if fuzzFile.err != nil {
		t.Fatal(fuzzFile.err)
	}
	return fuzzFile.data
}

// FuzzOpenDamaged: a sound store file with bytes changed and cut short
// where the fuzzer chooses never crashes Open, Load, Jobs, Check or Save;
// every error they return wraps controller.ErrCorrupt or ErrSchema.
//
// edits is read in runs of five bytes: a file offset (4 bytes, modulo the
// file's size) and a byte to XOR there; cut, when not 0, truncates the file
// to cut modulo its size.
func FuzzOpenDamaged(f *testing.F) {
	patch := func(off uint32, x byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, off)
		return append(b, x)
	}
	ps := uint32(os.Getpagesize())
	f.Add([]byte{}, uint32(0))
	f.Add(patch(16+48, 1), uint32(0))        // meta 0's pgid
	f.Add(patch(ps+16+20, 0x40), uint32(0))  // meta 1's root
	f.Add(patch(2*ps+8, 0xff), uint32(0))    // page 2's flags
	f.Add(patch(3*ps+16+3, 0x20), uint32(0)) // page 3's first element
	f.Add(append(patch(4*ps+20, 7), patch(5*ps+40, 9)...), uint32(0))
	f.Add([]byte{}, 7*ps)
	f.Add([]byte{}, 3*ps+100)
	f.Fuzz(func(t *testing.T, edits []byte, cut uint32) {
		data := append([]byte(nil), fuzzBase(t)...)
		for ; len(edits) >= 5; edits = edits[5:] {
			off := binary.LittleEndian.Uint32(edits) % uint32(len(data))
			data[off] ^= edits[4]
		}
		if cut != 0 {
			data = data[:cut%uint32(len(data))]
		}
		path := filepath.Join(t.TempDir(), "rollout.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		typed := func(op string, err error) {
			if err != nil && !errors.Is(err, controller.ErrCorrupt) && !errors.Is(err, controller.ErrSchema) {
				t.Fatalf("%s: %v wraps neither ErrCorrupt nor ErrSchema", op, err)
			}
		}
		ctx := context.Background()
		problems, err := boltstore.CheckFile(ctx, path, nil)
		typed("CheckFile", err)
		for _, p := range problems {
			typed("CheckFile problem", p.Err)
		}
		s, err := boltstore.Open(path, &boltstore.Options{NoSync: true})
		typed("Open", err)
		if err != nil {
			return
		}
		defer s.Close()
		_, err = s.Jobs(ctx)
		typed("Jobs", err)
		saved := false
		for i := range fuzzJobs {
			st, err := s.Load(ctx, jobID(i))
			typed("Load", err)
			if err == nil && !saved { // one save: each may fsync the file's growth
				saved = true
				_, err = s.Save(ctx, jobID(i), st)
				var conflict *controller.ConflictError
				if !errors.As(err, &conflict) {
					typed("Save", err)
				}
			}
		}
		problems, err = s.Check(ctx)
		typed("Check", err)
		for _, p := range problems {
			typed("Check problem", p.Err)
		}
	})
}
