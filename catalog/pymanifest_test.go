package catalog

import (
	"slices"
	"strings"
	"testing"
)

// lendingShelf is an invented module's manifest written the way Odoo
// manifests are: a coding line and comments, a triple-quoted description,
// lists, a tuple inside a list, nested dicts, booleans and numbers.
const lendingShelf = `# -*- coding: utf-8 -*-
# Lending Shelf: a made-up module for Upkeep's tests.

{
    'name': 'Lending Shelf',
    'version': '1.2',
    'category': 'Library/Lending',
    'summary': 'Lend books and tools to members',
    'description': """
Keeps track of what is lent, to whom, and when it comes back.
    """,
    'depends': ['shelf_core', 'members', 'reminders', 'barcodes'],
    'data': [
        'security/lending_security.xml',
        'security/ir.model.access.csv',
    ],
    'demo': ['data/lending_demo.xml'],
    'installable': True,
    'auto_install': False,
    'assets': {
        'web.assets_backend': [
            'lending_shelf/static/src/scss/shelf.scss',
            ('remove', 'lending_shelf/static/src/old.js'),
        ],
    },
    'license': 'LGPL-3',
    'sequence': -15,
    'price': 9.00,
}
`

func TestParsePyManifest(t *testing.T) {
	tests := []struct {
		name, src, version string
		depends            []string
	}{
		{"odoo-style module", lendingShelf, "1.2", []string{"shelf_core", "members", "reminders", "barcodes"}},
		{"double quotes, trailing comma", `{"version": "16.0.1.0.0", "depends": ["base",],}`, "16.0.1.0.0", []string{"base"}},
		{"tuple depends", `{'depends': ('base', 'mail'), 'version': '1.0'}`, "1.0", []string{"base", "mail"}},
		{"one-item tuple", `{'depends': ('base',)}`, "", []string{"base"}},
		{"no version, no depends", `{'name': 'x'}`, "", nil},
		{"empty depends", `{'version': '2.0', 'depends': []}`, "2.0", []string{}},
		{"concatenated version", `{'version': '16.0.' '1.0' "." '0'}`, "16.0.1.0.0", nil},
		{"parenthesised version", "{'version': ('16.0.'\n   '2.0')}", "16.0.2.0", nil},
		{"raw, unicode and byte prefixes", `{'version': r'1.1', 'summary': u'caf\xe9', 'x': b'\x00', 'depends': [U'base']}`, "1.1", []string{"base"}},
		{"escapes", `{'description': 'it\'s "quoted"\n\t\u00e9\101\N{DASH}', 'version': '3.0'}`, "3.0", nil},
		{"comments everywhere", "# header\n{ # open\n'version': '1.0', # the version\n# 'depends': ['x'],\n'depends': ['base'] # deps\n} # end\n", "1.0", []string{"base"}},
		{"line continuation", "{'version': \\\n '1.0'}", "1.0", nil},
		{"nested dicts, sets, numbers", `{'a': {'b': {1, 2, 3}, 2: [1.5e-3, 0x1F, -7, +1, .5]}, 'n': None, 't': True, 'version': '9.0'}`, "9.0", nil},
		{"triple-quoted with quotes inside", `{'description': '''it's "fine" '' here''', 'version': '1.0'}`, "1.0", nil},
		{"later key wins", `{'version': '1.0', 'version': '2.0'}`, "2.0", nil},
		{"byte order mark and CRLF", "\uFEFF{\r\n'version': '1.0',\r\n'depends': ['base'],\r\n}\r\n", "1.0", []string{"base"}},
		{"version padded", `{'version': ' 1.0 '}`, "1.0", nil},
		{"empty dict", `{}`, "", nil},
		{"empty tuple and dict values", `{'a': (), 'b': {}, 'version': '1.0'}`, "1.0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParsePyManifest([]byte(tt.src))
			if err != nil {
				t.Fatalf("ParsePyManifest: %v", err)
			}
			if m.Version != tt.version || !slices.Equal(m.Depends, tt.depends) || (m.Depends == nil) != (tt.depends == nil) {
				t.Errorf("got version %q depends %#v, want %q %#v", m.Version, m.Depends, tt.version, tt.depends)
			}
		})
	}
}

