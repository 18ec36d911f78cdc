package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/catalog/synth"
)

// growthSizes are the versions per module -growth measures.
var growthSizes = []int{10, 20, 40, 80}

// growth runs one child process per size (so that each peak RSS is its
// own) and prints their lines and the ratio of CPU at 80 to CPU at 10.
func growth(modules, runs int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cpu := map[int]float64{}
	for _, n := range growthSizes {
		var out bytes.Buffer
		cmd := exec.Command(self, "-growth-child", strconv.Itoa(n), "-modules", strconv.Itoa(modules), "-runs", strconv.Itoa(runs)) // never -growth: no grandchildren
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%d versions per module: %w", n, err)
		}
		os.Stdout.Write(out.Bytes())
		if cpu[n], err = growthCPU(out.String()); err != nil {
			return err
		}
	}
	fmt.Printf("growth-ratio-80-10: %.2f\n", cpu[80]/cpu[10])
	return nil
}

// growthCPU reads cpu-ms from a child's growth line.
func growthCPU(out string) (float64, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "growth versions=") {
			continue
		}
		for _, f := range strings.Fields(sc.Text()) {
			if v, ok := strings.CutPrefix(f, "cpu-ms="); ok {
				return strconv.ParseFloat(v, 64)
			}
		}
	}
	return 0, fmt.Errorf("no growth line in %q", out)
}

// growthChild builds the catalog of n versions per module straight into
// the compact form (a module at a time, no JSON: the scan is measured, not
// the decoding), then times runs scans and prints
// "growth versions=N cpu-ms=X rss-mib=Y".
func growthChild(modules, n, runs int) error {
	d, err := compactCatalog(synth.Config{Modules: modules, VersionsPerModule: n, Seed: synth.Default().Seed})
	if err != nil {
		return err
	}
	runtime.GC()
	debug.FreeOSMemory()
	live := heapObjects()
	resetPeak := resetPeakRSS()
	r, _, _, err := scanOnce(d) // warms up; its result sizes the line
	if err != nil {
		return err
	}
	var wall []time.Duration
	cpu0, _ := cpuTime()
	for i := 0; i < runs; i++ {
		_, ti, ts, err := scanOnce(d)
		if err != nil {
			return err
		}
		wall = append(wall, ti+ts)
	}
	cpu1, cpuOK := cpuTime()
	hwm, ok := vmHWM()
	if !ok || !resetPeak || !cpuOK {
		return fmt.Errorf("this system cannot report CPU time and peak RSS (Linux /proc needed)")
	}
	fmt.Printf("%d versions per module: %d listings, %.0f MiB in memory; report: %d patches, %d updates, %d notices, %d not applicable; wall median %s (%d runs)\n",
		n, d.set.Len(), mib(live), len(r.Patches), len(r.Updates), len(r.UpgradeNotices), len(r.NotApplicable), ms(median(wall)), runs)
	fmt.Printf("growth versions=%d cpu-ms=%.0f rss-mib=%.0f\n", n, float64((cpu1-cpu0).Milliseconds())/float64(runs), mib(hwm))
	return nil
}

// compactCatalog adds the synthetic catalog and instance to a Listings one
// module at a time, so that the whole catalog is never held decoded.
func compactCatalog(cfg synth.Config) (*data, error) {
	d := &data{set: &scan.Listings{}, policy: scan.Policy{Holds: map[string]string{}}}
	var firsts []synth.Release
	var err error
	synth.Each(cfg, func(rels []synth.Release) {
		if rels[0].Manifest.Core {
			firsts = append(firsts, rels...)
		} else {
			firsts = append(firsts, rels[0])
		}
		for _, l := range synth.Listings(rels, synth.SeriesOf) {
			if err == nil {
				err = d.set.Add(l)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	inst := synth.NewInstance(firsts, synth.DefaultInstance())
	for _, l := range synth.Listings(inst.Private, func(*catalog.Manifest) string { return synth.PrivateRepository }) {
		if err := d.set.Add(l); err != nil {
			return nil, err
		}
	}
	for _, m := range inst.Installed {
		d.installed = append(d.installed, scan.Installed{Module: m.Name, Version: m.Version, Core: m.Core, Source: "erp"})
	}
	for _, h := range inst.Holds {
		d.policy.Holds[h] = "benchmark hold"
	}
	d.set.Index()
	return d, nil
}
