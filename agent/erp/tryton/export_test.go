package tryton

import "testing"

// This file exports the fixtures to the external tests of package
// tryton_test (scan_e2e_test.go), which import agent/cli: agent/cli imports
// this package, so an internal test importing it would be an import cycle.

// Fixture is a Tryton instance set up by the tests, as the agent's
// configuration names it.
type Fixture struct {
	TrytondConf string // the trytond.conf the instance runs with
	Database    string
	Overlay     string // the PYTHONPATH entry of the module overlay
}

func (in *instance) fixture() Fixture {
	return Fixture{TrytondConf: in.conf, Database: in.db, Overlay: in.overlay}
}

// SQLiteFixtureForTest is the SQLite instance, set up once per test binary;
// it skips the test (fails it with CI=true) when Tryton is not installed.
func SQLiteFixtureForTest(t *testing.T) Fixture {
	t.Helper()
	return sqliteInstance(t).fixture()
}

// PostgresFixtureForTest is the PostgreSQL instance, set up once per test
// binary; it skips the test (fails it with CI=true) when Tryton or
// PostgreSQL is missing.
func PostgresFixtureForTest(t *testing.T) Fixture {
	t.Helper()
	return postgresInstance(t).fixture()
}

// PackagedForTest is the versions a fresh instance reports (ir and res at
// trytond's version, party and country at their tryton.cfg's), read from
// the files on disk.
var PackagedForTest = packaged

// NeedTrytonForTest skips the test (fails it with CI=true) when Tryton 6.0
// is not installed.
var NeedTrytonForTest = needTryton
