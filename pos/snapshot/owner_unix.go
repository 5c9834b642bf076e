//go:build unix

package snapshot

import (
	"fmt"
	"os"
	"syscall"
)

// ownedByMe refuses a file another user owns: they could have written the
// cashiers and hashes in it, or could read it.
func ownedByMe(fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("cannot tell who owns it")
	}
	if me := os.Geteuid(); int(st.Uid) != me {
		return fmt.Errorf("owned by user %d, the till runs as user %d", st.Uid, me)
	}
	return nil
}
