package catalog

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// quoteLimit is the longest input an error message quotes whole.
const quoteLimit = 64

// Quote quotes s for an error message, as %q does, but shortened past 64
// bytes to its start and its length: input someone else chose (a
// 10,000-character version) must not fill the message, the log or the
// terminal.
func Quote(s string) string {
	if len(s) <= quoteLimit {
		return strconv.Quote(s)
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}
