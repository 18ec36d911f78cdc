package platform

import "fmt"

// WritableBy checks that this process may create files in dir, or in its
// nearest existing ancestor when dir does not exist yet (username is not
// judged on Windows: run the check as the service's account).
func WritableBy(dir, username string) error {
	d, _, err := nearestExisting(dir)
	if err != nil {
		return err
	}
	if err := tryCreate(d); err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", d, err)
	}
	return nil
}
