//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package platform

// Notifier would send desktop notifications with actions; this system
// has none Upkeep drives (NewNotifier returns ErrNoNotifier).
type Notifier struct{}

// NewNotifier returns ErrNoNotifier here.
func NewNotifier(string) (*Notifier, error) { return nil, ErrNoNotifier }

// Notify is never called: NewNotifier fails.
func (*Notifier) Notify(string, string, []NotifyAction, func(string)) error { return ErrNoNotifier }

// Close does nothing.
func (*Notifier) Close() error { return nil }
