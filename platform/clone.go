package platform

import "errors"

// ErrCloneUnsupported says a file cannot be cloned copy-on-write here: the
// filesystem has no reflinks (ext4, tmpfs), the two paths are on different
// filesystems, or the system has no clone call. The caller copies instead.
var ErrCloneUnsupported = errors.New("this filesystem cannot clone files (no reflink)")
