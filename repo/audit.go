package repo

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// Audit results.
const (
	ResultOK      = "ok"      // the write was done
	ResultRefused = "refused" // refused: no or a bad token, no right, bad input, a conflict
	ResultFailed  = "failed"  // it failed on the repository's side (a full disk, a broken store)
)

// Attempt is one write as the audit log records it: who asked for what.
//
// Every write goes through Store.attempt, which records a refusal or a
// failure once the write is rolled back; a write that succeeds records
// itself with Store.audit inside its own transaction, so the entry and the
// change commit together. A new write (say `advisory add`) follows the
// same two steps:
//
//	return s.attempt(ctx, Attempt{Actor: a, Action: "advisory-add", Module: m}, func(at *Attempt) error {
//		… checks (a refusal returned here is audited) …
//		return s.locked(ctx, func() error {
//			return s.write(ctx, func(c *change) error {
//				… the change …
//				return s.audit(c, a, "advisory-add", m, v, detail)
//			})
//		})
//	})
type Attempt struct {
	Actor   Actor
	Action  string // publish, extend, maturity, default-upgrade, token-add, token-revoke, rotate-root, repository-add
	Module  string
	Version string
	Detail  string // what was asked, in the admin's words
}

// attempt runs fn, the body of a write asked for by at.Actor, and records
// in the audit log a refusal or failure fn returns (fn may fill in at's
// module and version once it knows them). An entry that cannot be written
// is not allowed to hide fn's error.
func (s *Store) attempt(ctx context.Context, at Attempt, fn func(at *Attempt) error) error {
	err := fn(&at)
	if err != nil {
		s.recordFailure(context.WithoutCancel(ctx), at, err)
	}
	return err
}

// RecordRefusal audits a write refused before it reached the store (the
// HTTP server's refusals of a missing, unknown, revoked or expired token).
func (s *Store) RecordRefusal(ctx context.Context, at Attempt, err error) {
	s.recordFailure(context.WithoutCancel(ctx), at, err)
}

func (s *Store) recordFailure(ctx context.Context, at Attempt, err error) {
	result := ResultRefused
	if KindOf(err) == KindInternal {
		result = ResultFailed
	}
	_, _ = s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, module, version, detail, result, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.stamp(), clip(at.Actor.Name, 200), at.Action, clip(at.Module, 200),
		clip(at.Version, 100), clip(at.Detail, 1000), result, clip(err.Error(), 2000))
}

// audit records a write that is being done, inside its transaction.
func (s *Store) audit(c *change, a Actor, action, module, version, detail string) error {
	err := c.exec("INSERT INTO audit_log (at, actor, action, module, version, detail, result) VALUES (?, ?, ?, ?, ?, ?, ?)",
		c.stamp, a.Name, action, module, version, detail, ResultOK)
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// clip shortens s to at most n bytes (on a rune boundary), saying how long
// it was: input an attacker chose never fills the log or a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

// LogEntry is one audited write attempt.
type LogEntry struct {
	At      string `db:"at" json:"at"`
	Actor   string `db:"actor" json:"actor"`
	Action  string `db:"action" json:"action"`
	Module  string `db:"module" json:"module,omitempty"`
	Version string `db:"version" json:"version,omitempty"`
	Detail  string `db:"detail" json:"detail,omitempty"`
	Result  string `db:"result" json:"result"`           // ok, refused or failed
	Reason  string `db:"reason" json:"reason,omitempty"` // why it was refused or failed
}

// LogFilter selects audit entries; the zero value selects all.
type LogFilter struct {
	Module  string // only this module's
	Refused bool   // only refused and failed attempts
}

// Log returns the audit log, oldest first.
func (s *Store) Log(ctx context.Context, f LogFilter) ([]LogEntry, error) {
	var out []LogEntry
	err := s.db.SelectContext(ctx, &out, `SELECT at, actor, action, module, version, detail, result, reason FROM audit_log
		WHERE (? = '' OR module = ?) AND (? = 0 OR result != 'ok') ORDER BY id`, f.Module, f.Module, f.Refused)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
