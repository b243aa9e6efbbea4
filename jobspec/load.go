package jobspec

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Options tunes loading. The zero value loads a file as `nomad job run`
// would with no flags, with the safe defaults for a file from anyone: no
// file access for Load (LoadFile grants the job file's directory) and the
// default Limits.
type Options struct {
	// Vars gives variables values, as `-var name=value` does: the text is
	// the value of a string variable, and an HCL expression for others.
	Vars map[string]string
	// Version is the JobVersion's version number.
	Version uint64
	// FS is what the file functions (file, filebase64, fileexists) read,
	// read-only, a job file's relative paths naming files in it. Nil
	// grants no file access to Load, and the job file's own directory to
	// LoadFile (through os.Root: no escape by "..", a symbolic link or an
	// absolute path; abspath and pathexpand of "~" work only under that
	// grant). NoFiles grants none to either. Only regular files of at most
	// Limits.FileBytes are read. A file system given here is trusted to
	// confine itself: os.DirFS follows symbolic links out of its
	// directory, (*os.Root).FS does not; and opening a named pipe through
	// it may block (LoadFile's own grant opens without blocking).
	FS fs.FS
	// Limits bound what loading may cost; the zero value holds the
	// defaults (4 MiB of source, nesting depth 128, 50,000 tokens, 10,000 elements,
	// 1 MiB of strings, 1 MiB files, 250,000 units of work).
	Limits Limits
}

// LoadFile reads a job file: HCL2, or JSON as `nomad job inspect` and the
// HTTP API print it (a file whose first character is '{'). Unless
// opts.FS says otherwise, its file functions read the job file's own
// directory and nothing else.
func LoadFile(path string, opts *Options) (*Job, error) {
	if opts == nil {
		opts = &Options{}
	}
	lim, err := opts.Limits.resolved()
	if err != nil {
		return nil, err
	}
	src, err := readSource(path, lim.SourceBytes)
	if err != nil {
		return nil, err
	}
	if opts.FS != nil {
		return Load(path, src, opts)
	}
	dir := filepath.Dir(path)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return load(path, src, opts, &fileAccess{fsys: root.FS(), root: root, hostDir: abs})
}

// readSource reads a job file of at most max bytes, refusing anything but
// a regular file.
func readSource(path string, max int) ([]byte, error) {
	info, err := os.Stat(path) // before opening: opening a FIFO blocks
	if err != nil {
		return nil, err
	}
	tooBig := &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("the job file is larger than %d bytes (Limits.SourceBytes)", max), Err: ErrLimit}
	switch {
	case !info.Mode().IsRegular():
		return nil, &Error{Pos: Pos{File: path}, Msg: "not a regular file (" + kind(info.Mode()) + ")", Err: ErrFileAccess}
	case info.Size() > int64(max):
		return nil, tooBig
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(src) > max {
		return nil, tooBig
	}
	return src, nil
}

// Load reads a job file's content; filename names it in messages. Its file
// functions read opts.FS, and nothing when that is nil. It does not
// validate the job: call Validate (or rollout's JobVersion.Validate) for
// that. The error, if any, is a *multierror.Error of *Error values, each
// with its position; a refusal for a limit wraps ErrLimit, one of a file
// function ErrFileAccess.
func Load(filename string, src []byte, opts *Options) (*Job, error) {
	if opts == nil {
		opts = &Options{}
	}
	return load(filename, src, opts, &fileAccess{fsys: opts.FS})
}

func load(filename string, src []byte, opts *Options, files *fileAccess) (*Job, error) {
	lim, err := opts.Limits.resolved()
	if err != nil {
		return nil, err
	}
	if len(src) > lim.SourceBytes {
		return nil, multierror.Append(nil, &Error{Pos: Pos{File: filename, Line: 1, Column: 1},
			Msg: fmt.Sprintf("the job file is larger than %d bytes (Limits.SourceBytes)", lim.SourceBytes), Err: ErrLimit})
	}
	if t := strings.TrimLeft(string(src), " \t\r\n\ufeff"); strings.HasPrefix(t, "{") {
		return loadJSON(filename, src, opts, lim)
	}
	// A job file printed inside a shell heredoc escapes ${ as \${; the
	// file the shell writes has ${. Read both alike (same length, so
	// positions hold): in HCL, $${ is a literal ${.
	src = bytes.ReplaceAll(src, []byte(`\${`), []byte(`$${`))
	if ne := hclNesting(src, lim); ne != nil {
		line, col := lineCol(src, int64(ne.off))
		return nil, multierror.Append(nil, &Error{Pos: Pos{File: filename, Line: line, Column: col}, Msg: ne.message(lim), Err: ErrLimit})
	}
	files.max = lim.FileBytes
	l := &loader{file: filename, src: src, opts: opts, files: files, budget: &budget{lim: lim}}
	job := l.load()
	if err := l.errs.ErrorOrNil(); err != nil {
		return nil, err
	}
	return job, nil
}

func (e *nestingError) message(lim Limits) string {
	switch e.what {
	case "number":
		return "a number literal with an exponent beyond 1000 is refused"
	case "tokens":
		return fmt.Sprintf("the job file holds more than %d tokens (Limits.Tokens)", lim.Tokens)
	}
	return fmt.Sprintf("the job file nests deeper than %d levels (Limits.Depth: brackets, braces, parentheses, strings, interpolations, template directives and operators count)", lim.Depth)
}
