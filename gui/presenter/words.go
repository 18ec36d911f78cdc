package presenter

import "regexp"

// cliWords rewrites the command-line options the agent's texts name (they
// are shared with the upkeep command) into what the window offers instead.
var cliWords = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`; include them with --include-upgrades [\w.-]+`), "; plan them on the Upgrades screen"},
	{regexp.MustCompile(`: --include-upgrades [\w.-]+\)`), ": plan it on the Upgrades screen)"},
	{regexp.MustCompile(` \(--include-upgrades [\w.-]+\)`), " (plan it on the Upgrades screen)"},
	{regexp.MustCompile(`; add --disable-blockers to disable what blocks it`), "; “Disable blockers…” disables what blocks it"},
	{regexp.MustCompile(`\(drop --disable-blockers or --include-upgrades\)`), "(without disabling blockers, or with fewer upgrades)"},
	{regexp.MustCompile(`; request it too \(--install ([\w.-]+)\)`), "; install it too (on the host: upkeep apply --install $1)"},
	{regexp.MustCompile(`--disable-blockers`), "“Disable blockers…”"},
	{regexp.MustCompile(`--include-upgrades ([\w.-]+)`), "“Plan this upgrade…” for $1"},
}

// Words turns a text of the agent into the window's words: where it names
// a command-line option the window has a button for, it names the button.
func Words(s string) string {
	for _, w := range cliWords {
		s = w.re.ReplaceAllString(s, w.with)
	}
	return s
}

func wordsAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = Words(s)
	}
	return out
}
