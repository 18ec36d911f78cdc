package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST tests need Europe/Paris and America/New_York wherever they run
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseWindow(t *testing.T) {
	for _, c := range []struct {
		in, want string
		days     string // the days it opens, Sunday first, as "SMTWTFS" with '.' for closed
	}{
		{"Sat 02:00-04:00", "Sat 02:00-04:00", "......S"},
		{"sat 2:00-4:00", "Sat 02:00-04:00", "......S"},
		{"Mon-Fri 22:00-23:30", "Mon-Fri 22:00-23:30", ".MTWTF."},
		{"  Mon - Fri   22:00 - 23:30 ", "Mon-Fri 22:00-23:30", ".MTWTF."},
		{"Fri 23:00-01:00", "Fri 23:00-01:00", ".....F."},
		{"Fri-Mon 01:00-02:00", "Mon,Fri-Sun 01:00-02:00", "SM...FS"},
		{"Sat,Sun 00:00-24:00", "Sat-Sun 00:00-24:00", "S.....S"},
		{"Tuesday,thu 12:00-13:00", "Tue,Thu 12:00-13:00", "..T.T.."},
		{"03:00-05:00", "daily 03:00-05:00", "SMTWTFS"},
		{"daily 23:30-00:30", "daily 23:30-00:30", "SMTWTFS"},
		{"* 01:00-02:00", "daily 01:00-02:00", "SMTWTFS"},
		{"Mon-Sun 01:00-02:00", "daily 01:00-02:00", "SMTWTFS"},
	} {
		w, err := ParseWindow(c.in)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", c.in, err)
			continue
		}
		var days strings.Builder
		for d, open := range w.Days {
			if open {
				days.WriteByte("SMTWTFS"[d])
			} else {
				days.WriteByte('.')
			}
		}
		if w.String() != c.want || days.String() != c.days {
			t.Errorf("ParseWindow(%q) = %q, days %s; want %q, %s", c.in, w, days.String(), c.want, c.days)
		}
	}
}

func TestParseWindowRejects(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "write days and hours",
		"Sat":                  "write days and hours",
		"Sat 0200":             "give the hours as HH:MM-HH:MM",
		"Sta 02:00-04:00":      `"sta" is not a day`,
		"Sat 02:00":            "give the hours",
		"Sat 2-4":              "is not a time of day",
		"Sat 25:00-26:00":      "hours run 00-23",
		"Sat 02:60-03:00":      "minutes 00-59",
		"Sat 24:00-02:00":      "24:00 only as an end",
		"Sat 02:00-02:00":      "opens and closes at the same time",
		"Sat 00:00-24:00 now":  "not a time of day",
		"Sat Sun 01:00-02:00":  `"satsun" is not a day`,
		"Mon-Xyz 01:00-02:00":  `"xyz" is not a day`,
		"Sat 02:0-04:00":       "not a time of day",
		"Sat +2:00-04:00":      `"sat+" is not a day`,
		"Sat 002:00-04:00":     "not a time of day",
		"Saturday,, 1:00-2:00": `"" is not a day`,
	} {
		_, err := ParseWindow(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseWindow(%q) error = %v, want it to say %q", in, err, want)
		}
	}
}

func TestWindowContainsAndNext(t *testing.T) {
	paris := mustLoad(t, "Europe/Paris")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-03-21 is a Saturday.
	for _, c := range []struct {
		window, now      string
		open             bool
		nextStart, close string
	}{
		{"Sat 02:00-04:00", "2026-03-21 01:59", false, "2026-03-21 02:00", "2026-03-21 04:00"},
		{"Sat 02:00-04:00", "2026-03-21 02:00", true, "2026-03-21 02:00", "2026-03-21 04:00"},
		{"Sat 02:00-04:00", "2026-03-21 03:59", true, "2026-03-21 03:59", "2026-03-21 04:00"},
		{"Sat 02:00-04:00", "2026-03-21 04:00", false, "2026-03-28 02:00", "2026-03-28 04:00"},
		{"Sat 02:00-04:00", "2026-03-16 12:00", false, "2026-03-21 02:00", "2026-03-21 04:00"},
		// Crossing midnight: Friday's window is still open early on Saturday.
		{"Fri 23:00-01:00", "2026-03-21 00:30", true, "2026-03-21 00:30", "2026-03-21 01:00"},
		{"Fri 23:00-01:00", "2026-03-20 22:59", false, "2026-03-20 23:00", "2026-03-21 01:00"},
		{"Fri 23:00-01:00", "2026-03-21 01:00", false, "2026-03-27 23:00", "2026-03-28 01:00"},
		{"Fri 23:00-01:00", "2026-03-20 00:30", false, "2026-03-20 23:00", "2026-03-21 01:00"}, // Thursday's night is not a window
		{"Mon-Fri 22:00-23:30", "2026-03-20 23:00", true, "2026-03-20 23:00", "2026-03-20 23:30"},
		{"Mon-Fri 22:00-23:30", "2026-03-20 23:30", false, "2026-03-23 22:00", "2026-03-23 23:30"},
		{"Sun 00:00-24:00", "2026-03-22 23:59", true, "2026-03-22 23:59", "2026-03-23 00:00"},
		{"Sun 00:00-24:00", "2026-03-23 00:00", false, "2026-03-29 00:00", "2026-03-30 00:00"},
	} {
		w, err := ParseWindow(c.window)
		if err != nil {
			t.Fatal(err)
		}
		now := at(c.now)
		start, end, ok := w.Next(now)
		if w.Contains(now) != c.open || !ok || !start.Equal(at(c.nextStart)) || !end.Equal(at(c.close)) {
			t.Errorf("%s at %s: open %v, next %s–%s; want %v, %s–%s", c.window, c.now, w.Contains(now),
				start.Format("Mon 01-02 15:04"), end.Format("Mon 01-02 15:04"), c.open, c.nextStart, c.close)
		}
	}
}

