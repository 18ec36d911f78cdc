package catalog

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// ArchiveLimits caps what an archive may contain. A zero or negative field
// means the default from DefaultArchiveLimits.
type ArchiveLimits struct {
	MaxArchiveSize int64 // compressed bytes of the whole zip
	MaxEntries     int
	MaxEntrySize   int64 // uncompressed bytes of one entry
	MaxTotalSize   int64 // uncompressed bytes of all entries
	MaxRatio       int64 // uncompressed/compressed per entry (bomb guard), for entries over 1 KiB
}

// ArchiveFile is one regular file in a validated archive.
type ArchiveFile struct {
	Name string // cleaned slash path
	Size int64  // verified uncompressed size
	Mode uint32 // permission bits only
}

// Archive is a validated module archive.
type Archive struct {
	Manifest *Manifest
	Files    []ArchiveFile
}

// ArchiveRef locates and pins an archive: the agent verifies length and sha256 before use.
type ArchiveRef struct {
	Path   string `json:"path"` // relative to the repository base URL, e.g. archives/<sha256>.zip
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"` // lowercase hex
}

const (
	ratioExempt     = 1 << 10 // entries up to this size skip the ratio check
	maxManifestSize = 1 << 20 // a larger upkeep.toml is not plausible
	rebuildHint     = "rebuild the archive with relative paths inside one folder tree"
)

// DefaultArchiveLimits returns the limits used for module archives.
func DefaultArchiveLimits() ArchiveLimits {
	return ArchiveLimits{
		MaxArchiveSize: 256 << 20,
		MaxEntries:     20000,
		MaxEntrySize:   256 << 20,
		MaxTotalSize:   1 << 30,
		MaxRatio:       200,
	}
}

