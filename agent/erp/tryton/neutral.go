package tryton

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/upkeep-erp/upkeep/platform"
)

// NeutralEmailURI is the [email] uri of a rehearsal copy: a closed port on
// the loopback, so every mail the copy tries to send fails at once (trytond
// logs it and goes on) and none leaves the host.
const NeutralEmailURI = "smtp://127.0.0.1:9"

// Neutralize implements erp.Neutralizer on the database: every scheduled
// job (ir_cron) is deactivated. Tryton 6.0 keeps its mail server in
// trytond.conf, not in the database: a rehearsal copy runs with its own
// configuration written by NeutralConf.
func (w *Writer) Neutralize(ctx context.Context) error {
	return w.ExecSQL(ctx, "UPDATE ir_cron SET active = false")
}

// NeutralConf writes to dst a copy of the trytond.conf src for a rehearsal
// copy: [email] uri set to NeutralEmailURI, and the options in overrides
// ("section.option" → value) set, e.g. "database.path" (the SQLite copy's
// folder), "database.uri" and "web.listen" (another port). Everything else
// is kept as it is. dst is written atomically, mode 0600 (the file may
// hold the database password).
func NeutralConf(src, dst string, overrides map[string]string) error {
	set := map[string]map[string]string{"email": {"uri": NeutralEmailURI}}
	for k, v := range overrides {
		sec, opt, ok := strings.Cut(k, ".")
		if !ok || sec == "" || opt == "" || strings.ContainsAny(k, "[]=:\n") || strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("tryton: NeutralConf: override %q = %q: give \"section.option\" and a one-line value", k, v)
		}
		if set[sec] == nil {
			set[sec] = map[string]string{}
		}
		set[sec][strings.ToLower(opt)] = v
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("tryton: read %s: %w", src, err)
	}
	out := rewriteINI(data, set)
	if err := platform.WriteFileAtomic(dst, out, 0o600); err != nil {
		return fmt.Errorf("tryton: write the rehearsal configuration: %w", err)
	}
	return nil
}

// rewriteINI sets the options of set in an INI text: an existing option's
// line (and its continuation lines) is replaced, a missing one is added
// after its section's header, a missing section at the end.
func rewriteINI(data []byte, set map[string]map[string]string) []byte {
	var out bytes.Buffer
	done := map[string]bool{}
	section, skipping := "", false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if skipping && trimmed != "" && (line[0] == ' ' || line[0] == '\t') {
			continue // a continuation of a replaced option
		}
		skipping = false
		if strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]") {
			section = trimmed[1 : len(trimmed)-1]
			out.WriteString(line + "\n")
			writeMissing(&out, section, set[section], data, done)
			continue
		}
		if key, ok := optionKey(trimmed); ok && section != "" {
			if v, ok := set[section][key]; ok {
				fmt.Fprintf(&out, "%s = %s\n", key, v)
				skipping = true
				continue
			}
		}
		out.WriteString(line + "\n")
	}
	for _, sec := range sortedKeys(set) {
		if !done[sec] {
			fmt.Fprintf(&out, "\n[%s]\n", sec)
			for _, k := range sortedKeys(set[sec]) {
				fmt.Fprintf(&out, "%s = %s\n", k, set[sec][k])
			}
		}
	}
	return out.Bytes()
}

// writeMissing writes, after a section's first header, the options of
// opts that the section does not have anywhere in the file.
func writeMissing(out *bytes.Buffer, section string, opts map[string]string, data []byte, done map[string]bool) {
	if done[section] || opts == nil {
		return
	}
	done[section] = true
	present := sectionKeys(data, section)
	for _, k := range sortedKeys(opts) {
		if !present[k] {
			fmt.Fprintf(out, "%s = %s\n", k, opts[k])
		}
	}
}

// sectionKeys lists the options of every occurrence of section in data.
func sectionKeys(data []byte, section string) map[string]bool {
	keys := map[string]bool{}
	cur := ""
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]") {
			cur = trimmed[1 : len(trimmed)-1]
			continue
		}
		if k, ok := optionKey(trimmed); ok && cur == section && line[0] != ' ' && line[0] != '\t' {
			keys[k] = true
		}
	}
	return keys
}

// optionKey returns the lower-cased option name of a "key = value" or
// "key: value" line; comments and blank lines have none.
func optionKey(trimmed string) (string, bool) {
	if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' || trimmed[0] == '[' {
		return "", false
	}
	i := strings.IndexAny(trimmed, "=:")
	if i <= 0 {
		return "", false
	}
	return strings.ToLower(strings.TrimSpace(trimmed[:i])), true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
