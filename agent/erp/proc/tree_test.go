package proc

import (
	"slices"
	"testing"

	"github.com/upkeep-erp/upkeep/platform"
)

func TestFamilyPicksGroupSessionAndDescendants(t *testing.T) {
	// p builds a process table row: pid ppid pgid sid.
	p := func(pid, ppid, pgid, sid int) platform.ProcInfo {
		return platform.ProcInfo{PID: pid, PPID: ppid, PGID: pgid, SID: sid}
	}
	tty := func(i platform.ProcInfo) platform.ProcInfo { i.HasTTY = true; return i }
	self := p(500, 400, 500, 400) // the agent, child of 400 (its session leader)
	base := []platform.ProcInfo{
		p(1, 0, 1, 1), p(400, 1, 400, 400), self,
		p(600, 1, 600, 600), // unrelated daemon
	}
	cases := []struct {
		name  string
		table []platform.ProcInfo
		pid   int
		want  []int
	}{
		{"nohup from a script: the script's group and session, the server not leading either",
			[]platform.ProcInfo{p(101, 1, 100, 100), p(102, 101, 100, 100), p(103, 1, 100, 100)}, 101, []int{101, 102, 103}},
		{"a worker that left the group and session is still a descendant",
			[]platform.ProcInfo{p(101, 1, 101, 101), p(102, 101, 102, 102), p(103, 102, 102, 102)}, 101, []int{101, 102, 103}},
		{"the agent's own group and session are never signalled",
			[]platform.ProcInfo{p(101, 500, 500, 400), p(102, 101, 500, 400)}, 101, []int{101, 102}},
		{"a login session (a terminal) only through the group",
			[]platform.ProcInfo{tty(p(200, 1, 200, 200)), tty(p(101, 200, 101, 200)), tty(p(201, 200, 201, 200))}, 101, []int{101}},
		{"init's group and session are never signalled",
			[]platform.ProcInfo{p(101, 1, 1, 1)}, 101, []int{101}},
		{"the agent's ancestors are spared even inside the server's session",
			[]platform.ProcInfo{p(700, 1, 700, 700), p(701, 700, 700, 700)}, 400, nil},
		{"a pid not in the table", nil, 999, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []int
			for _, f := range family(append(slices.Clone(base), c.table...), c.pid, self) {
				got = append(got, f.PID)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("family(%d) = %v, want %v", c.pid, got, c.want)
			}
		})
	}
}
