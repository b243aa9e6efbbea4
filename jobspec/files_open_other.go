//go:build !unix

package jobspec

import "os"

// openNoBlock opens a file of root (a named pipe cannot be swapped in
// there as on Unix).
func openNoBlock(root *os.Root, name string) (*os.File, error) { return root.Open(name) }
