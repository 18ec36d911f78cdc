package platform

import "errors"

// NotifyAction is a button of a desktop notification: Key is what the
// callback gets when it is chosen, Label what it shows. The key "default"
// is a click on the notification itself.
type NotifyAction struct {
	Key, Label string
}

// ErrNoNotifier says this system offers no desktop notifications with
// actions: send plain ones instead.
var ErrNoNotifier = errors.New("no desktop notifications with actions on this system")