func TestParsePyManifestRejects(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"not a dict", `['base']`, "not a dict"},
		{"empty file", ``, "ends where a value should be"},
		{"only a comment", "# nothing\n", "ends where a value should be"},
		{"version is a number", `{'version': 1.0}`, "'version' is a number"},
		{"version is a list", `{'version': ['1.0']}`, "'version' is a list"},
		{"depends is a string", `{'depends': 'base'}`, "'depends' is a string"},
		{"depends holds a number", `{'depends': ['base', 3]}`, "'depends' item 2 is a number"},
		{"a call", `{'version': get_version()}`, "get_version is not a literal"},
		{"an f-string", `{'version': f'{x}'}`, `string prefix "f"`},
		{"unterminated string", "{'version': '1.0}\n", "line 1: the string that starts here ends at the line's end"},
		{"unterminated triple string", "{'description': '''abc\n\n", "line 1: the string that starts here never ends"},
		{"missing comma", "{'a': 1\n 'b': 2}", `line 2: expected "," or "}", found "b"`},
		{"unclosed dict", "{'version': '1.0',\n", `line 2: the manifest ends where a value should be`},
		{"unclosed dict without comma", "{'version': '1.0'\n", `line 1: "{" opened here is never closed`},
		{"unclosed list", "{'depends': ['base'\n", `"[" opened here is never closed`},
		{"two literals", `{} {}`, "after the manifest's closing brace"},
		{"an assignment", `manifest = {'version': '1.0'}`, "manifest is not a literal"},
		{"a colon in a list", `{'depends': ['a': 'b']}`, `found ":"`},
		{"a stray character", `{'version': '1.0'; }`, `unexpected ';'`},
		{"a bad hex escape", `{'version': '\xZZ'}`, `\xZZ is not a valid escape`},
		{"a short unicode escape", `{'v': '\u12'}`, `it needs 4 hex digits`},
		{"dict unpacking", `{**base}`, `unexpected '*'`},
		{"minus without a number", `{'a': -'x'}`, `"-" must be followed by a number`},
		{"too deep", "{'a': " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}", "nested over"},
		{"trailing backslash", `{'a': '\`, "ends in a backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParsePyManifest([]byte(tt.src))
			if err == nil {
				t.Fatalf("ParsePyManifest succeeded with %+v", m)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestParsePyManifestTooLarge(t *testing.T) {
	src := "{'description': '" + strings.Repeat("x", maxManifest) + "'}"
	if _, err := ParsePyManifest([]byte(src)); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("a manifest over %d bytes: %v", maxManifest, err)
	}
}

func FuzzParsePyManifest(f *testing.F) {
	for _, seed := range []string{
		lendingShelf,
		`{'version': '16.0.1.0.0', 'depends': ('base',)}`,
		`{"a": {1, 2}, "b": [1e5, -0x1F, None, True], 'c': r'\q', 'd': b'\x00\777'}`,
		"{'d': '''multi\nline''' \"x\" \\\n}",
		`{'version': '\u00e9\U0001F600\N{DASH}'}`,
		`{'version': (('1.0'))}`,
		"\uFEFF# c\n{}",
		`{'a': [`,
		`{'a': '`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := ParsePyManifest(src)
		if err != nil {
			if m.Version != "" || m.Depends != nil {
				t.Errorf("an error (%v) with a result %+v", err, m)
			}
			return
		}
		// What parses keeps parsing the same when re-rendered.
		again, err := ParsePyManifest([]byte(render(m)))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", render(m), err)
		}
		if again.Version != m.Version || !slices.Equal(again.Depends, m.Depends) {
			t.Errorf("re-parse gives %+v, first parse %+v", again, m)
		}
	})
}

// render writes m back as a manifest with escaped strings.
func render(m PyManifest) string {
	var b strings.Builder
	b.WriteString("{'version': " + pyQuote(m.Version))
	if m.Depends != nil {
		b.WriteString(", 'depends': [")
		for _, d := range m.Depends {
			b.WriteString(pyQuote(d) + ", ")
		}
		b.WriteString("]")
	}
	b.WriteString("}")
	return b.String()
}

// pyQuote writes s as a Python string literal, its bytes as they are
// (also invalid UTF-8) except a quote, a backslash and a newline.
func pyQuote(s string) string {
	r := strings.NewReplacer(`'`, `\'`, `\`, `\\`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}