// withDefaults replaces unset limits by the defaults.
func (l ArchiveLimits) withDefaults() ArchiveLimits {
	d := DefaultArchiveLimits()
	if l.MaxArchiveSize <= 0 {
		l.MaxArchiveSize = d.MaxArchiveSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = d.MaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	return l
}

// ReadArchive validates a module archive (a zip file of size bytes read from
// r) against hostile content: unsafe paths, links, duplicates, encrypted
// entries and zip bombs. Every file is decompressed to check its real size,
// its manifest is parsed and its scripts must be present.
func ReadArchive(r io.ReaderAt, size int64, lim ArchiveLimits) (*Archive, error) {
	a, _, err := readArchive(r, size, lim.withDefaults())
	return a, err
}

// archiveScan is the state of one pass over an archive's entries.
type archiveScan struct {
	lim      ArchiveLimits
	total    int64
	size     int64             // of the whole archive
	names    map[string]string // lowercased name -> name, for every entry
	isFile   map[string]bool   // lowercased names of regular files
	dirs     map[string]string // lowercased parent folder -> the entry that implies it
	files    []ArchiveFile
	manifest []byte
}

func readArchive(r io.ReaderAt, size int64, lim ArchiveLimits) (*Archive, *zip.Reader, error) {
	if size < 0 || size > lim.MaxArchiveSize {
		return nil, nil, fmt.Errorf("archive is %d bytes; the limit is %d: split the module or raise the limit", size, lim.MaxArchiveSize)
	}
	zr, err := zip.NewReader(r, size)
	// With GODEBUG=zipinsecurepath=0 the reader flags unsafe names itself;
	// scan anyway so that the error names the entry.
	insecure := errors.Is(err, zip.ErrInsecurePath)
	if err != nil && !insecure {
		return nil, nil, fmt.Errorf("archive cannot be read as a zip file (%w); it is damaged or not a module archive: rebuild it", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, nil, fmt.Errorf("archive has %d entries; the limit is %d: remove unneeded files", len(zr.File), lim.MaxEntries)
	}
	sc := &archiveScan{lim: lim, size: size, names: map[string]string{}, isFile: map[string]bool{}, dirs: map[string]string{}}
	for _, f := range zr.File {
		if err := sc.entry(f); err != nil {
			return nil, nil, fmt.Errorf("archive entry %s: %w", Quote(f.Name), err)
		}
	}
	if insecure {
		return nil, nil, fmt.Errorf("archive has an entry with an unsafe path (%w); %s", err, rebuildHint)
	}
	a, err := sc.finish()
	if err == nil {
		err = a.readNotes(zr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("archive: %w", err)
	}
	return a, zr, nil
}

// readNotes fills the manifest's notes from its notes_file, which must be a
// file of the archive within the notes' size cap.
func (a *Archive) readNotes(zr *zip.Reader) error {
	m := a.Manifest
	if m.NotesFile == "" {
		return nil
	}
	where := fmt.Sprintf("%s: notes_file %s", ManifestName, Quote(m.NotesFile))
	if _, found := slices.BinarySearchFunc(a.Files, m.NotesFile, func(f ArchiveFile, p string) int { return strings.Compare(f.Name, p) }); !found {
		return fmt.Errorf("%s is not a file in the archive; add it or fix the path", where)
	}
	f, err := zr.Open(m.NotesFile)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxNotes+1))
	if err != nil {
		return fmt.Errorf("%s cannot be read (%w); rebuild the archive", where, err)
	}
	if err := CheckNotes(string(data)); err != nil {
		return fmt.Errorf("%s: the notes %w", where, err)
	}
	m.Notes = string(data)
	return nil
}

// entry checks one zip entry and, for a regular file, reads all of its data.
func (sc *archiveScan) entry(f *zip.File) error {
	mode := f.Mode()
	isDir := mode.IsDir()
	name := f.Name
	if isDir {
		name = strings.TrimSuffix(name, "/")
		if f.CompressedSize64 != 0 || f.UncompressedSize64 != 0 {
			return errors.New("is a folder but holds data; the archive is damaged or crafted: rebuild it")
		}
	}
	if err := checkRelPath(name); err != nil {
		return fmt.Errorf("path %w; %s", err, rebuildHint)
	}
	if mode&fs.ModeType&^fs.ModeDir != 0 {
		return fmt.Errorf("is a %s (mode %v), not a regular file or folder; replace it with the file it stands for", modeKind(mode), mode)
	}
	if err := checkEntryMode(f); err != nil {
		return err
	}
	if f.Flags&0x1 != 0 {
		return errors.New("is encrypted; rebuild the archive without a password")
	}
	if err := sc.claim(name, isDir); err != nil {
		return err
	}
	if isDir {
		return nil
	}
	n, err := sc.readFile(f, name == ManifestName)
	if err != nil {
		return err
	}
	sc.files = append(sc.files, ArchiveFile{Name: name, Size: n, Mode: uint32(mode.Perm())})
	return nil
}

// Zip "made by" systems whose entries carry Unix permission bits.
const (
	creatorUnix   = 3
	creatorMacOSX = 19
)

// checkEntryMode refuses permissions an unpacked module must never have:
// setuid, setgid or sticky, or writable by anyone. Only entries made on
// Unix record permissions (others read as 0666 and are not judged).
func checkEntryMode(f *zip.File) error {
	if c := f.CreatorVersion >> 8; c != creatorUnix && c != creatorMacOSX {
		return nil
	}
	m := f.Mode()
	switch {
	case m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0:
		return fmt.Errorf("has mode %v (setuid, setgid or sticky), which a module's files never need; rebuild the archive with plain modes (0644 files, 0755 folders)", m)
	case m.Perm()&0o002 != 0:
		return fmt.Errorf("has mode %v, writable by anyone; rebuild the archive with plain modes (0644 files, 0755 folders)", m)
	}
	return nil
}

func modeKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// claim records name, rejecting duplicates (also by case) and a file that
// is also used as a folder.
func (sc *archiveScan) claim(name string, isDir bool) error {
	key := strings.ToLower(name)
	if prev, ok := sc.names[key]; ok {
		return fmt.Errorf("duplicates entry %q (names may not differ only by case); keep one of them", prev)
	}
	sc.names[key] = name
	if !isDir {
		if other, ok := sc.dirs[key]; ok {
			return fmt.Errorf("is a file, but entry %q uses it as a folder; rename one of them", other)
		}
		sc.isFile[key] = true
	}
	for p := parentDir(key); p != ""; p = parentDir(p) {
		if _, ok := sc.dirs[p]; ok {
			break
		}
		if sc.isFile[p] {
			return fmt.Errorf("uses %q as a folder, but it is a file; rename one of them", sc.names[p])
		}
		sc.dirs[p] = name
	}
	return nil
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// readFile decompresses f, checking its real size against the limits and its
// header; it keeps the data when keep is set (the manifest).
func (sc *archiveScan) readFile(f *zip.File, keep bool) (int64, error) {
	csize := int64(min(f.CompressedSize64, uint64(sc.size)))
	if err := sc.checkHeader(f, csize); err != nil {
		return 0, err
	}
	lim := sc.lim
	capacity := min(lim.MaxEntrySize, lim.MaxTotalSize-sc.total, max(ratioExempt, satMul(lim.MaxRatio, csize)))
	if keep {
		capacity = min(capacity, maxManifestSize)
	}
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("cannot be opened (%w); rebuild the archive with plain deflate compression", err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	var dst io.Writer = io.Discard
	if keep {
		dst = &buf
	}
	n, err := io.Copy(dst, io.LimitReader(rc, capacity+1))
	if n > capacity {
		return 0, sc.overLimit(n, csize)
	}
	if err != nil {
		return 0, fmt.Errorf("cannot be decompressed (%w); the archive is damaged or crafted: rebuild it", err)
	}
	if uint64(n) != f.UncompressedSize64 {
		return 0, fmt.Errorf("holds %d bytes but its header says %d; the archive is damaged or crafted: rebuild it", n, f.UncompressedSize64)
	}
	sc.total += n
	if keep {
		sc.manifest = buf.Bytes()
	}
	return n, nil
}

// checkHeader rejects an entry whose header already claims too much. Headers
// are never trusted otherwise: readFile counts the real bytes.
func (sc *archiveScan) checkHeader(f *zip.File, csize int64) error {
	usize := f.UncompressedSize64
	if usize > uint64(sc.lim.MaxEntrySize) {
		return fmt.Errorf("is %d bytes uncompressed; the limit is %d: remove it or split it", usize, sc.lim.MaxEntrySize)
	}
	if usize > ratioExempt && usize > uint64(satMul(sc.lim.MaxRatio, max(csize, 1))) {
		return fmt.Errorf("compression ratio %d:1 exceeds %d:1: looks like a zip bomb; remove it", usize/uint64(max(csize, 1)), sc.lim.MaxRatio)
	}
	return nil
}

// overLimit explains why an entry that decompressed to more than n-1 bytes was stopped.
func (sc *archiveScan) overLimit(n, csize int64) error {
	lim := sc.lim
	switch {
	case n > lim.MaxEntrySize:
		return fmt.Errorf("decompresses to more than %d bytes, the limit for one file: remove it or split it", lim.MaxEntrySize)
	case n > ratioExempt && n > satMul(lim.MaxRatio, csize):
		return fmt.Errorf("compression ratio over %d:1 exceeds %d:1: looks like a zip bomb; remove it", n/max(csize, 1), lim.MaxRatio)
	case sc.total+n > lim.MaxTotalSize:
		return fmt.Errorf("takes the archive over %d bytes uncompressed in total, the limit: remove files or split the module", lim.MaxTotalSize)
	}
	return fmt.Errorf("is over %d bytes; a manifest that large is not plausible: trim it", maxManifestSize)
}

// satMul returns a*b for non-negative a and b, saturating instead of overflowing.
func satMul(a, b int64) int64 {
	if a != 0 && b > (1<<62)/a {
		return 1 << 62
	}
	return a * b
}

// finish checks the manifest and the scripts it names, once every entry is read.
func (sc *archiveScan) finish() (*Archive, error) {
	if sc.manifest == nil {
		if other, ok := sc.names[ManifestName]; ok && other != ManifestName {
			return nil, fmt.Errorf("%s is missing at the archive root, but %q is there: rename it to %s", ManifestName, other, ManifestName)
		}
		if _, isDir := sc.dirs[ManifestName]; isDir || sc.names[ManifestName] == ManifestName {
			return nil, fmt.Errorf("%s is a folder; it must be a file at the archive root", ManifestName)
		}
		return nil, fmt.Errorf("%s is missing at the archive root; add the module's manifest there", ManifestName)
	}
	m, err := ParseManifest(sc.manifest)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(sc.files, func(a, b ArchiveFile) int { return strings.Compare(a.Name, b.Name) })
	a := &Archive{Manifest: m, Files: sc.files}
	if err := a.checkScripts(m); err != nil {
		return nil, err
	}
	return a, nil
}

// checkScripts checks that every script m names is a file in a.
func (a *Archive) checkScripts(m *Manifest) error {
	for i, s := range m.Scripts {
		_, found := slices.BinarySearchFunc(a.Files, s.Path, func(f ArchiveFile, p string) int { return strings.Compare(f.Name, p) })
		if !found {
			return fmt.Errorf("%s: scripts[%d]: path %s is not a file in the archive; add it or fix the path", ManifestName, i, Quote(s.Path))
		}
	}
	return nil
}

// RewriteManifest validates the archive (size bytes read from r) and writes
// to w a copy whose upkeep.toml is replaced by m: the new manifest comes
// first, then every other entry is copied unchanged, in its original order.
// m must be valid, name the same module and only name scripts the archive holds.
func RewriteManifest(r io.ReaderAt, size int64, m *Manifest, w io.Writer) error {
	a, zr, err := readArchive(r, size, DefaultArchiveLimits())
	if err != nil {
		return err
	}
	data, err := m.EncodeTOML()
	if err != nil {
		return err
	}
	if m.Name != a.Manifest.Name {
		return fmt.Errorf("%s: name %q differs from the archive's module %q; a rewrite keeps the module: use the archive's name", ManifestName, m.Name, a.Manifest.Name)
	}
	if err := a.checkScripts(m); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := writeRewritten(zr, data, w); err != nil {
		return fmt.Errorf("writing the rewritten archive: %w", err)
	}
	return nil
}

func writeRewritten(zr *zip.Reader, manifest []byte, w io.Writer) error {
	zw := zip.NewWriter(w)
	fh := &zip.FileHeader{Name: ManifestName, Method: zip.Deflate}
	for _, f := range zr.File {
		if f.Name == ManifestName {
			fh.Modified = f.Modified
		}
	}
	fh.SetMode(0o644)
	mw, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	if _, err := mw.Write(manifest); err != nil {
		return err
	}
	for _, f := range zr.File {
		if f.Name == ManifestName {
			continue
		}
		if err := zw.Copy(f); err != nil {
			return err
		}
	}
	if err := zw.SetComment(zr.Comment); err != nil {
		return err
	}
	return zw.Close()
}
