package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Event levels.
const (
	LevelInfo    = "info"
	LevelWarning = "warning"
	LevelError   = "error"
)

// Event kinds the scheduler records; other parts may add their own.
const (
	EventNothingNew      = "nothing-new"       // a scan found nothing to propose
	EventPatches         = "patches"           // new patches
	EventUpdates         = "updates"           // new updates
	EventUpgrades        = "upgrade-available" // an upgrade exists (proposed or on request)
	EventBlocked         = "blocked"           // newer versions that cannot be applied as things stand
	EventStaged          = "staged"            // a plan was downloaded and staged
	EventRunStarted      = "run-started"       // an apply or rehearsal started (shown and pushed, never sent)
	EventReinstallable   = "reinstallable"     // a module Upkeep disabled can be installed again
	EventApplied         = "applied"           // a plan was applied
	EventFailedRestored  = "failed-restored"   // an apply failed; the instance is exactly as before
	EventRestoreFailed   = "restore-failed"    // an apply failed and so did its restore: act now
	EventRehearsalFailed = "rehearsal-failed"  // a rehearsal failed; nothing was applied
	EventProblem         = "problem"           // a step could not run (plan, stage, rehearse, apply)
	EventUnreachable     = "unreachable"       // scans started failing
	EventReachable       = "reachable"         // scans work again
	EventSecurity        = "security"          // a change fixes a security advisory: urgent
	EventExposed         = "exposed"           // installed versions keep known security holes: urgent
)

// Urgent reports whether the event is sent marked urgent: security fixes
// and exposed modules.
func (e Event) Urgent() bool { return e.Kind == EventSecurity || e.Kind == EventExposed }

// MaxSendAttempts is how often an event is offered to the notifiers before
// the agent gives up on sending it (it stays in the log).
const MaxSendAttempts = 20

// titleLimit caps an event title, in runes.
const titleLimit = 200

// Event is one thing the agent found or did.
type Event struct {
	ID    int64  `db:"id" json:"id"`
	At    string `db:"at" json:"at"` // RFC 3339, UTC, when first recorded
	Kind  string `db:"kind" json:"kind"`
	Level string `db:"level" json:"level"` // info, warning or error
	Title string `db:"title" json:"title"` // one line
	Body  string `db:"body" json:"body,omitempty"`
	// NewsKey identifies the news (e.g. "patches:arp@1.4.0.1,core@2.50.21.1"):
	// an event whose key was recorded before is not recorded or sent again.
	// Empty: every Add records a new event.
	NewsKey    string `db:"news_key" json:"news_key,omitempty"`
	PlanHash   string `db:"plan_hash" json:"plan_hash,omitempty"`
	Notify     bool   `db:"notify" json:"notify"` // false: shown and pushed, never sent by webhook or e-mail
	SeenCount  int    `db:"seen_count" json:"seen_count"`
	LastSeenAt string `db:"last_seen_at" json:"last_seen_at"`
	SentAt     string `db:"sent_at" json:"sent_at,omitempty"`
	Attempts   int    `db:"send_attempts" json:"send_attempts,omitempty"`
	SendError  string `db:"send_error" json:"send_error,omitempty"`
}

const eventColumns = `id, at, kind, level, title, body, news_key, plan_hash, notify, seen_count, last_seen_at, sent_at, send_attempts, send_error`

// Events is the event log kept in a store, with an in-process fan-out of
// new events to subscribers. Create one per store and share it.
type Events struct {
	st   *Store
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch   chan Event
	once sync.Once
}

// NewEvents returns the event log of st.
func NewEvents(st *Store) *Events {
	return &Events{st: st, subs: map[*subscriber]struct{}{}}
}

// Add records e and pushes it to the subscribers. When e's news key was
// recorded before, nothing new is recorded or pushed: the earlier event is
// returned with its sighting counted, and isNew is false.
func (l *Events) Add(ctx context.Context, e Event) (_ Event, isNew bool, err error) {
	if err := normalize(&e); err != nil {
		return Event{}, false, err
	}
	e.At = l.st.stamp()
	e.LastSeenAt = e.At
	var id int64
	var seen int
	err = l.st.db.QueryRowxContext(ctx, `INSERT INTO events (at, kind, level, title, body, news_key, plan_hash, notify, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (news_key) WHERE news_key <> '' DO UPDATE SET seen_count = seen_count + 1, last_seen_at = excluded.last_seen_at
		RETURNING id, seen_count`,
		e.At, e.Kind, e.Level, e.Title, e.Body, e.NewsKey, e.PlanHash, e.Notify, e.LastSeenAt).Scan(&id, &seen)
	if err != nil {
		return Event{}, false, fmt.Errorf("record event %q: %w", e.Title, err)
	}
	if seen > 1 {
		old, err := l.get(ctx, id)
		return old, false, err
	}
	e.ID, e.SeenCount = id, 1
	l.publish(e)
	return e, true, nil
}

