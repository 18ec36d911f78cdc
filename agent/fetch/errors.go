package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// ErrNotFound matches (errors.Is) a module the repository does not carry.
var ErrNotFound = errors.New("module not found")

// ErrArchiveRejected matches (errors.Is) an archive that failed its length
// or sha256 check.
var ErrArchiveRejected = errors.New("archive rejected")

// NotFoundError says a module is not in a repository.
type NotFoundError struct {
	Module, Repository string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("module %q is not in repository %q; check the module name, or subscribe to a repository that carries it",
		e.Module, e.Repository)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// RejectedError says a downloaded archive did not match its reference; it
// was not saved.
type RejectedError struct {
	Path   string // the archive's path relative to the base URL
	Reason string // what did not match: length or sha256
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("archive %s rejected: %s; nothing was saved. Retry; if it happens again, the server or a proxy "+
		"serves a damaged or tampered file: report it to the repository's operator", e.Path, e.Reason)
}

// Is makes errors.Is(err, ErrArchiveRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrArchiveRejected }

// TooLargeError says an answer went over its size cap. It matches go-tuf's
// *metadata.ErrDownloadLengthMismatch and *metadata.ErrDownload.
type TooLargeError struct {
	URL   string
	Limit int64 // the cap, in bytes (decompressed)
	Size  int64 // the size the server declared, or -1 when it just kept sending
}

func (e *TooLargeError) Error() string {
	size := fmt.Sprintf("sends more than the %d-byte limit", e.Limit)
	if e.Size >= 0 {
		size = fmt.Sprintf("is %d bytes, over the %d-byte limit", e.Size, e.Limit)
	}
	return fmt.Sprintf("%s too large: %s %s; the server or a proxy in between is misbehaving "+
		"(or this repository's documents outgrew the agent's size limits)", kindOf(e.URL), e.URL, size)
}

// Is lets TUF-aware callers treat the error as a download error.
func (e *TooLargeError) Is(target error) bool {
	switch target.(type) {
	case *metadata.ErrDownloadLengthMismatch, *metadata.ErrDownload:
		return true
	}
	return false
}

// HTTPError is an answer other than 200 (or 304 to a conditional request).
// It unwraps to go-tuf's *metadata.ErrDownloadHTTP, so the updater reads a
// 404 for N.root.json as "no newer root".
type HTTPError struct {
	URL        string
	StatusCode int
}

func (e *HTTPError) Error() string {
	var hint string
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		hint = "the repository is private and wants a valid reader token: check the token_file of this repository " +
			"([[repository.private]]); a revoked or expired token needs a new one from the repository's operator"
	case e.StatusCode == http.StatusForbidden:
		hint = "the token may not read this repository: ask the repository's operator for a reader token scoped to it"
	case e.StatusCode >= 500:
		hint = "the server failed; retry later"
	default:
		hint = "check the repository's URL and name in the configuration"
	}
	return fmt.Sprintf("GET %s: HTTP %d %s; %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode), hint)
}

// Unwrap returns the go-tuf form of the error.
func (e *HTTPError) Unwrap() error {
	return &metadata.ErrDownloadHTTP{StatusCode: e.StatusCode, URL: e.URL}
}

// kindOf names what a URL holds, for messages.
func kindOf(u string) string {
	switch {
	case strings.Contains(u, "/metadata/"):
		return "metadata"
	case strings.Contains(u, "/targets/"):
		return "listing"
	}
	return "archive"
}

// hint adds what a person can do about a TUF verification failure.
func hint(err error) string {
	switch {
	case errors.Is(err, &metadata.ErrExpiredMetadata{}):
		return "the repository's signatures have expired (a frozen mirror, or a repository that stopped renewing): " +
			"ask its operator to run 'upkeep-repo renew', and check this host's clock"
	case errors.Is(err, &metadata.ErrUnsignedMetadata{}):
		return "the metadata is not signed by the repository's keys (tampering, or a wrong trusted root): " +
			"do not use this server until its operator confirms the keys"
	case errors.Is(err, &metadata.ErrBadVersionNumber{}):
		return "a version went backwards (a rollback attack or a stale mirror): use the repository itself or an up-to-date mirror"
	case errors.Is(err, &metadata.ErrLengthOrHashMismatch{}):
		return "a file does not match its signed length or hash (tampering or corruption): retry, and report it if it persists"
	}
	return "retry; if it persists, report it to the repository's operator"
}
