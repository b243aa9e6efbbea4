// Command modproxy builds a module proxy directory (GOPROXY=file://DIR)
// that serves every module of this repository's working tree at one
// version, so that each module can be built and tested as a user outside
// the repository gets it: GOWORK=off, its sibling requirements resolved
// through the proxy rather than through go.work or replace directives.
//
// Usage (from the repository root):
//
//	go run ./.ci/modproxy -version v0.1.0 -out DIR
//
// It reads the files git knows (tracked, and untracked but not ignored),
// so that the zips hold what a tag of the working tree would hold, and
// writes DIR/<module>/@v/{list,VERSION.info,VERSION.mod,VERSION.zip} for
// each directory that holds a go.mod, leaving out of each module the
// directories of the modules nested in it, as the go command does.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

func main() {
	version := flag.String("version", "", "the version to serve every module at, such as v0.1.0")
	out := flag.String("out", "", "the proxy directory to write")
	root := flag.String("root", ".", "the repository's root")
	flag.Parse()
	if err := run(*root, *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
}

var modulePath = regexp.MustCompile(`(?m)^module\s+(\S+)\s*$`)

func run(root, version, out string) error {
	if !regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(version) {
		return fmt.Errorf("-version %q: want a release version such as v0.1.0", version)
	}
	if out == "" {
		return errors.New("-out: a directory is required")
	}
	files, err := gitFiles(root)
	if err != nil {
		return err
	}
	// Module directories: every directory with a go.mod owns its files;
	// those outside testdata and dot directories (which the go command
	// never builds) are served.
	mods := map[string]string{} // dir ("." for the root) -> module path
	for _, f := range files {
		if path.Base(f) != "go.mod" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return err
		}
		m := modulePath.FindSubmatch(data)
		if m == nil {
			return fmt.Errorf("%s: no module line", f)
		}
		mods[path.Dir(f)] = string(m[1])
	}
	dirs := make([]string, 0, len(mods))
	for d := range mods {
		if !skipped(d) {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if err := writeModule(root, out, d, mods[d], version, files, mods); err != nil {
			return fmt.Errorf("module %s: %w", mods[d], err)
		}
		fmt.Printf("%s@%s\n", mods[d], version)
	}
	return nil
}

// skipped reports whether dir lies under testdata or a dot directory.
func skipped(dir string) bool {
	for _, e := range strings.Split(dir, "/") {
		if e == "testdata" || (strings.HasPrefix(e, ".") && e != ".") {
			return true
		}
	}
	return false
}

// owner returns the module directory that holds file f: the deepest
// module directory that is f's directory or one of its parents.
func owner(f string, mods map[string]string) string {
	for d := path.Dir(f); ; d = path.Dir(d) {
		if _, ok := mods[d]; ok {
			return d
		}
		if d == "." || d == "/" {
			return "."
		}
	}
}

func writeModule(root, out, dir, mod, version string, files []string, mods map[string]string) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	prefix := mod + "@" + version + "/"
	for _, f := range files {
		if owner(f, mods) != dir {
			continue
		}
		rel := f
		if dir != "." {
			rel = strings.TrimPrefix(f, dir+"/")
		}
		fi, err := os.Lstat(filepath.Join(root, f))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			continue // the go command's zips hold regular files only
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return err
		}
		w, err := zw.Create(prefix + rel)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(root, dir, "go.mod"))
	if err != nil {
		return err
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	vdir := filepath.Join(out, filepath.FromSlash(mod), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": info,
		version + ".mod":  gomod,
		version + ".zip":  buf.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// gitFiles lists the files git knows under root: tracked ones, and
// untracked ones that are not ignored, as slash-separated paths.
func gitFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var files []string
	seen := map[string]bool{}
	for _, f := range strings.Split(string(outb), "\x00") {
		if f != "" && !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files, nil
}