// normalize checks an event and makes its title one short line.
func normalize(e *Event) error {
	if e.Level == "" {
		e.Level = LevelInfo
	}
	switch {
	case e.Kind == "" || strings.ContainsAny(e.Kind, " \t\r\n"):
		return fmt.Errorf("event kind %q: give a short word such as %q", e.Kind, EventPatches)
	case e.Level != LevelInfo && e.Level != LevelWarning && e.Level != LevelError:
		return fmt.Errorf("event level %q: use info, warning or error", e.Level)
	}
	e.Title = OneLine(e.Title, titleLimit)
	if e.Title == "" {
		return errors.New("event title is empty: say in one line what happened")
	}
	return nil
}

// OneLine folds s to a single line of at most limit runes (an ellipsis
// marks a cut).
func OneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:limit-1])) + "…"
}

func (l *Events) get(ctx context.Context, id int64) (Event, error) {
	var e Event
	if err := l.st.db.GetContext(ctx, &e, "SELECT "+eventColumns+" FROM events WHERE id = ?", id); err != nil {
		return Event{}, fmt.Errorf("read event %d: %w", id, err)
	}
	return e, nil
}

// Seen tells which of keys were recorded before.
func (l *Events) Seen(ctx context.Context, keys ...string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In("SELECT news_key FROM events WHERE news_key IN (?)", keys)
	if err != nil {
		return nil, fmt.Errorf("sqlx.In: %w", err)
	}
	var found []string
	if err := l.st.db.SelectContext(ctx, &found, q, args...); err != nil {
		return nil, fmt.Errorf("read news keys: %w", err)
	}
	for _, k := range found {
		out[k] = true
	}
	return out, nil
}

// Latest returns the n most recent events, newest first.
func (l *Events) Latest(ctx context.Context, n int) ([]Event, error) {
	out := []Event{}
	if err := l.st.db.SelectContext(ctx, &out, "SELECT "+eventColumns+" FROM events ORDER BY id DESC LIMIT ?", n); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return out, nil
}

// Since returns up to limit events with an id above id, oldest first: what
// a client that last saw event id has missed.
func (l *Events) Since(ctx context.Context, id int64, limit int) ([]Event, error) {
	out := []Event{}
	if err := l.st.db.SelectContext(ctx, &out, "SELECT "+eventColumns+" FROM events WHERE id > ? ORDER BY id LIMIT ?", id, limit); err != nil {
		return nil, fmt.Errorf("read events since %d: %w", id, err)
	}
	return out, nil
}

// Unsent returns the events to send, oldest first: not sent yet, with
// attempts left, and either tried before or recorded at or after since (so
// that old events are not sent when a notifier is first configured).
func (l *Events) Unsent(ctx context.Context, since time.Time) ([]Event, error) {
	out := []Event{}
	err := l.st.db.SelectContext(ctx, &out, "SELECT "+eventColumns+` FROM events
		WHERE notify = 1 AND sent_at = '' AND send_attempts < ? AND (send_attempts > 0 OR at >= ?) ORDER BY id`,
		MaxSendAttempts, since.UTC().Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("read unsent events: %w", err)
	}
	return out, nil
}

// MarkSent records a sending attempt of the events ids: sent when sendErr
// is nil, otherwise counted as a failed attempt with its error.
func (l *Events) MarkSent(ctx context.Context, ids []int64, sendErr error) error {
	if len(ids) == 0 {
		return nil
	}
	sent, msg := l.st.stamp(), ""
	if sendErr != nil {
		sent, msg = "", OneLine(sendErr.Error(), 2000)
	}
	q, args, err := sqlx.In("UPDATE events SET sent_at = ?, send_error = ?, send_attempts = send_attempts + 1 WHERE id IN (?)", sent, msg, ids)
	if err != nil {
		return fmt.Errorf("sqlx.In: %w", err)
	}
	if _, err := l.st.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("record sending of %d events: %w", len(ids), err)
	}
	return nil
}

// Subscribe returns a channel that receives every event recorded from now
// on, and a function that ends the subscription and closes the channel. A
// subscriber more than buf events behind is dropped (its channel closed):
// catch up with Since from the last id received, then subscribe again.
func (l *Events) Subscribe(buf int) (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, max(buf, 1))}
	l.mu.Lock()
	l.subs[s] = struct{}{}
	l.mu.Unlock()
	return s.ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.drop(s)
	}
}

// drop removes s and closes its channel; l.mu is held.
func (l *Events) drop(s *subscriber) {
	delete(l.subs, s)
	s.once.Do(func() { close(s.ch) })
}

func (l *Events) publish(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs {
		select {
		case s.ch <- e:
		default:
			l.drop(s)
		}
	}
}
