package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// Layout of a repository directory.
const (
	dbFile         = "repo.db"
	lockFile       = "lock"
	generationFile = "generation"
	keysDir        = "keys"
	rootKeyFile    = "root.key"
	onlineKey      = "online.key"
	publicDir      = "public"
	archivesDir    = "archives"
)

// Store is an open central repository directory.
type Store struct {
	dir      string
	db       *sqlx.DB
	lockPath string // the cross-process write lock's file
	mu       sync.Mutex
	signer   *meta.Signer
	keyFI    os.FileInfo // the online key file the signer was loaded from
	now      func() time.Time
	limits   catalog.ArchiveLimits
}

// Options tune an open store; the zero value is fine.
type Options struct {
	Now    func() time.Time      // clock (tests)
	Limits catalog.ArchiveLimits // archive caps; zero means catalog.DefaultArchiveLimits
}

// ErrNotInitialized says the directory holds no repository.
var ErrNotInitialized = errors.New("not an upkeep repository")

// Open opens the repository in dir, migrating its schema and healing any
// metadata left behind by a crash.
func Open(dir string, opt Options) (*Store, error) {
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err != nil {
		return nil, fmt.Errorf("%s: %w: run 'upkeep-repo init %s' first", dir, ErrNotInitialized, dir)
	}
	s, err := openDB(dir, opt)
	if err != nil {
		return nil, err
	}
	if err := s.healKeys(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.loadSigner(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openDB(dir string, opt Options) (*Store, error) {
	dsn := "file:" + filepath.Join(dir, dbFile) + "?_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=on&_synchronous=FULL"
	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlx.Open %s: %w", dir, err)
	}
	db.SetMaxOpenConns(4)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("repository database %s: %w", filepath.Join(dir, dbFile), err)
	}
	s := &Store{dir: dir, db: db, lockPath: filepath.Join(dir, lockFile), now: opt.Now, limits: opt.Limits}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limits == (catalog.ArchiveLimits{}) {
		s.limits = catalog.DefaultArchiveLimits()
	}
	return s, nil
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// Dir is the repository directory.
func (s *Store) Dir() string { return s.dir }

// PublicDir is the static read side: metadata, targets and archives.
func (s *Store) PublicDir() string { return filepath.Join(s.dir, publicDir) }

func (s *Store) loadSigner() error {
	path := filepath.Join(s.dir, keysDir, onlineKey)
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read key: %w", err)
	}
	key, err := readKey(path)
	if err != nil {
		return err
	}
	bits, err := s.settingInt("bin_bits")
	if err != nil {
		return err
	}
	exp, err := s.expiry()
	if err != nil {
		return err
	}
	signer, err := meta.NewSigner(key, bits, exp)
	if err != nil {
		return err
	}
	s.signer, s.keyFI = signer, fi
	return nil
}

// refreshSigner loads the online key again when another process replaced
// it (a root rotation with a new online key while this one serves).
func (s *Store) refreshSigner() error {
	fi, err := os.Stat(filepath.Join(s.dir, keysDir, onlineKey))
	if err == nil && s.keyFI != nil && os.SameFile(fi, s.keyFI) && fi.ModTime().Equal(s.keyFI.ModTime()) {
		return nil
	}
	return s.loadSigner()
}

func (s *Store) setting(key string) (string, error) { return settingOn(s.db, key) }

func settingOn(q sqlx.Queryer, key string) (string, error) {
	var v string
	if err := sqlx.Get(q, &v, "SELECT value FROM settings WHERE key = ?", key); err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

func (s *Store) settingInt(key string) (int, error) { return settingIntOn(s.db, key) }

func settingIntOn(q sqlx.Queryer, key string) (int, error) {
	v, err := settingOn(q, key)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("setting %s=%q is not a number: %w", key, v, err)
	}
	return n, nil
}

func (s *Store) expiry() (meta.Expiry, error) {
	var e meta.Expiry
	for key, dst := range map[string]*time.Duration{
		"expiry_root": &e.Root, "expiry_targets": &e.Targets,
		"expiry_snapshot": &e.Snapshot, "expiry_timestamp": &e.Timestamp,
	} {
		v, err := s.setting(key)
		if err != nil {
			return e, err
		}
		if *dst, err = time.ParseDuration(v); err != nil {
			return e, fmt.Errorf("setting %s=%q: %w", key, v, err)
		}
	}
	return e, nil
}

// locked runs fn holding the store's in-process and cross-process write lock.
func (s *Store) locked(ctx context.Context, fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := platform.LockFileWait(ctx, s.lockPath, 20*time.Millisecond)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.refreshSigner(); err != nil {
		return err
	}
	return fn()
}

// sqlTxReadOnly begins a read-only transaction: one consistent view.
var sqlTxReadOnly = sql.TxOptions{ReadOnly: true}

func (s *Store) stamp() string { return s.now().UTC().Format(time.RFC3339Nano) }
