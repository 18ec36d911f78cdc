package fetch

import (
	"strings"
	"testing"
)

func TestModulesListsEveryModuleOfTheRepository(t *testing.T) {
	t.Parallel()
	for _, bits := range []int{1, 4} {
		e := newEnv(t, bits)
		for repo, want := range map[string]string{"2.50": "arp,core,localization-es,reports,warehouse", "3.0": "arp,core,warehouse"} {
			got, err := e.client(repo, "").Modules(ctxT(t))
			if err != nil {
				t.Fatalf("bits %d, %s: Modules: %v", bits, repo, err)
			}
			if strings.Join(got, ",") != want {
				t.Errorf("bits %d, %s: Modules = %v, want %s", bits, repo, got, want)
			}
		}
	}
}
