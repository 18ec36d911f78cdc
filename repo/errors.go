package repo

import (
	"errors"
	"fmt"
)

// Kind classifies an error a caller can act on; the HTTP server maps it to a status.
type Kind int

// Error kinds.
const (
	KindInternal     Kind = iota
	KindInvalid           // bad input: fix the archive, manifest or argument
	KindConflict          // already exists (versions are immutable)
	KindNotFound          // no such module or version
	KindUnauthorized      // no or unknown token
	KindForbidden         // the token may not do this
)

// Error is an error with a kind; its message says what is wrong and what to do.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

func wrapKind(k Kind, err error, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the kind of err, KindInternal when it has none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
