package store

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEventsSameNewsIsRecordedOnce(t *testing.T) {
	ctx := t.Context()
	l := NewEvents(open(t))
	ch, cancel := l.Subscribe(8)
	defer cancel()
	e := Event{Kind: EventPatches, Title: "New patch:\n arp 1.4.0.1", Body: "arp 1.4.0 → 1.4.0.1", NewsKey: "patches:arp@1.4.0.1", Notify: true}
	first, isNew, err := l.Add(ctx, e)
	if err != nil || !isNew || first.ID == 0 || first.Title != "New patch: arp 1.4.0.1" || first.Level != LevelInfo {
		t.Fatalf("first Add = %+v, %v, %v", first, isNew, err)
	}
	again, isNew, err := l.Add(ctx, e)
	if err != nil || isNew || again.ID != first.ID || again.SeenCount != 2 {
		t.Fatalf("second Add = %+v, %v, %v; want the first event seen twice", again, isNew, err)
	}
	if got := <-ch; got.ID != first.ID {
		t.Fatalf("pushed %+v", got)
	}
	select {
	case got := <-ch:
		t.Fatalf("the repeated news was pushed again: %+v", got)
	default:
	}
	// Events without a key are always new.
	for range 2 {
		if _, isNew, err := l.Add(ctx, Event{Kind: EventProblem, Level: LevelWarning, Title: "stage failed"}); err != nil || !isNew {
			t.Fatalf("keyless Add: %v, %v", isNew, err)
		}
	}
	seen, err := l.Seen(ctx, "patches:arp@1.4.0.1", "patches:other")
	if err != nil || !seen["patches:arp@1.4.0.1"] || seen["patches:other"] {
		t.Fatalf("Seen = %v, %v", seen, err)
	}
	latest, _ := l.Latest(ctx, 2)
	since, _ := l.Since(ctx, first.ID, 10)
	if len(latest) != 2 || latest[0].ID != 3 || len(since) != 2 || since[0].ID != 2 {
		t.Fatalf("Latest = %+v, Since = %+v", latest, since)
	}
}

func TestEventsRejectBadInput(t *testing.T) {
	ctx := t.Context()
	l := NewEvents(open(t))
	for _, e := range []Event{
		{Kind: "", Title: "x"},
		{Kind: "two words", Title: "x"},
		{Kind: EventPatches, Level: "loud", Title: "x"},
		{Kind: EventPatches, Title: " \n "},
	} {
		if _, _, err := l.Add(ctx, e); err == nil {
			t.Errorf("Add(%+v) was accepted", e)
		}
	}
	if n, _ := l.Latest(ctx, 10); len(n) != 0 {
		t.Fatalf("rejected events were recorded: %+v", n)
	}
	long := OneLine(strings.Repeat("ab ", 200), 20)
	if len([]rune(long)) != 20 || !strings.HasSuffix(long, "…") {
		t.Fatalf("OneLine cut = %q", long)
	}
}

func TestEventsUnsentAndMarkSent(t *testing.T) {
	ctx := t.Context()
	l := NewEvents(open(t)) // the store's clock says 2026-11-22T03:00:00Z
	a, _, _ := l.Add(ctx, Event{Kind: EventPatches, Title: "a", Notify: true})
	l.Add(ctx, Event{Kind: EventNothingNew, Title: "quiet", Notify: false})
	b, _, _ := l.Add(ctx, Event{Kind: EventApplied, Title: "b", Notify: true})
	since := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	un, err := l.Unsent(ctx, since)
	if err != nil || len(un) != 2 || un[0].ID != a.ID || un[1].ID != b.ID {
		t.Fatalf("Unsent = %+v, %v", un, err)
	}
	if un, _ := l.Unsent(ctx, since.Add(24*time.Hour)); len(un) != 0 {
		t.Fatalf("events older than since were offered: %+v", un)
	}
	if err := l.MarkSent(ctx, []int64{a.ID}, errors.New("webhook down")); err != nil {
		t.Fatal(err)
	}
	if un, _ := l.Unsent(ctx, since.Add(24*time.Hour)); len(un) != 1 || un[0].ID != a.ID {
		t.Fatalf("an old event whose sending failed is not retried: %+v", un)
	}
	if err := l.MarkSent(ctx, []int64{a.ID}, nil); err != nil {
		t.Fatal(err)
	}
	for range MaxSendAttempts {
		if err := l.MarkSent(ctx, []int64{b.ID}, errors.New("webhook: HTTP 502")); err != nil {
			t.Fatal(err)
		}
	}
	if un, _ := l.Unsent(ctx, since); len(un) != 0 {
		t.Fatalf("a sent event, or one out of attempts, was offered again: %+v", un)
	}
	got, _ := l.Latest(ctx, 3)
	if got[0].SendError != "webhook: HTTP 502" || got[0].Attempts != MaxSendAttempts || got[2].SentAt == "" {
		t.Fatalf("events after sending = %+v", got)
	}
}

func TestEventsSubscribersFanOutAndSlowOnesAreDropped(t *testing.T) {
	ctx := t.Context()
	l := NewEvents(open(t))
	const n = 50
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		ch, cancel := l.Subscribe(n)
		defer cancel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if _, ok := <-ch; ok {
					counts[i]++
				}
			}
		}()
	}
	slow, cancelSlow := l.Subscribe(2)
	var adders sync.WaitGroup
	for w := range 2 {
		adders.Add(1)
		go func() {
			defer adders.Done()
			for i := w; i < n; i += 2 {
				if _, _, err := l.Add(ctx, Event{Kind: EventProblem, Title: "event"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	adders.Wait()
	wg.Wait()
	for i, c := range counts {
		if c != n {
			t.Errorf("subscriber %d got %d events, want %d", i, c, n)
		}
	}
	got := 0
	for range slow {
		got++
	}
	if got != 2 {
		t.Errorf("the slow subscriber got %d events before being dropped, want its buffer of 2", got)
	}
	cancelSlow() // after the drop: must not panic
	cancelSlow()
}