// On the nights DST starts and ends, a window keeps its wall-clock hours:
// it is shorter or longer in real time, and one in the skipped hour moves
// an hour later.
func TestWindowOnDSTChangeDays(t *testing.T) {
	for _, c := range []struct {
		zone, window, day string // day: the DST change day, a Sunday
		opens             string
		length            time.Duration
	}{
		// Europe/Paris: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
		{"Europe/Paris", "Sun 01:00-04:00", "2026-03-29", "2026-03-29T01:00:00+01:00", 2 * time.Hour},
		{"Europe/Paris", "Sun 02:00-04:00", "2026-03-29", "2026-03-29T03:00:00+02:00", time.Hour},
		{"Europe/Paris", "Sun 02:00-02:30", "2026-03-29", "2026-03-29T03:00:00+02:00", 30 * time.Minute},
		{"Europe/Paris", "Sun 01:00-04:00", "2026-10-25", "2026-10-25T01:00:00+02:00", 4 * time.Hour},
		{"Europe/Paris", "Sat 23:00-03:00", "2026-10-25", "2026-10-24T23:00:00+02:00", 5 * time.Hour},
		{"Europe/Paris", "Sun 02:00-04:00", "2026-10-25", "2026-10-25T02:00:00+01:00", 2 * time.Hour},
		// America/New_York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
		{"America/New_York", "Sun 01:30-03:30", "2026-03-08", "2026-03-08T01:30:00-05:00", time.Hour},
		{"America/New_York", "Sun 00:00-24:00", "2026-03-08", "2026-03-08T00:00:00-05:00", 23 * time.Hour},
		{"America/New_York", "Sun 00:00-24:00", "2026-11-01", "2026-11-01T00:00:00-04:00", 25 * time.Hour},
	} {
		loc := mustLoad(t, c.zone)
		w, err := ParseWindow(c.window)
		if err != nil {
			t.Fatal(err)
		}
		day, _ := time.ParseInLocation("2006-01-02", c.day, loc)
		from := day.Add(-36 * time.Hour)
		start, end, ok := w.Next(from)
		want, _ := time.Parse(time.RFC3339, c.opens)
		if !ok || !start.Equal(want) || end.Sub(start) != c.length {
			t.Errorf("%s %q on %s: opens %s for %s; want %s for %s", c.zone, c.window, c.day, start, end.Sub(start), want, c.length)
			continue
		}
		// Contains agrees with Next minute by minute around the change.
		for m := from; m.Before(from.Add(72 * time.Hour)); m = m.Add(time.Minute) {
			inside := !m.Before(start) && m.Before(end)
			if w.Contains(m) != inside && m.Before(end.Add(24*time.Hour)) {
				t.Fatalf("%s %q: Contains(%s) = %v, but the occurrence is %s–%s", c.zone, c.window, m, !inside, start, end)
			}
		}
	}
}

func TestWindowsNextPicksTheEarliest(t *testing.T) {
	ws, err := ParseWindows([]string{"Sat 02:00-04:00", "Wed 22:00-23:00"})
	if err != nil {
		t.Fatal(err)
	}
	mon := time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)
	start, end, ok := ws.Next(mon)
	if !ok || start != time.Date(2026, 3, 18, 22, 0, 0, 0, time.UTC) || end.Sub(start) != time.Hour {
		t.Fatalf("Next = %s, %s, %v", start, end, ok)
	}
	if ws.Contains(mon) || !ws.Contains(time.Date(2026, 3, 21, 3, 0, 0, 0, time.UTC)) {
		t.Fatal("Contains is wrong")
	}
	if _, err := ParseWindows([]string{"Sat 02:00-04:00", "Sta 1:00-2:00"}); err == nil || !strings.HasPrefix(err.Error(), "[1]: ") {
		t.Fatalf("ParseWindows error = %v, want it to name index 1", err)
	}
	if _, _, ok := (Windows{}).Next(mon); ok {
		t.Fatal("no windows found an opening")
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"Sat 02:00-04:00", "Mon-Fri 22:00-23:30", "Fri 23:00-01:00", "daily 00:00-24:00",
		"Fri-Mon 1:00-2:00", "sat,sun 23:59-00:01", "Sta 02:00-04:00", "Sat 24:00-01:00", "--", ",-,", "Sat 2:-4:"} {
		f.Add(s)
	}
	paris := mustLoad(f, "Europe/Paris")
	base := time.Date(2026, 3, 27, 12, 0, 0, 0, paris) // two days before the DST change
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		again, err := ParseWindow(w.String())
		if err != nil || again != w {
			t.Fatalf("%q → %q → %v, %v: String does not read back", s, w, again, err)
		}
		for _, h := range []int{0, 13, 37, 61} {
			now := base.Add(time.Duration(h) * time.Hour)
			start, end, ok := w.Next(now)
			if !ok || start.Before(now) || !end.After(start) || !w.Contains(start) || start.Sub(now) > 8*24*time.Hour {
				t.Fatalf("%q at %s: Next = %s–%s, %v", w, now, start, end, ok)
			}
		}
	})
}
