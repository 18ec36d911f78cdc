package catalog

import (
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The agreed API, checked at compile time: changing a signature breaks this file.
var (
	_ func(string) (Version, error)                             = ParseVersion
	_ func(string) Version                                      = MustParseVersion
	_ func(Version) string                                      = Version.String
	_ func(Version, Version) int                                = Version.Compare
	_ func(Version, Version) bool                               = Version.Less
	_ func(Version, Version) bool                               = Version.Equal
	_ func(Version) bool                                        = Version.IsZero
	_ func(Version) int                                         = Version.Len
	_ func(Version, int) uint32                                 = Version.Component
	_ func(Version) Series                                      = Version.Series
	_ func(Version, uint32) (Version, error)                    = Version.Append
	_ func(Version, uint32) Version                             = Version.WithLast
	_ func(Version) string                                      = Version.SortKey
	_ func(Version) ([]byte, error)                             = Version.MarshalText
	_ func(*Version, []byte) error                              = (*Version).UnmarshalText
	_ func(string) (Series, error)                              = ParseSeries
	_ func(Series) string                                       = Series.String
	_ func(Series, Series) int                                  = Series.Compare
	_ func(Series) Version                                      = Series.First
	_ func(Series) ([]byte, error)                              = Series.MarshalText
	_ func(*Series, []byte) error                               = (*Series).UnmarshalText
	_ func(Version, Version) ChangeKind                         = Classify
	_ func(Version, Release) ChangeKind                         = ClassifyRelease
	_ func(Version, Release, bool) ChangeKind                   = ClassifyModule
	_ func(ChangeKind) string                                   = ChangeKind.String
	_ func(ChangeKind) ([]byte, error)                          = ChangeKind.MarshalText
	_ func(*ChangeKind, []byte) error                           = (*ChangeKind).UnmarshalText
	_ func(string) (Maturity, error)                            = ParseMaturity
	_ func(Maturity) string                                     = Maturity.String
	_ func(Maturity) ([]byte, error)                            = Maturity.MarshalText
	_ func(*Maturity, []byte) error                             = (*Maturity).UnmarshalText
	_ func(string) (Enforcement, error)                         = ParseEnforcement
	_ func(Enforcement) string                                  = Enforcement.String
	_ func(Enforcement) ([]byte, error)                         = Enforcement.MarshalText
	_ func(*Enforcement, []byte) error                          = (*Enforcement).UnmarshalText
	_ func(string) (Dependency, error)                          = ParseDependency
	_ func(Dependency) string                                   = Dependency.String
	_ func(Dependency, Version) bool                            = Dependency.Allows
	_ func(Dependency) Range                                    = Dependency.Range
	_ func(Dependency, Dependency) bool                         = Dependency.Covers
	_ func(Dependency) ([]byte, error)                          = Dependency.MarshalJSON
	_ func(*Dependency, []byte) error                           = (*Dependency).UnmarshalJSON
	_ func(old, new []Dependency) error                         = CheckWidening
	_ func([]byte) (*Manifest, error)                           = ParseManifest
	_ func(*Manifest) error                                     = (*Manifest).Validate
	_ func(*Manifest) ([]byte, error)                           = (*Manifest).EncodeTOML
	_ func(*Manifest, ArchiveRef, time.Time) Release            = (*Manifest).Release
	_ func(Script, Version, Version) bool                       = Script.AppliesTo
	_ func() ArchiveLimits                                      = DefaultArchiveLimits
	_ func(io.ReaderAt, int64, ArchiveLimits) (*Archive, error) = ReadArchive
	_ func(io.ReaderAt, int64, *Manifest, io.Writer) error      = RewriteManifest
	_ func([]byte) (*Listing, error)                            = ParseListing
	_ func(*Listing) error                                      = (*Listing).Validate
	_ func(*Listing) *Release                                   = (*Listing).Latest
)

// TestImportsArePure keeps the package free of I/O: only the standard
// library (minus the packages that reach the system) and the TOML parser.
func TestImportsArePure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if forbiddenImport(p) {
				t.Errorf("%s imports %q; catalog must stay pure (no I/O)", name, p)
			}
		}
	}
}

func forbiddenImport(p string) bool {
	switch {
	case p == "github.com/BurntSushi/toml":
		return false
	case strings.Contains(strings.Split(p, "/")[0], "."):
		return true // any other module
	case p == "net" || strings.HasPrefix(p, "net/"), p == "os" || strings.HasPrefix(p, "os/"):
		return true
	}
	switch p {
	case "syscall", "io/ioutil", "database/sql", "unsafe", "plugin", "runtime/cgo", "C":
		return true
	}
	return false
}

func TestForbiddenImport(t *testing.T) {
	for p, want := range map[string]bool{
		"os": true, "os/exec": true, "net": true, "net/http": true, "syscall": true, "io/ioutil": true,
		"database/sql": true, "github.com/x/y": true, "github.com/BurntSushi/toml": false,
		"archive/zip": false, "io": false, "io/fs": false, "encoding/json": false,
	} {
		if forbiddenImport(p) != want {
			t.Errorf("forbiddenImport(%q) = %v", p, !want)
		}
	}
}
