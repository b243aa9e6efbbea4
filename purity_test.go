package rollout_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRootPackageIsPure holds the root package to what its doc promises:
// it imports no package that does I/O or carries a context or a logger,
// and starts no goroutine. The loop around it lives in package controller.
func TestRootPackageIsPure(t *testing.T) {
	forbidden := map[string]bool{
		"context": true, "os": true, "os/exec": true, "net": true, "net/http": true,
		"log": true, "log/slog": true, "io/fs": true, "syscall": true,
		"github.com/benbjohnson/clock": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[path] || strings.HasPrefix(path, "net/") {
				t.Errorf("%s imports %q: the root package does no I/O (package controller does)", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s starts a goroutine: the root package starts none", fset.Position(g.Pos()))
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("checked %d files: run from the root package's directory", checked)
	}
}
