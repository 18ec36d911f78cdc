package apply

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/agent/store"
)

// ReserveFile is the file in a run's folder that holds the journal's room:
// written before the ERP is stopped, removed when a journal write finds
// the disk full, so that the restore can still be journaled.
const ReserveFile = "journal.reserve"

// reserveSize is the room a restore's journal needs, with a wide margin: a
// few rows and their outputs (OutputLimit each), written through SQLite's
// write-ahead log.
const reserveSize = 8 << 20

// reserve writes the journal's reserve in the run's folder (real blocks,
// flushed: a sparse file would reserve nothing).
func (rn *run) reserve() error {
	if err := os.MkdirAll(rn.dir, 0o750); err != nil {
		return fmt.Errorf("create the run's folder %s: %w", rn.dir, err)
	}
	path := filepath.Join(rn.dir, ReserveFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("reserve room for the journal: %w", err)
	}
	chunk := make([]byte, 256<<10)
	for written := 0; written < reserveSize && err == nil; written += len(chunk) {
		_, err = f.Write(chunk)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("reserve %s for the journal in %s: %w", mib(reserveSize), rn.dir, err)
	}
	return nil
}

// releaseReserve removes the reserve; it reports whether it freed room.
func (rn *run) releaseReserve() bool {
	err := os.Remove(filepath.Join(rn.dir, ReserveFile))
	if err == nil {
		rn.warn("the state folder's disk is full: the %s reserved for the journal were released so that the restore is journaled", mib(reserveSize))
	}
	return err == nil
}

// journal writes to the journal with write; during a restore, a full disk
// releases the reserve and tries again, and a write that still fails is
// noted (unjournaled) instead of stopping the restore: the ERP is brought
// back all the same, and the error says what the journal lacks.
func (rn *run) journal(write func() error) error {
	err := write()
	if err == nil || !rn.restoring {
		return err
	}
	if store.DiskFull(err) && rn.releaseReserve() {
		if err = write(); err == nil {
			return nil
		}
	}
	if rn.unjournaled == nil {
		rn.unjournaled = err
	}
	return errUnjournaled
}

// errUnjournaled marks a journal write that a restore goes on without.
var errUnjournaled = errors.New("not journaled")

// unjournaledRestore is the error of a restore that ran but could not be
// fully journaled: exit 8, with the exact state of the ERP and what to do.
func (rn *run) unjournaledRestore(failedStep string, cause, restoreErr error) error {
	state := "the ERP was restored as it was before the apply and passed its health checks"
	if restoreErr != nil {
		state = fmt.Sprintf("the restore did not finish: %v", restoreErr)
	}
	where := rn.r.StateDir
	hint := "free room there"
	if store.DiskFull(rn.unjournaled) {
		hint = "its disk is full: free room there"
	}
	msg := fmt.Sprintf("step %q failed (%v); %s; but the journal in %s could not record it (%v): %s, then run: upkeep apply --recover-only "+
		"(it repeats the restore, which is safe to repeat, and records it); until then history shows run %d as unfinished and no other apply runs",
		failedStep, cause, state, where, rn.unjournaled, hint, rn.id)
	if restoreErr == nil {
		msg += fmt.Sprintf(". The backup is kept in %s", rn.dir)
	}
	rn.warn("%s", msg)
	return fmt.Errorf("%w: %s", ErrRestoreFailed, msg)
}
