//go:build upkeep_testhooks

package apply

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// hook is the crash tests' stop: at the boundary UPKEEP_TEST_STOP_AT names
// ("N": once step N is journaled as ended; "N!": once its work is done but
// before its end is journaled) the runner sleeps until it is killed.
func (r *Runner) hook(n int, beforeEnd bool) {
	at := strings.TrimSpace(os.Getenv("UPKEEP_TEST_STOP_AT"))
	want := strconv.Itoa(n)
	if beforeEnd {
		want += "!"
	}
	if at != want {
		return
	}
	fmt.Fprintf(os.Stderr, "upkeep: UPKEEP_TEST_STOP_AT=%s reached; waiting to be killed\n", want)
	for {
		time.Sleep(time.Hour)
	}
}
