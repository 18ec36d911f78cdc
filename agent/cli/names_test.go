package cli

import (
	"strings"
	"testing"
)

func TestEveryCommandChecksTheModuleNamesTyped(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"scan", "--install", "localisation-es"}, "did you mean localization-es?"},
		{[]string{"scan", "--include-upgrades", "arq"}, `no installed module is named "arq"; did you mean arp?`},
		{[]string{"plan", "--include-upgrades", "cor"}, "did you mean core?"},
		{[]string{"apply", "--install", "reprots", "--yes"}, "did you mean reports?"},
		{[]string{"rehearse", "--include-upgrades", "ar"}, "did you mean arp?"},
		{[]string{"hold", "arpp"}, "did you mean arp?"},
		{[]string{"unhold", "arpp"}, "arpp: it is not held"},
		{[]string{"override", "default-upgrade", "arpp", "true"}, "did you mean arp?"},
		{[]string{"relax", "arpp", "core", "major"}, "did you mean arp?"},
		{[]string{"relax", "arp", "kore", "major"}, "did you mean core?"},
	} {
		code, out, errOut := run(t, append([]string{"--config", conf}, c.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, c.says) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d saying %q", strings.Join(c.args, " "), code, errOut, ExitUsage, c.says)
		}
		if strings.Contains(out+errOut, "Nothing to apply") {
			t.Errorf("%s: says there is nothing to apply: %s", strings.Join(c.args, " "), out)
		}
	}
	if code, out, _ := run(t, "--config", conf, "hold"); code != 0 || strings.Contains(out, "arpp") {
		t.Errorf("a refused hold was made: exit %d %q", code, out)
	}
}
