package api

import (
	"errors"
	"fmt"
	"net/http"
)

// The error codes of the wire format: {"error": message, "code": code}.
const (
	codeAccessDenied = "access_denied"
	codeNotFound     = "not_found"
	codeConflict     = "conflict"
	codeBadRequest   = "bad_request"
	codeNotAvailable = "not_available"
	codeNotRehearsed = "not_rehearsed"
	codeInternal     = "internal"
)

// CodePlanChanged is a ConflictError's Code when the plan a caller
// reviewed is no longer the plan a fresh scan gives (the command line's
// exit 6).
const CodePlanChanged = "plan_changed"

// CodeUnknownModule is a BadRequestError's Code when the request names a
// module that is not installed or not offered, as it must be (the command
// line's exit 2); the message suggests the closest names.
const CodeUnknownModule = "unknown_module"

// The causes of a failed scan, ScanError.Code on the wire: the causes the
// command line exits 2, 4, 3 and 5 for (docs/CLI.md).
const (
	CodeConfig     = "config"     // the agent's configuration cannot be used (an ERP it cannot open, a bad trusted root)
	CodeERP        = "erp"        // the ERP's database or module folders cannot be read
	CodeRepository = "repository" // the central repository cannot be reached
	CodeUntrusted  = "untrusted"  // the repository's metadata failed verification
)

// AccessDeniedError says the caller may not do this: a read-only caller
// asked to act, the agent could not identify it, or the socket's
// permissions kept it out.
type AccessDeniedError struct{ Message string }

func (e *AccessDeniedError) Error() string { return e.Message }

// UnreachableError says no agent answers at Path: it is not running, or
// listens elsewhere.
type UnreachableError struct {
	Path string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the upkeep agent does not answer at %s (%v): start it with 'upkeep service start', or run the command without the service", e.Path, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// NotFoundError says the thing asked for does not exist (a run, a report).
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return e.Message }

// ConflictError says the request clashes with the agent's state: another
// apply is running (RunID names it), the plan changed, or the settings
// were changed by someone else meanwhile.
type ConflictError struct {
	Message string
	RunID   string // the running apply or rehearsal, when that is the conflict
	Code    string // CodePlanChanged when the plan changed; else empty
}

func (e *ConflictError) Error() string { return e.Message }

// BadRequestError says the request itself is wrong; the message names the
// field and the fix.
type BadRequestError struct {
	Message string
	Code    string // CodeUnknownModule for a module name that is not known; else empty
}

func (e *BadRequestError) Error() string { return e.Message }

// NotAvailableError says this agent does not offer Feature (yet). A
// client sees the server's Message (Feature is empty there).
type NotAvailableError struct {
	Feature string
	Message string
}

func (e *NotAvailableError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Feature + " is not available in this agent yet: run the command without the service, or update upkeep"
}

// NotRehearsedError says the configuration requires a passed rehearsal of
// the plan before it is applied (schedule.policy.require_rehearsal), and
// the plan has none: rehearse it first.
type NotRehearsedError struct{ Message string }

func (e *NotRehearsedError) Error() string { return e.Message }

// ScanError says a scan in the agent (or a plan, which scans) failed for
// the cause Code names: CodeConfig, CodeERP, CodeRepository or
// CodeUntrusted. Message says what failed and what to do.
type ScanError struct {
	Code    string
	Message string
}

func (e *ScanError) Error() string { return e.Message }

// Error is any other failure the agent reported.
type Error struct {
	Status  int // the HTTP status
	Message string
}

func (e *Error) Error() string { return e.Message }

// wireError is an error as it travels.
type wireError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	RunID string `json:"run_id,omitempty"`
}

// encodeError maps err to an HTTP status and its wire form.
func encodeError(err error) (int, wireError) {
	var (
		ad *AccessDeniedError
		nf *NotFoundError
		cf *ConflictError
		br *BadRequestError
		na *NotAvailableError
		nr *NotRehearsedError
		se *ScanError
	)
	w := wireError{Error: err.Error()}
	switch {
	case errors.As(err, &ad):
		w.Code = codeAccessDenied
		return http.StatusForbidden, w
	case errors.As(err, &nf):
		w.Code = codeNotFound
		return http.StatusNotFound, w
	case errors.As(err, &cf):
		w.Code, w.RunID = codeConflict, cf.RunID
		if cf.Code == CodePlanChanged {
			w.Code = CodePlanChanged
		}
		return http.StatusConflict, w
	case errors.As(err, &br):
		w.Code = codeBadRequest
		if br.Code == CodeUnknownModule {
			w.Code = CodeUnknownModule
		}
		return http.StatusBadRequest, w
	case errors.As(err, &na):
		w.Code = codeNotAvailable
		return http.StatusNotImplemented, w
	case errors.As(err, &nr):
		w.Code = codeNotRehearsed
		return http.StatusPreconditionFailed, w
	case errors.As(err, &se) && isScanCode(se.Code):
		w.Code = se.Code
		if se.Code == CodeConfig {
			return http.StatusInternalServerError, w
		}
		return http.StatusBadGateway, w
	}
	w.Code = codeInternal
	return http.StatusInternalServerError, w
}

// decodeError turns a wire error back into its typed error.
func decodeError(status int, w wireError) error {
	switch w.Code {
	case codeAccessDenied:
		return &AccessDeniedError{Message: w.Error}
	case codeNotFound:
		return &NotFoundError{Message: w.Error}
	case codeConflict:
		return &ConflictError{Message: w.Error, RunID: w.RunID}
	case CodePlanChanged:
		return &ConflictError{Message: w.Error, RunID: w.RunID, Code: CodePlanChanged}
	case codeBadRequest:
		return &BadRequestError{Message: w.Error}
	case CodeUnknownModule:
		return &BadRequestError{Message: w.Error, Code: CodeUnknownModule}
	case codeNotAvailable:
		return &NotAvailableError{Message: w.Error}
	case codeNotRehearsed:
		return &NotRehearsedError{Message: w.Error}
	case CodeConfig, CodeERP, CodeRepository, CodeUntrusted:
		return &ScanError{Code: w.Code, Message: w.Error}
	}
	if w.Error == "" {
		w.Error = http.StatusText(status)
	}
	return &Error{Status: status, Message: w.Error}
}

// isScanCode tells whether code is one of a ScanError's causes.
func isScanCode(code string) bool {
	switch code {
	case CodeConfig, CodeERP, CodeRepository, CodeUntrusted:
		return true
	}
	return false
}
