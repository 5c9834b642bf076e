package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// lockouts keeps the offline wrong-PIN counts and locks on the till's
// disk, so that quitting and starting the till again gives nobody fresh
// guesses at the PINs in the snapshot. An attempt is written before its
// PIN is checked (a till killed during the check has still spent it) and
// again once it is known.
type lockouts struct {
	path   string
	mu     sync.Mutex
	states map[string]lockState // by cashier number
}

type lockState struct {
	Failed      int       `json:"failed,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// openLockouts reads path (none yet: no counts).
func openLockouts(path string) (*lockouts, error) {
	l := &lockouts{path: path, states: map[string]lockState{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("offline sign-in lockouts: %w", err)
	}
	if err := json.Unmarshal(data, &l.states); err != nil {
		return nil, fmt.Errorf("offline sign-in lockouts %s: %w", path, err)
	}
	return l, nil
}

func (l *lockouts) get(number string) lockState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.states[number]
}

// set records one number's state: written to a new file, synced, and
// renamed over the old, so the file is always one whole state.
func (l *lockouts) set(number string, s lockState) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s == (lockState{}) {
		delete(l.states, number)
	} else {
		l.states[number] = s
	}
	data, err := json.Marshal(l.states)
	if err != nil {
		return err
	}
	tmp := l.path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("offline sign-in lockouts: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, l.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(l.path))
	}
	if err != nil {
		return fmt.Errorf("offline sign-in lockouts: %w", err)
	}
	return nil
}
