//go:build unix

package jobspec

import (
	"os"
	"syscall"
)

// openNoBlock opens a file of root without blocking: a named pipe swapped
// in after the check opens at once (and is then refused), where a plain
// open would wait for a writer.
func openNoBlock(root *os.Root, name string) (*os.File, error) {
	return root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
