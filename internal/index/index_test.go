package index

import (
	"fmt"
	"testing"
)

func TestTable(t *testing.T) {
	keys := []string{"a", "b", "a", "", "c", "b"}
	tab := New(len(keys), func(i int) string { return keys[i] })
	wantNew := []bool{true, true, false, true, true, false}
	wantPos := []int{0, 1, 0, 3, 4, 1}
	for i := range keys {
		pos, isNew := tab.Insert(i)
		if isNew != wantNew[i] || pos != wantPos[i] {
			t.Errorf("Insert(%d %q) = %d, %v; want %d, %v", i, keys[i], pos, isNew, wantPos[i], wantNew[i])
		}
	}
	for k, want := range map[string]int{"a": 0, "b": 1, "": 3, "c": 4, "d": -1} {
		if got := tab.Find(k); got != want {
			t.Errorf("Find(%q) = %d, want %d", k, got, want)
		}
	}
}

func TestTableManyKeys(t *testing.T) {
	keys := make([]string, 10000)
	for i := range keys {
		keys[i] = fmt.Sprintf("alloc-%d", i)
	}
	tab := New(len(keys), func(i int) string { return keys[i] })
	for i := range keys {
		if _, ok := tab.Insert(i); !ok {
			t.Fatalf("%q reported as a duplicate", keys[i])
		}
	}
	for i, k := range keys {
		if got := tab.Find(k); got != i {
			t.Fatalf("Find(%q) = %d, want %d", k, got, i)
		}
	}
}

func TestIDDeterministic(t *testing.T) {
	a, b := ID("x", "y"), ID("x", "y")
	if a != b || len(a) != 16 {
		t.Fatalf("ID not deterministic or not 16 hex digits: %q %q", a, b)
	}
	if ID("xy", "") == ID("x", "y") {
		t.Fatal("parts are not separated")
	}
}
