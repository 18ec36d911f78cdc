package platform

import (
	"fmt"
	"os"
)

// OpenRegular opens path for reading only when it is a regular file; the
// error for anything else matches ErrNotRegular.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is a %s, not a regular file: %w", path, kindOfMode(st.Mode()), ErrNotRegular)
	}
	return f, nil
}
