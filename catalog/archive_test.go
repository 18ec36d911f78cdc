package catalog

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// zipEntry is one entry of a test archive.
type zipEntry struct {
	name  string
	data  string
	mode  fs.FileMode // 0: a default regular file (or folder, when name ends in "/")
	store bool        // zip.Store instead of zip.Deflate
	flags uint16
}

const testManifest = `name = "arp"
version = "1.4.0"
summary = "Advanced Receivables and Payables"
depends = ["core>=2.50.0"]

[[scripts]]
phase = "pre"
path = "migrations/1.4.0/pre.sql"
to = "1.4.0"
`

func validEntries() []zipEntry {
	return []zipEntry{
		{name: "upkeep.toml", data: testManifest},
		{name: "migrations/"},
		{name: "migrations/1.4.0/pre.sql", data: "ALTER TABLE x ADD y int;\n"},
		{name: "src/arp/Main.java", data: strings.Repeat("class Main {}\n", 10), mode: 0o755},
		{name: "README", data: "", store: true},
	}
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Flags: e.flags}
		if e.store || strings.HasSuffix(e.name, "/") {
			fh.Method = zip.Store
		}
		if e.mode != 0 {
			fh.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawZip builds an archive with one raw entry whose header says usize bytes.
func rawZip(t testing.TB, name string, data []byte, method uint16, usize uint64, extra ...zipEntry) []byte {
	t.Helper()
	stored := data
	if method == zip.Deflate {
		var c bytes.Buffer
		fw, _ := flate.NewWriter(&c, flate.BestCompression)
		fw.Write(data)
		fw.Close()
		stored = c.Bytes()
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range extra {
		w, _ := zw.Create(e.name)
		io.WriteString(w, e.data)
	}
	fh := &zip.FileHeader{Name: name, Method: method, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(len(stored)), UncompressedSize64: usize}
	w, err := zw.CreateRaw(fh)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(stored)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readZip(b []byte, lim ArchiveLimits) (*Archive, error) {
	return ReadArchive(bytes.NewReader(b), int64(len(b)), lim)
}

func TestReadArchiveValid(t *testing.T) {
	a, err := readZip(buildZip(t, validEntries()...), DefaultArchiveLimits())
	if err != nil {
		t.Fatal(err)
	}
	if a.Manifest.Name != "arp" || a.Manifest.Version.String() != "1.4.0" || len(a.Manifest.Scripts) != 1 {
		t.Errorf("manifest = %#v", a.Manifest)
	}
	want := []ArchiveFile{
		{Name: "README", Size: 0, Mode: 0o666},
		{Name: "migrations/1.4.0/pre.sql", Size: 25, Mode: 0o666},
		{Name: "src/arp/Main.java", Size: 140, Mode: 0o755},
		{Name: "upkeep.toml", Size: int64(len(testManifest)), Mode: 0o666},
	}
	if !reflect.DeepEqual(a.Files, want) {
		t.Errorf("Files = %+v\nwant %+v", a.Files, want)
	}
}

func TestReadArchiveHostile(t *testing.T) {
	manifest := zipEntry{name: "upkeep.toml", data: "name = \"arp\"\nversion = \"1.0\"\n"}
	zeros := strings.Repeat("\x00", 10<<20)
	tests := []struct {
		name    string
		zip     []byte
		lim     ArchiveLimits
		want    string
		entries bool // the error names an entry
	}{
		{"parent path", buildZip(t, manifest, zipEntry{name: "../evil.sh", data: "x"}), ArchiveLimits{}, `archive entry "../evil.sh": path "../evil.sh" contains ".."`, true},
		{"inner parent path", buildZip(t, manifest, zipEntry{name: "a/../../evil", data: "x"}), ArchiveLimits{}, `contains ".."`, true},
		{"absolute path", buildZip(t, manifest, zipEntry{name: "/etc/passwd", data: "x"}), ArchiveLimits{}, "is absolute", true},
		{"backslash", buildZip(t, manifest, zipEntry{name: `a\..\b`, data: "x"}), ArchiveLimits{}, `contains "\"`, true},
		{"drive letter", buildZip(t, manifest, zipEntry{name: "C:/evil", data: "x"}), ArchiveLimits{}, "drive letter", true},
		{"nul", buildZip(t, manifest, zipEntry{name: "a\x00b", data: "x"}), ArchiveLimits{}, "control character", true},
		{"windows device", buildZip(t, manifest, zipEntry{name: "src/Con.txt", data: "x"}), ArchiveLimits{}, `Windows device name "Con"`, true},
		{"unclean", buildZip(t, manifest, zipEntry{name: "a//b", data: "x"}), ArchiveLimits{}, "not in clean form", true},
		{"dot", buildZip(t, manifest, zipEntry{name: "./a", data: "x"}), ArchiveLimits{}, "not in clean form", true},
		{"empty name", buildZip(t, manifest, zipEntry{name: "", data: "x"}), ArchiveLimits{}, "is empty", true},
		{"invalid utf-8", buildZip(t, manifest, zipEntry{name: "a\xff", data: "x"}), ArchiveLimits{}, "not valid UTF-8", true},
		{"symlink", buildZip(t, manifest, zipEntry{name: "link", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777}), ArchiveLimits{}, "is a symbolic link", true},
		{"device", buildZip(t, manifest, zipEntry{name: "dev", mode: fs.ModeDevice | 0o666}), ArchiveLimits{}, "is a device", true},
		{"pipe", buildZip(t, manifest, zipEntry{name: "fifo", mode: fs.ModeNamedPipe | 0o666}), ArchiveLimits{}, "is a named pipe", true},
		{"folder with data", rawZip(t, "a/", []byte("x"), zip.Store, 1, manifest), ArchiveLimits{}, "is a folder but holds data", true},
		{"encrypted", buildZip(t, manifest, zipEntry{name: "secret", data: "x", flags: 0x1}), ArchiveLimits{}, "is encrypted", true},
		{"setuid", buildZip(t, manifest, zipEntry{name: "bin/run", data: "x", mode: fs.ModeSetuid | 0o755}), ArchiveLimits{}, `"bin/run": has mode urwxr-xr-x (setuid`, true},
		{"setgid folder", buildZip(t, manifest, zipEntry{name: "bin/", mode: fs.ModeDir | fs.ModeSetgid | 0o755}), ArchiveLimits{}, "setuid, setgid or sticky", true},
		{"sticky", buildZip(t, manifest, zipEntry{name: "tmp", data: "x", mode: fs.ModeSticky | 0o644}), ArchiveLimits{}, "setuid, setgid or sticky", true},
		{"mode 0777", buildZip(t, manifest, zipEntry{name: "run.sh", data: "x", mode: 0o777}), ArchiveLimits{}, `"run.sh": has mode -rwxrwxrwx, writable by anyone`, true},
		{"folder 0777", buildZip(t, manifest, zipEntry{name: "data/", mode: fs.ModeDir | 0o777}), ArchiveLimits{}, "writable by anyone", true},
		{"long version", buildZip(t, zipEntry{name: "upkeep.toml", data: "name = \"arp\"\nversion = \"" + strings.Repeat("1", 10000) + "\"\n"}), ArchiveLimits{}, `(10000 bytes)`, false},
		{"duplicate", buildZip(t, manifest, zipEntry{name: "a", data: "1"}, zipEntry{name: "a", data: "2"}), ArchiveLimits{}, `duplicates entry "a"`, true},
		{"duplicate by case", buildZip(t, manifest, zipEntry{name: "Readme", data: "1"}, zipEntry{name: "README", data: "2"}), ArchiveLimits{}, `"README": duplicates entry "Readme"`, true},
		{"duplicate manifest by case", buildZip(t, manifest, zipEntry{name: "UPKEEP.TOML", data: "2"}), ArchiveLimits{}, "duplicates entry", true},
		{"duplicate folder", buildZip(t, manifest, zipEntry{name: "d/"}, zipEntry{name: "d/"}), ArchiveLimits{}, "duplicates entry", true},
		{"file and folder", buildZip(t, manifest, zipEntry{name: "a", data: "1"}, zipEntry{name: "a/"}), ArchiveLimits{}, "duplicates entry", true},
		{"file used as folder", buildZip(t, manifest, zipEntry{name: "a", data: "1"}, zipEntry{name: "a/b", data: "2"}), ArchiveLimits{}, `uses "a" as a folder`, true},
		{"folder then file", buildZip(t, manifest, zipEntry{name: "a/b", data: "2"}, zipEntry{name: "A", data: "1"}), ArchiveLimits{}, `entry "a/b" uses it as a folder`, true},
		{"bomb", buildZip(t, manifest, zipEntry{name: "zeros", data: zeros}), ArchiveLimits{}, "compression ratio 1", true},
		{"bomb with a lying header", rawZip(t, "zeros", []byte(zeros), zip.Deflate, 100, manifest), ArchiveLimits{}, "damaged or crafted", true},
		{"entry too large", buildZip(t, manifest, zipEntry{name: "zeros", data: zeros}), ArchiveLimits{MaxEntrySize: 1 << 20, MaxRatio: 1 << 20}, "uncompressed; the limit is 1048576", true},
		{"header says less", rawZip(t, "data", []byte(strings.Repeat("x", 5000)), zip.Store, 4000, manifest), ArchiveLimits{}, "cannot be decompressed", true},
		{"header says more", rawZip(t, "data", []byte(strings.Repeat("x", 5000)), zip.Store, 6000, manifest), ArchiveLimits{}, "cannot be decompressed", true},
		{"unknown method", rawZip(t, "data", []byte("abc"), 99, 3, manifest), ArchiveLimits{}, "cannot be opened", true},
		{"total too large", buildZip(t, manifest, zipEntry{name: "a", data: strings.Repeat("a", 600)}, zipEntry{name: "b", data: strings.Repeat("b", 600)}), ArchiveLimits{MaxTotalSize: 1100, MaxRatio: 1000}, `"b": takes the archive over 1100 bytes`, true},
		{"huge manifest", buildZip(t, zipEntry{name: "upkeep.toml", data: strings.Repeat("#", 1<<20+1), store: true}), ArchiveLimits{}, "a manifest that large", true},
		{"too many entries", buildZip(t, manifest, zipEntry{name: "a"}, zipEntry{name: "b"}, zipEntry{name: "c"}), ArchiveLimits{MaxEntries: 3}, "archive has 4 entries; the limit is 3", false},
		{"missing manifest", buildZip(t, zipEntry{name: "a", data: "x"}), ArchiveLimits{}, "upkeep.toml is missing at the archive root; add", false},
		{"nested manifest", buildZip(t, zipEntry{name: "sub/upkeep.toml", data: manifest.data}), ArchiveLimits{}, "upkeep.toml is missing", false},
		{"manifest by another case", buildZip(t, zipEntry{name: "Upkeep.toml", data: manifest.data}), ArchiveLimits{}, `but "Upkeep.toml" is there: rename it`, false},
		{"manifest folder", buildZip(t, zipEntry{name: "upkeep.toml/"}), ArchiveLimits{}, "upkeep.toml is a folder", false},
		{"manifest folder by content", buildZip(t, zipEntry{name: "upkeep.toml/x", data: "1"}), ArchiveLimits{}, "upkeep.toml is a folder", false},
		{"invalid manifest", buildZip(t, zipEntry{name: "upkeep.toml", data: "name = \"arp\"\n"}), ArchiveLimits{}, "archive: upkeep.toml: version is missing", false},
		{"missing script", buildZip(t, zipEntry{name: "upkeep.toml", data: testManifest}), ArchiveLimits{}, `scripts[0]: path "migrations/1.4.0/pre.sql" is not a file in the archive`, false},
		{"script is a folder", buildZip(t, zipEntry{name: "upkeep.toml", data: testManifest}, zipEntry{name: "migrations/1.4.0/pre.sql/"}), ArchiveLimits{}, "is not a file in the archive", false},
		{"archive too large", buildZip(t, manifest), ArchiveLimits{MaxArchiveSize: 10}, "the limit is 10", false},
		{"not a zip", []byte("this is not a zip file at all, just text"), ArchiveLimits{}, "cannot be read as a zip file", false},
	}
	for _, tt := range tests {
		_, err := readZip(tt.zip, tt.lim)
		if err != nil && len(err.Error()) > 1000 {
			t.Errorf("%s: the error is %d bytes long: it echoes the input whole", tt.name, len(err.Error()))
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v\n want it to contain %q", tt.name, err, tt.want)
			continue
		}
		if tt.entries && !strings.HasPrefix(err.Error(), "archive entry ") {
			t.Errorf("%s: error %q does not name the entry", tt.name, err)
		}
	}
}

// TestReadArchivePlainModes: modes Unix zip tools record, and that a
// module may have, pass.
func TestReadArchivePlainModes(t *testing.T) {
	entries := append(validEntries(), zipEntry{name: "shared/", mode: fs.ModeDir | 0o775}, zipEntry{name: "shared/x", data: "x", mode: 0o664},
		zipEntry{name: "ro", data: "x", mode: 0o400})
	if _, err := readZip(buildZip(t, entries...), DefaultArchiveLimits()); err != nil {
		t.Fatalf("plain modes refused: %v", err)
	}
}

func TestReadArchiveInsecurePathSetting(t *testing.T) {
	t.Setenv("GODEBUG", "zipinsecurepath=0")
	_, err := readZip(buildZip(t, zipEntry{name: "../x", data: "1"}), ArchiveLimits{})
	if err == nil || !strings.Contains(err.Error(), `archive entry "../x": path "../x" contains ".."`) {
		t.Errorf("error = %v, want the entry named", err)
	}
}

func TestReadArchiveNegativeSize(t *testing.T) {
	if _, err := ReadArchive(bytes.NewReader(nil), -1, DefaultArchiveLimits()); err == nil {
		t.Error("negative size accepted")
	}
}

func TestDefaultArchiveLimits(t *testing.T) {
	want := ArchiveLimits{MaxArchiveSize: 256 << 20, MaxEntries: 20000, MaxEntrySize: 256 << 20, MaxTotalSize: 1 << 30, MaxRatio: 200}
	if DefaultArchiveLimits() != want || (ArchiveLimits{}).withDefaults() != want {
		t.Errorf("DefaultArchiveLimits() = %+v", DefaultArchiveLimits())
	}
	custom := ArchiveLimits{MaxArchiveSize: 1, MaxEntries: 2, MaxEntrySize: 3, MaxTotalSize: 4, MaxRatio: 5}
	if custom.withDefaults() != custom {
		t.Error("withDefaults changed set limits")
	}
}

func TestRewriteManifest(t *testing.T) {
	orig := buildZip(t, validEntries()...)
	a, err := readZip(orig, DefaultArchiveLimits())
	if err != nil {
		t.Fatal(err)
	}
	m := *a.Manifest
	m.Version = v("1.4.0.1")
	m.Depends = []Dependency{{Module: "core", First: v("2.50.0"), Enforcement: EnforceNone}}
	if err := CheckWidening(a.Manifest.Depends, m.Depends); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := RewriteManifest(bytes.NewReader(orig), int64(len(orig)), &m, &out); err != nil {
		t.Fatal(err)
	}
	b, err := readZip(out.Bytes(), DefaultArchiveLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Manifest, &m) {
		t.Errorf("rewritten manifest = %#v, want %#v", b.Manifest, &m)
	}
	for i := range a.Files {
		if a.Files[i].Name != ManifestName && a.Files[i] != b.Files[i] {
			t.Errorf("file %d: %+v became %+v", i, a.Files[i], b.Files[i])
		}
	}
	assertSameEntries(t, orig, out.Bytes())
}

// assertSameEntries checks that rewritten holds upkeep.toml first, then orig's
// other entries in order with identical raw data.
func assertSameEntries(t *testing.T, orig, rewritten []byte) {
	t.Helper()
	zo, _ := zip.NewReader(bytes.NewReader(orig), int64(len(orig)))
	zr, _ := zip.NewReader(bytes.NewReader(rewritten), int64(len(rewritten)))
	if zr.File[0].Name != ManifestName || len(zr.File) != len(zo.File) {
		t.Fatalf("rewritten entries start with %q, count %d (want %d)", zr.File[0].Name, len(zr.File), len(zo.File))
	}
	j := 1
	for _, f := range zo.File {
		if f.Name == ManifestName {
			continue
		}
		g := zr.File[j]
		j++
		fr, _ := f.OpenRaw()
		gr, _ := g.OpenRaw()
		fd, _ := io.ReadAll(fr)
		gd, _ := io.ReadAll(gr)
		if g.Name != f.Name || !bytes.Equal(fd, gd) || g.Method != f.Method || g.Mode() != f.Mode() {
			t.Errorf("entry %q became %q (same raw data: %v)", f.Name, g.Name, bytes.Equal(fd, gd))
		}
	}
}

func TestRewriteManifestErrors(t *testing.T) {
	orig := buildZip(t, validEntries()...)
	a, _ := readZip(orig, DefaultArchiveLimits())
	tests := []struct {
		name   string
		zip    []byte
		change func(m *Manifest)
		want   string
	}{
		{"invalid manifest", orig, func(m *Manifest) { m.Version = Version{} }, "upkeep.toml: version is missing"},
		{"other module", orig, func(m *Manifest) { m.Name = "party" }, `name "party" differs from the archive's module "arp"`},
		{"missing script", orig, func(m *Manifest) {
			m.Scripts = append(m.Scripts, Script{Phase: "post", Path: "post.sql", To: m.Version})
		}, `scripts[1]: path "post.sql" is not a file in the archive`},
		{"hostile archive", buildZip(t, zipEntry{name: "../x"}), func(m *Manifest) {}, `archive entry "../x"`},
	}
	for _, tt := range tests {
		m := *a.Manifest
		m.Scripts = append([]Script(nil), m.Scripts...)
		tt.change(&m)
		var out bytes.Buffer
		err := RewriteManifest(bytes.NewReader(tt.zip), int64(len(tt.zip)), &m, &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	m := *a.Manifest
	if err := RewriteManifest(bytes.NewReader(orig), int64(len(orig)), &m, failingWriter{}); err == nil || !strings.Contains(err.Error(), "writing the rewritten archive") {
		t.Errorf("failing writer: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestOverLimit(t *testing.T) {
	sc := &archiveScan{lim: ArchiveLimits{MaxEntrySize: 2000, MaxTotalSize: 5000, MaxRatio: 10}.withDefaults(), total: 4500}
	tests := []struct {
		n, csize int64
		want     string
	}{
		{2001, 2000, "more than 2000 bytes, the limit for one file"},
		{1025, 100, "compression ratio over 10:1 exceeds 10:1: looks like a zip bomb"},
		{600, 600, "takes the archive over 5000 bytes"},
		{400, 400, "a manifest that large"},
	}
	for _, tt := range tests {
		if err := sc.overLimit(tt.n, tt.csize); !strings.Contains(err.Error(), tt.want) {
			t.Errorf("overLimit(%d, %d) = %v, want %q", tt.n, tt.csize, err, tt.want)
		}
	}
	if satMul(1<<40, 1<<40) != 1<<62 || satMul(3, 4) != 12 || satMul(0, 1<<62) != 0 {
		t.Error("satMul wrong")
	}
}
