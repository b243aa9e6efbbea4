package jobspec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// ErrFileAccess is wrapped by the error of a file function (file,
// fileexists, filebase64, abspath, pathexpand of "~") that was refused: no
// file access granted, a path outside the granted directory, a file that is
// not a regular file or is larger than Limits.FileBytes.
var ErrFileAccess = errors.New("file access refused")

// NoFiles grants no file access: with Options.FS = NoFiles, LoadFile
// refuses the file functions as Load does by default.
var NoFiles fs.FS = noFiles{}

type noFiles struct{}

func (noFiles) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: ErrFileAccess}
}

// fromFile marks the values read from a file, so that no message shows
// them.
type fromFileMark struct{}

var fromFile = fromFileMark{}

// fileAccess is what the file functions of one load may read.
type fileAccess struct {
	fsys fs.FS // nil or NoFiles: none
	// root is LoadFile's grant, opened without blocking; nil otherwise.
	root *os.Root
	// hostDir is the host directory granted, set only by LoadFile's
	// default grant: abspath and pathexpand may then name host paths.
	hostDir string
	max     int
	reads   int // files read so far
}

// fileError is a refused file function call; it never holds what the file
// holds.
type fileError struct {
	fn, path, reason string
	err              error // ErrFileAccess or ErrLimit
}

func (e *fileError) Error() string { return fmt.Sprintf("%s(%q): %s", e.fn, e.path, e.reason) }
func (e *fileError) Unwrap() error { return e.err }

func (a *fileAccess) granted() bool { return a.fsys != nil && a.fsys != NoFiles }

// name turns a job file's path into a name in the granted file system,
// refusing absolute paths and paths that leave it.
func (a *fileAccess) name(fn, p string) (string, error) {
	refuse := func(reason string) (string, error) {
		return "", &fileError{fn: fn, path: p, reason: reason, err: ErrFileAccess}
	}
	if !a.granted() {
		return refuse("file access is not granted (Load grants none; LoadFile grants the job file's directory; Options.FS grants a file system)")
	}
	if path.IsAbs(p) || filepath.IsAbs(p) || filepath.VolumeName(p) != "" {
		return refuse("an absolute path is refused: a path is relative to the granted directory")
	}
	clean := path.Clean(filepath.ToSlash(p))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return refuse("the path leaves the granted directory")
	}
	if !fs.ValidPath(clean) {
		return refuse("not a valid path")
	}
	return clean, nil
}

// reason describes why opening or reading a file failed, without the
// path (the caller names it).
func reason(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

// stat returns a granted file's information, following symbolic links
// inside the granted directory only.
func (a *fileAccess) stat(fn, p string) (fs.FileInfo, string, error) {
	name, err := a.name(fn, p)
	if err != nil {
		return nil, "", err
	}
	info, err := fs.Stat(a.fsys, name)
	if err != nil {
		return nil, "", &fileError{fn: fn, path: p, reason: reason(err), err: ErrFileAccess}
	}
	return info, name, nil
}

// read reads a granted regular file of at most a.max bytes. The file is
// checked before it is opened (a FIFO is never opened, a device never
// read) and read through a limit, so a file that grows is still refused.
func (a *fileAccess) read(fn, p string) ([]byte, error) {
	info, name, err := a.stat(fn, p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &fileError{fn: fn, path: p, reason: "not a regular file (" + kind(info.Mode()) + ")", err: ErrFileAccess}
	}
	tooBig := func() error {
		return &fileError{fn: fn, path: p, reason: fmt.Sprintf("larger than %d bytes (Limits.FileBytes)", a.max), err: ErrLimit}
	}
	if info.Size() > int64(a.max) {
		return nil, tooBig()
	}
	var f fs.File
	if a.root != nil {
		f, err = openNoBlock(a.root, name)
	} else {
		f, err = a.fsys.Open(name)
	}
	if err != nil {
		return nil, &fileError{fn: fn, path: p, reason: reason(err), err: ErrFileAccess}
	}
	defer f.Close()
	// Checked again on what was opened: the file may have changed since.
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, &fileError{fn: fn, path: p, reason: "not a regular file (it changed as it was opened)", err: ErrFileAccess}
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(a.max)+1))
	if err != nil {
		return nil, &fileError{fn: fn, path: p, reason: reason(err), err: ErrFileAccess}
	}
	if len(b) > a.max {
		return nil, tooBig()
	}
	a.reads++
	return b, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}

// fileFunctions are the functions that read the host: file, fileexists,
// filebase64, abspath and pathexpand, all through a.
func fileFunctions(a *fileAccess) map[string]function.Function {
	pathFunc := func(ret cty.Type, impl func(p string) (cty.Value, error)) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(ret),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return impl(args[0].AsString())
			},
		})
	}
	return map[string]function.Function{
		"file": pathFunc(cty.String, func(p string) (cty.Value, error) {
			b, err := a.read("file", p)
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(string(b)).Mark(fromFile), nil
		}),
		"filebase64": pathFunc(cty.String, func(p string) (cty.Value, error) {
			b, err := a.read("filebase64", p)
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(base64Encode(b)).Mark(fromFile), nil
		}),
		// fileexists is Nomad's: true for a regular file, false when
		// nothing is there, an error for a directory or a device.
		"fileexists": pathFunc(cty.Bool, func(p string) (cty.Value, error) {
			info, _, err := a.stat("fileexists", p)
			var fe *fileError
			if errors.As(err, &fe) && fe.reason == "no such file" {
				return cty.False, nil
			}
			if err != nil {
				return cty.NilVal, err
			}
			if !info.Mode().IsRegular() {
				return cty.NilVal, &fileError{fn: "fileexists", path: p, reason: "not a regular file (" + kind(info.Mode()) + ")", err: ErrFileAccess}
			}
			return cty.True, nil
		}),
		// abspath names a host path: only under LoadFile's grant of the
		// job file's directory.
		"abspath": pathFunc(cty.String, func(p string) (cty.Value, error) {
			if a.hostDir == "" {
				return cty.NilVal, &fileError{fn: "abspath", path: p, reason: "the host's paths are not granted (only LoadFile's default grant of the job file's directory grants them)", err: ErrFileAccess}
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(a.hostDir, p)
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				return cty.NilVal, &fileError{fn: "abspath", path: p, reason: err.Error(), err: ErrFileAccess}
			}
			return cty.StringVal(abs), nil
		}),
		// pathexpand reads $HOME: only under LoadFile's default grant.
		"pathexpand": pathFunc(cty.String, func(p string) (cty.Value, error) {
			if p != "~" && !strings.HasPrefix(p, "~/") {
				return cty.StringVal(p), nil
			}
			if a.hostDir == "" {
				return cty.NilVal, &fileError{fn: "pathexpand", path: p, reason: "the host's home directory is not granted (only LoadFile's default grant of the job file's directory grants it)", err: ErrFileAccess}
			}
			home, err := userHomeDir()
			if err != nil {
				return cty.NilVal, &fileError{fn: "pathexpand", path: p, reason: err.Error(), err: ErrFileAccess}
			}
			return cty.StringVal(filepath.Join(home, p[1:])), nil
		}),
	}
}
