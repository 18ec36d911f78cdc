package apply

import (
	"bytes"
	"strings"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

// Event phases.
const (
	PhaseStart     = "start"     // a step starts
	PhaseOutput    = "output"    // a line of the step's output
	PhaseDone      = "done"      // the step ended well
	PhaseFailed    = "failed"    // the step failed; Line is the error
	PhaseWarning   = "warning"   // something the admin should know; Line says what
	PhaseRecovered = "recovered" // Recover finished an earlier run; Line says how
)

// Event is one piece of a run's progress.
type Event struct {
	Run     int64         `json:"run"`
	Step    int           `json:"step"`  // n: the journal's step number
	Steps   int           `json:"steps"` // m: the plan's step count (restore steps come after)
	Name    string        `json:"name,omitempty"`
	Phase   string        `json:"phase"`
	Elapsed time.Duration `json:"elapsed_ns"`        // since the run started
	Took    time.Duration `json:"took_ns,omitempty"` // the step's duration (done, failed)
	Line    string        `json:"line,omitempty"`
}

// output collects a step's output, keeping the last store.OutputLimit
// bytes, and passes each complete line on; writers may be concurrent.
type output struct {
	mu     sync.Mutex
	kept   []byte
	line   []byte
	onLine func(string)
}

func newOutput(onLine func(string)) *output { return &output{onLine: onLine} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kept = append(o.kept, p...)
	if over := len(o.kept) - 2*store.OutputLimit; over > 0 {
		o.kept = append(o.kept[:0], o.kept[over:]...)
	}
	o.line = append(o.line, p...)
	for {
		i := bytes.IndexByte(o.line, '\n')
		if i < 0 {
			break
		}
		o.onLine(strings.TrimRight(string(o.line[:i]), "\r"))
		o.line = o.line[i+1:]
	}
	if len(o.line) > 4096 { // a very long line is passed on in pieces
		o.onLine(string(o.line))
		o.line = o.line[:0]
	}
	return len(p), nil
}

// Flush passes on a last line without a newline.
func (o *output) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.line) > 0 {
		o.onLine(string(o.line))
		o.line = nil
	}
}

// String returns the kept output (the journal keeps its tail).
func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.kept)
}
