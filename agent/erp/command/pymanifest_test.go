package command

import "testing"

func TestAdaptVersion(t *testing.T) {
	for _, tt := range []struct{ version, series, want string }{
		{"1.0", "15.0", "15.0.1.0"},
		{"15.0", "15.0", "15.0.15.0"},
		{"15.0.1.0.0", "15.0", "15.0.1.0.0"},
		{"15.01.0", "15.0", "15.0.15.01.0"},
		{"1.3", "", "1.3"},
	} {
		if got := adaptVersion(tt.version, tt.series); got != tt.want {
			t.Errorf("adaptVersion(%q, %q) = %q, want %q", tt.version, tt.series, got, tt.want)
		}
	}
}
