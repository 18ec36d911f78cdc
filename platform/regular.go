package platform

import (
	"errors"
	"io/fs"
)

// ErrNotRegular matches (errors.Is) OpenRegular's refusal of anything but
// a regular file.
var ErrNotRegular = errors.New("not a regular file")

// kindOfMode names a file type for messages.
func kindOfMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
