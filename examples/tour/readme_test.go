package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExcerpt checks that the tour's first screen quoted in the
// repository's README is what the tour prints: the excerpt, up to its
// closing "...", must be the start of testdata/tour.golden (which
// TestGolden checks against the tour's real output).
func TestREADMEExcerpt(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/tour.golden")
	if err != nil {
		t.Fatal(err)
	}
	excerpt, ok := tourExcerpt(string(readme))
	if !ok {
		t.Fatal("README.md has no tour excerpt: a ```text block after \"The tour's first screen:\", ending in a line \"...\"")
	}
	if excerpt == "" {
		t.Fatal("README.md's tour excerpt is empty")
	}
	if !strings.HasPrefix(string(golden), excerpt) {
		t.Errorf("README.md's tour excerpt is not what the tour prints first.\nREADME:\n%s\ntour:\n%s", excerpt, string(golden)[:min(len(golden), len(excerpt)+200)])
	}
}

// tourExcerpt returns the lines of the README's tour excerpt before its
// closing "..." line, each ending in a newline.
func tourExcerpt(readme string) (string, bool) {
	_, after, ok := strings.Cut(readme, "The tour's first screen:")
	if !ok {
		return "", false
	}
	_, block, ok := strings.Cut(after, "```text\n")
	if !ok {
		return "", false
	}
	block, _, ok = strings.Cut(block, "...\n```")
	return block, ok
}
