// Command scanbench measures agent/scan on the synthetic benchmark catalog (20,000 modules, 200,000 versions, decoded from JSON into scan.Listings as the agent holds them) and an instance of 400 modules, 30 of them blocked, and prints the median, p90, CPU time and memory; with -apt it also writes the same catalog and instance as a Debian Packages file and a dpkg status file; with -growth it measures the scan at 10, 20, 40 and 80 versions per module.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/catalog/synth"
	"github.com/upkeep-erp/upkeep/platform"
)

// data is the benchmark's input, as the agent holds it in memory: the
// listings decoded from their JSON into the scan's compact form.
type data struct {
	set       *scan.Listings
	installed []scan.Installed
	policy    scan.Policy
	load      time.Duration // decoding and compacting the listings
}

func main() {
	runs := flag.Int("runs", 30, "timed scans")
	modules := flag.Int("modules", synth.Default().Modules, "synthetic modules")
	versions := flag.Int("versions", synth.Default().VersionsPerModule, "versions per module")
	aptDir := flag.String("apt", "", "also write the catalog and instance for apt into this directory (Packages, status)")
	reportFile := flag.String("report", "", "write the scan's JSON report here")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed scans here")
	flag.BoolVar(&fetchedOnly, "fetched", false, "keep only the listings the agent fetches: its installed modules and, transitively, their dependencies")
	growthFlag := flag.Bool("growth", false, "measure CPU and peak RSS per scan at 10, 20, 40 and 80 versions per module (one child process each; -runs scans each)")
	growthChildN := flag.Int("growth-child", 0, "(used by -growth) measure one size")
	flag.Parse()
	if *growthFlag || *growthChildN > 0 {
		var err error
		if *growthChildN > 0 {
			err = growthChild(*modules, *growthChildN, *runs)
		} else {
			err = growth(*modules, *runs)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "scanbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(synth.Config{Modules: *modules, VersionsPerModule: *versions, Seed: synth.Default().Seed}, *runs, *aptDir, *reportFile, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

func run(cfg synth.Config, runs int, aptDir, reportFile, cpuprofile string) error {
	start := time.Now()
	d, err := generate(cfg, aptDir)
	if err != nil {
		return err
	}
	runtime.GC()
	debug.FreeOSMemory()
	live := heapObjects()
	generationPeak := platform.PeakRSS()
	resetPeak := resetPeakRSS()
	fmt.Printf("catalog: %d listings of %d modules; instance: %d installed, %d held; generated in %v; listings decoded from JSON and compacted in %v; listings in memory: %.0f MiB\n",
		d.set.Len(), cfg.Modules, len(d.installed), len(d.policy.Holds), time.Since(start).Round(time.Millisecond), d.load.Round(time.Millisecond), mib(live))
	r, err := report(d, reportFile)
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return measure(d, r, runs, live, generationPeak, resetPeak)
}

// generate builds the catalog, the instance and (with aptDir) the apt files.
func generate(cfg synth.Config, aptDir string) (*data, error) {
	cat := synth.Generate(cfg)
	inst := synth.NewInstance(cat, synth.DefaultInstance())
	if aptDir != "" {
		if err := writeApt(aptDir, append(cat, inst.Private...), inst); err != nil {
			return nil, err
		}
	}
	listings := synth.Listings(cat, synth.SeriesOf)
	listings = append(listings, synth.Listings(inst.Private, func(*catalog.Manifest) string { return synth.PrivateRepository })...)
	d := &data{set: &scan.Listings{}, policy: scan.Policy{Holds: map[string]string{}}}
	for _, m := range inst.Installed {
		d.installed = append(d.installed, scan.Installed{Module: m.Name, Version: m.Version, Core: m.Core, Source: "erp"})
	}
	for _, h := range inst.Holds {
		d.policy.Holds[h] = "benchmark hold"
	}
	if fetchedOnly {
		listings = fetched(listings, d.installed)
	}
	var err error
	if d.load, err = load(d.set, listings); err != nil {
		return nil, err
	}
	d.set.Index() // the first Index drops what only adding needs
	return d, nil
}

// load decodes every listing from its JSON document straight into set
// (scan.Listings.AddJSON: no catalog.Listing is built); only the compact form stays. It
// returns the time spent decoding and adding (not encoding).
func load(set *scan.Listings, listings []*catalog.Listing) (time.Duration, error) {
	var spent time.Duration
	for i, l := range listings {
		b, err := json.Marshal(l)
		if err != nil {
			return 0, err
		}
		t := time.Now()
		if err := set.AddJSON(b); err != nil {
			return 0, err
		}
		spent += time.Since(t)
		listings[i] = nil
	}
	return spent, nil
}

// fetchedOnly keeps only the listings an agent fetches (the -fetched flag).
var fetchedOnly bool

// fetched keeps the listings of the installed modules and, transitively,
// of every module their releases depend on: what agent/cli's gather fetches.
func fetched(all []*catalog.Listing, installed []scan.Installed) []*catalog.Listing {
	byModule := map[string][]*catalog.Listing{}
	for _, l := range all {
		byModule[l.Module] = append(byModule[l.Module], l)
	}
	var out []*catalog.Listing
	seen := map[string]bool{}
	var queue []string
	for _, m := range installed {
		queue = append(queue, m.Module)
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		for _, l := range byModule[name] {
			out = append(out, l)
			for _, r := range l.Versions {
				for _, dep := range r.Depends {
					queue = append(queue, dep.Module)
				}
			}
		}
	}
	return out
}

// scanOnce builds the index and scans.
func scanOnce(d *data) (*scan.Report, time.Duration, time.Duration, error) {
	t0 := time.Now()
	idx := d.set.Index()
	t1 := time.Now()
	r, err := scan.Scan(idx, d.installed, d.policy)
	return r, t1.Sub(t0), time.Since(t1), err
}

// report scans once, prints what the report holds and writes it when asked.
func report(d *data, file string) (*scan.Report, error) {
	r, _, _, err := scanOnce(d)
	if err != nil {
		return nil, err
	}
	resolvable, minimal, entries := 0, 0, 0
	for _, c := range r.NotApplicable {
		if *c.Why.Resolvable {
			resolvable++
			entries += len(c.Why.Disable)
		}
		if c.Why.DisableMinimal {
			minimal++
		}
	}
	fmt.Printf("report: %d patches, %d updates, %d upgrades, %d upgrade notices, %d not applicable (%d with a disable set, %d proven minimal, %d modules listed to disable in all), %d held, %d changes in the target\n",
		len(r.Patches), len(r.Updates), len(r.Upgrades), len(r.UpgradeNotices), len(r.NotApplicable), resolvable, minimal, entries, len(r.Held), len(r.Target))
	if file == "" {
		return r, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	fmt.Printf("report written to %s (%.1f MiB of JSON)\n", file, mib(uint64(len(b))))
	return r, os.WriteFile(file, b, 0o644)
}

// measure times runs scans and one plan, then samples the heap during a scan.
func measure(d *data, r *scan.Report, runs int, live uint64, generationPeak int64, resetPeak bool) error {
	var idx, sc, total []time.Duration
	cpu0, cpuOK := cpuTime()
	for i := 0; i < runs; i++ {
		_, ti, ts, err := scanOnce(d)
		if err != nil {
			return err
		}
		idx, sc, total = append(idx, ti), append(sc, ts), append(total, ti+ts)
	}
	cpu1, _ := cpuTime()
	t := time.Now()
	if _, err := r.Plan(scan.PlanOptions{}); err != nil {
		return err
	}
	planTime := time.Since(t)
	peak, err := peakDuringScan(d)
	if err != nil {
		return err
	}
	fmt.Printf("index (of %d listings; modules are merged when the scan needs them): median %s, p90 %s\n", d.set.Len(), ms(median(idx)), ms(p90(idx)))
	fmt.Printf("scan (classify, blockers, smallest disable sets): median %s, p90 %s\n", ms(median(sc)), ms(p90(sc)))
	fmt.Printf("index + scan: median %s, p90 %s (%d runs); plan: %s\n", ms(median(total)), ms(p90(total)), runs, ms(planTime))
	if cpuOK {
		fmt.Printf("cpu: %s per index + scan (user + system, all threads; unlike the times above, other load on the machine barely changes it)\n",
			ms((cpu1-cpu0)/time.Duration(runs)))
	}
	fmt.Printf("memory: listings %.0f MiB live; Go heap peak during a scan %.0f MiB (%.0f MiB above the listings)\n",
		mib(live), mib(peak), mib(peak-min(peak, live)))
	if hwm, ok := vmHWM(); ok && resetPeak {
		fmt.Printf("memory: process peak RSS while scanning %.0f MiB (listings included); %.0f MiB while generating the synthetic catalog\n",
			mib(hwm), mib(uint64(generationPeak)))
	} else {
		fmt.Printf("memory: process peak RSS %.0f MiB (includes generating the synthetic catalog; this system cannot reset the peak)\n",
			mib(uint64(platform.PeakRSS())))
	}
	fmt.Printf("scan-median-ms: %.2f\n", float64(median(total).Microseconds())/1000)
	return nil
}

// peakDuringScan samples the live heap objects while one scan runs.
func peakDuringScan(d *data) (uint64, error) {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				if h := heapObjects(); h > peak.Load() {
					peak.Store(h)
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	_, _, _, err := scanOnce(d)
	close(done)
	return max(peak.Load(), heapObjects()), err
}

// resetPeakRSS resets the kernel's peak RSS of this process (Linux), so
// that VmHWM measures the scans alone.
func resetPeakRSS() bool { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil }

// vmHWM reads this process's peak RSS from /proc/self/status (Linux).
func vmHWM() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// cpuTime reads the CPU time this process has used, all threads, from
// /proc/self/stat (Linux; in clock ticks of 10 ms).
func cpuTime() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	stat := string(b)
	f := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:]) // the command may hold spaces and parentheses
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond, err1 == nil && err2 == nil
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func median(ds []time.Duration) time.Duration { return quantile(ds, 0.5) }
func p90(ds []time.Duration) time.Duration    { return quantile(ds, 0.9) }

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func mib(b uint64) float64      { return float64(b) / (1 << 20) }
