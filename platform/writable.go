package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// nearestExisting returns dir, or its nearest ancestor that exists (where
// a program that creates dir needs to write).
func nearestExisting(dir string) (string, fs.FileInfo, error) {
	d := filepath.Clean(dir)
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return d, nil, fmt.Errorf("%s is not a folder", d)
			}
			return d, fi, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return d, nil, err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return d, nil, err
		}
		d = parent
	}
}

// tryCreate creates and removes a file in d as this process.
func tryCreate(d string) error {
	f, err := os.CreateTemp(d, ".upkeep-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
