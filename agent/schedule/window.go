package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a weekly maintenance window such as "Sat 02:00-04:00",
// "Mon-Fri 22:00-23:30" or "Fri 23:00-01:00" (crossing midnight: it opens
// on Friday and closes on Saturday), read on the wall clock of the time
// passed to its methods (the host's time zone). A start or end that a DST
// change skips is read as Go's time.Date does: an hour later.
type Window struct {
	Days  [7]bool // by time.Weekday: the days the window opens
	Start int     // minutes after midnight, 0..1439
	End   int     // minutes after midnight, 1..1440; at or before Start: the next day
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

const dayHelp = "use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range such as Mon-Fri, a list such as Sat,Sun, or daily"

// ParseWindow reads "[DAYS] HH:MM-HH:MM". DAYS is a day, a range of days
// (Mon-Fri, or Fri-Mon across the weekend), a comma list of those, or
// "daily"; without DAYS the window opens every day. The end may be 24:00;
// spaces are ignored.
func ParseWindow(s string) (Window, error) {
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
	i := strings.IndexAny(s, "0123456789")
	if i < 0 {
		return Window{}, fmt.Errorf("window %q: write days and hours, such as \"Sat 02:00-04:00\" or \"Mon-Fri 22:00-23:30\"", s)
	}
	days, hours := squeeze(s[:i]), squeeze(s[i:])
	var w Window
	if days == "" {
		days = "daily"
	}
	var err error
	if w.Days, err = parseDays(days); err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	if err := w.parseHours(hours); err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	return w, nil
}

func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	s = strings.ToLower(s)
	if s == "daily" || s == "*" {
		return [7]bool{true, true, true, true, true, true, true}, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := parseDay(from)
		if err != nil {
			return days, err
		}
		b := a
		if isRange {
			if b, err = parseDay(to); err != nil {
				return days, err
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, nil
}

func parseDay(s string) (int, error) {
	if len(s) >= 3 {
		for i, n := range dayNames {
			full := strings.ToLower(time.Weekday(i).String())
			if s == n || s == full {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("%q is not a day: %s", s, dayHelp)
}

func (w *Window) parseHours(s string) error {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return fmt.Errorf("%q: give the hours as HH:MM-HH:MM, such as 02:00-04:00", s)
	}
	var err error
	if w.Start, err = parseClock(from, false); err != nil {
		return err
	}
	if w.End, err = parseClock(to, true); err != nil {
		return err
	}
	if w.Start == w.End {
		return errors.New("the window opens and closes at the same time: give an end after the start (00:00-24:00 for a whole day)")
	}
	return nil
}

// parseClock reads H:MM or HH:MM as minutes after midnight; 24:00 only as an end.
func parseClock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	switch {
	case !ok || err1 != nil || err2 != nil || len(h) == 0 || len(h) > 2 || len(m) != 2 || h[0] == '+' || h[0] == '-':
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM, such as 02:00", s)
	case end && hh == 24 && mm == 0:
		return 1440, nil
	case hh > 23 || mm > 59:
		return 0, fmt.Errorf("%q is not a time of day: hours run 00-23 (24:00 only as an end), minutes 00-59", s)
	}
	return hh*60 + mm, nil
}

// String writes the window back in the form ParseWindow reads.
func (w Window) String() string {
	clock := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	return w.daysString() + " " + clock(w.Start) + "-" + clock(w.End)
}

func (w Window) daysString() string {
	if w.Days == [7]bool{true, true, true, true, true, true, true} {
		return "daily"
	}
	var parts []string
	for i := 0; i < 7; { // Monday first
		d := (i + 1) % 7
		if !w.Days[d] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Days[(j+2)%7] {
			j++
		}
		name := func(k int) string { return time.Weekday((k + 1) % 7).String()[:3] }
		if j == i {
			parts = append(parts, name(i))
		} else {
			parts = append(parts, name(i)+"-"+name(j))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// occurrence returns when the window opening on day y-m-d opens and closes,
// in loc.
func (w Window) occurrence(y int, m time.Month, d int, loc *time.Location) (time.Time, time.Time) {
	start := time.Date(y, m, d, w.Start/60, w.Start%60, 0, 0, loc)
	endDay := d
	if w.End <= w.Start {
		endDay++
	}
	return start, time.Date(y, m, endDay, w.End/60, w.End%60, 0, 0, loc)
}

// Next returns the earliest time at or after t when the window is open, and
// when it closes; t itself when it is open at t. ok is false for a window
// with no days.
func (w Window) Next(t time.Time) (start, end time.Time, ok bool) {
	y, m, d := t.Date()
	for off := -1; off <= 7; off++ {
		if !w.Days[time.Date(y, m, d+off, 0, 0, 0, 0, time.UTC).Weekday()] {
			continue
		}
		s, e := w.occurrence(y, m, d+off, t.Location())
		if s.Before(t) {
			s = t
		}
		if s.Before(e) {
			return s, e, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// Contains reports whether the window is open at t.
func (w Window) Contains(t time.Time) bool {
	s, _, ok := w.Next(t)
	return ok && s.Equal(t)
}

// Windows is a set of maintenance windows; it is open when any is.
type Windows []Window

// ParseWindows reads each window with ParseWindow; the error names the
// index of the bad one.
func ParseWindows(specs []string) (Windows, error) {
	out := make(Windows, 0, len(specs))
	for i, s := range specs {
		w, err := ParseWindow(s)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// Contains reports whether a window is open at t.
func (ws Windows) Contains(t time.Time) bool {
	for _, w := range ws {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

// Next returns the earliest opening at or after t among the windows, and
// when that window closes; ok is false when there is none.
func (ws Windows) Next(t time.Time) (start, end time.Time, ok bool) {
	for _, w := range ws {
		s, e, found := w.Next(t)
		if found && (!ok || s.Before(start) || (s.Equal(start) && e.After(end))) {
			start, end, ok = s, e, true
		}
	}
	return start, end, ok
}

// String lists the windows, comma-separated.
func (ws Windows) String() string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.String()
	}
	return strings.Join(parts, "; ")
}
