package repo

import (
	"strings"
	"testing"
)

func TestParseDependsNamesTheDependencyOnce(t *testing.T) {
	_, err := ParseDepends([]string{"core>=2.50.0", "core=2.50.x"})
	if err == nil || KindOf(err) != KindInvalid || strings.Count(err.Error(), `"core=2.50.x"`) != 1 {
		t.Errorf("ParseDepends of a bad dependency = %v, want an invalid error naming it once", err)
	}
}
