package catalog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PyManifest is what Upkeep reads from an Odoo or OpenERP module manifest
// (__manifest__.py, __openerp__.py).
type PyManifest struct {
	Version string   // the 'version' entry as written; "" when absent
	Depends []string // the 'depends' entry; nil when absent
	Summary string   // the 'summary' entry, or else the 'name'; "" when neither is a string
}

// maxManifest and maxDepth bound what ParsePyManifest reads.
const (
	maxManifest = 1 << 20
	maxDepth    = 64
)

// ParsePyManifest reads a manifest the way Odoo does (ast.literal_eval of
// the file): one dict literal of strings, numbers, True/False/None, lists,
// tuples, sets and dicts, with comments. It returns the 'version' (a string)
// and 'depends' (a list or tuple of strings) entries.
func ParsePyManifest(src []byte) (PyManifest, error) {
	if len(src) > maxManifest {
		return PyManifest{}, fmt.Errorf("the manifest is %d bytes, over the %d a manifest can reasonably be: is it the right file?", len(src), maxManifest)
	}
	p := &pyParser{lex: pyLexer{src: src, line: 1}}
	p.lex.skipBOM()
	v, err := p.value(0)
	if err == nil {
		err = p.end()
	}
	if err != nil {
		return PyManifest{}, err
	}
	d, ok := v.(map[string]any)
	if !ok {
		return PyManifest{}, errors.New("the manifest is not a dict: it must be one Python dict literal, { 'version': …, 'depends': [...] }")
	}
	return manifestEntries(d)
}

// manifestEntries picks 'version' and 'depends' out of a parsed manifest.
func manifestEntries(d map[string]any) (PyManifest, error) {
	var m PyManifest
	for _, key := range []string{"summary", "name"} {
		if s, ok := d[key].(string); ok && strings.TrimSpace(s) != "" && m.Summary == "" {
			m.Summary = strings.TrimSpace(s)
		}
	}
	if v, ok := d["version"]; ok {
		s, ok := v.(string)
		if !ok {
			return PyManifest{}, fmt.Errorf("'version' is %s, not a string: write it quoted, e.g. 'version': '16.0.1.0.0'", pyType(v))
		}
		m.Version = strings.TrimSpace(s)
	}
	if v, ok := d["depends"]; ok {
		list, ok := v.([]any)
		if !ok {
			return PyManifest{}, fmt.Errorf("'depends' is %s, not a list: write it as a list of module names, e.g. 'depends': ['base']", pyType(v))
		}
		m.Depends = make([]string, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return PyManifest{}, fmt.Errorf("'depends' item %d is %s, not a module name in quotes", i+1, pyType(e))
			}
			m.Depends = append(m.Depends, s)
		}
	}
	return m, nil
}

// pyType names the Python type of a parsed value for messages.
func pyType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "a dict"
	case bool:
		return "a boolean"
	case nil:
		return "None"
	}
	return "a number"
}

// pyNumber is a number literal, kept as written.
type pyNumber string

// Token kinds.
const (
	tokEOF = iota
	tokString
	tokNumber
	tokName
	tokPunct
)

type pyToken struct {
	kind int
	text string // the decoded string, the number or name as written, or the punctuation
	line int
}

// pyParser is a recursive-descent parser of Python literals.
type pyParser struct {
	lex  pyLexer
	peek *pyToken
}

func (p *pyParser) next() (pyToken, error) {
	if p.peek != nil {
		t := *p.peek
		p.peek = nil
		return t, nil
	}
	return p.lex.next()
}

func (p *pyParser) look() (pyToken, error) {
	if p.peek == nil {
		t, err := p.lex.next()
		if err != nil {
			return pyToken{}, err
		}
		p.peek = &t
	}
	return *p.peek, nil
}

// end checks that nothing but comments and blanks follows the literal.
func (p *pyParser) end() error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.kind != tokEOF {
		return fmt.Errorf("line %d: %q after the manifest's closing brace: a manifest is one dict literal", t.line, t.text)
	}
	return nil
}

// value parses one literal.
func (p *pyParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: values nested over %d deep", p.lex.line, maxDepth)
	}
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tokString:
		return p.concat(t.text)
	case tokNumber:
		return pyNumber(t.text), nil
	case tokName:
		return nameValue(t)
	case tokPunct:
		return p.compound(t, depth)
	}
	return nil, fmt.Errorf("line %d: the manifest ends where a value should be: is a bracket or quote missing?", t.line)
}

// concat joins adjacent string literals ('a' 'b' is 'ab').
func (p *pyParser) concat(s string) (any, error) {
	var b strings.Builder
	b.WriteString(s)
	for {
		t, err := p.look()
		if err != nil {
			return nil, err
		}
		if t.kind != tokString {
			return b.String(), nil
		}
		p.peek = nil
		b.WriteString(t.text)
	}
}

func nameValue(t pyToken) (any, error) {
	switch t.text {
	case "True":
		return true, nil
	case "False":
		return false, nil
	case "None":
		return nil, nil
	}
	return nil, fmt.Errorf("line %d: %s is not a literal: a manifest holds only strings, numbers, True/False/None, lists, tuples and dicts (Odoo reads it with ast.literal_eval)", t.line, t.text)
}

// compound parses what starts with punctuation: a container or a signed number.
func (p *pyParser) compound(t pyToken, depth int) (any, error) {
	switch t.text {
	case "{":
		return p.dictOrSet(t, depth)
	case "[":
		return p.sequence(t, "]", depth)
	case "(":
		return p.sequence(t, ")", depth)
	case "-", "+":
		n, err := p.next()
		if err != nil {
			return nil, err
		}
		if n.kind != tokNumber {
			return nil, fmt.Errorf("line %d: %q must be followed by a number", t.line, t.text)
		}
		return pyNumber(t.text + n.text), nil
	}
	return nil, fmt.Errorf("line %d: unexpected %q where a value should be", t.line, t.text)
}

// closeOrComma reads the pyToken after an item: the closing bracket (done)
// or a comma (comma), after which the closing bracket may follow (done too).
func (p *pyParser) closeOrComma(open pyToken, closing string) (done, comma bool, err error) {
	t, err := p.next()
	if err != nil {
		return false, false, err
	}
	switch {
	case t.kind == tokPunct && t.text == closing:
		return true, false, nil
	case t.kind == tokPunct && t.text == ",":
		n, err := p.look()
		if err != nil {
			return false, true, err
		}
		if n.kind == tokPunct && n.text == closing {
			p.peek = nil
			return true, true, nil
		}
		return false, true, nil
	case t.kind == tokEOF:
		return false, false, fmt.Errorf("line %d: %q opened here is never closed: add %q", open.line, open.text, closing)
	}
	return false, false, fmt.Errorf("line %d: expected \",\" or %q, found %q: is a comma missing?", t.line, closing, t.text)
}

// sequence parses a list or tuple (a parenthesised single value is that value).
func (p *pyParser) sequence(open pyToken, closing string, depth int) (any, error) {
	items := []any{}
	if t, err := p.look(); err != nil {
		return nil, err
	} else if t.kind == tokPunct && t.text == closing {
		p.peek = nil
		return items, nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		done, comma, err := p.closeOrComma(open, closing)
		if err != nil {
			return nil, err
		}
		if done {
			if closing == ")" && len(items) == 1 && !comma {
				return items[0], nil // (x) is x, (x,) a tuple
			}
			return items, nil
		}
	}
}

// dictOrSet parses {k: v, …} (keys that are not strings are skipped) or {a, b}.
func (p *pyParser) dictOrSet(open pyToken, depth int) (any, error) {
	d := map[string]any{}
	if t, err := p.look(); err != nil {
		return nil, err
	} else if t.kind == tokPunct && t.text == "}" {
		p.peek = nil
		return d, nil
	}
	first, err := p.value(depth + 1)
	if err != nil {
		return nil, err
	}
	if t, err := p.look(); err != nil {
		return nil, err
	} else if t.kind != tokPunct || t.text != ":" {
		return p.setRest(open, first, depth)
	}
	for key := first; ; {
		if t, err := p.next(); err != nil {
			return nil, err
		} else if t.kind != tokPunct || t.text != ":" {
			return nil, fmt.Errorf("line %d: expected \":\" after a dict key, found %q", t.line, t.text)
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if k, ok := key.(string); ok {
			d[k] = v
		}
		done, _, err := p.closeOrComma(open, "}")
		if err != nil || done {
			return d, err
		}
		if key, err = p.value(depth + 1); err != nil {
			return nil, err
		}
	}
}

// setRest parses the items of a set after its first one.
func (p *pyParser) setRest(open pyToken, first any, depth int) (any, error) {
	items := []any{first}
	for {
		done, _, err := p.closeOrComma(open, "}")
		if err != nil || done {
			return items, err
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
}

// pyLexer splits Python literal source into tokens.
type pyLexer struct {
	src  []byte
	pos  int
	line int
}

func (l *pyLexer) skipBOM() {
	if strings.HasPrefix(string(l.src), "\uFEFF") {
		l.pos = len("\uFEFF")
	}
}

// skip passes blanks, newlines, comments and backslash line continuations.
func (l *pyLexer) skip() {
	for l.pos < len(l.src) {
		switch c := l.src[l.pos]; {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			l.pos++
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '\\' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\n':
			l.pos += 2
			l.line++
		default:
			return
		}
	}
}

func (l *pyLexer) next() (pyToken, error) {
	l.skip()
	if l.pos >= len(l.src) {
		return pyToken{kind: tokEOF, line: l.line}, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '\'' || c == '"':
		return l.str("")
	case isDigit(c) || c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
		return l.number(), nil
	case isNameStart(c):
		return l.name()
	case strings.IndexByte("{}[]():,-+", c) >= 0:
		l.pos++
		return pyToken{kind: tokPunct, text: string(c), line: l.line}, nil
	}
	r, _ := utf8.DecodeRune(l.src[l.pos:])
	return pyToken{}, fmt.Errorf("line %d: unexpected %q: a manifest is one Python dict literal", l.line, r)
}

func (l *pyLexer) number() pyToken {
	start := l.pos
	hex := l.pos+1 < len(l.src) && l.src[l.pos] == '0' && (l.src[l.pos+1]|0x20) == 'x'
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case isDigit(c) || isNameStart(c) || c == '.':
			l.pos++
		case (c == '+' || c == '-') && !hex && (l.src[l.pos-1]|0x20) == 'e':
			l.pos++
		default:
			return pyToken{kind: tokNumber, text: string(l.src[start:l.pos]), line: l.line}
		}
	}
	return pyToken{kind: tokNumber, text: string(l.src[start:l.pos]), line: l.line}
}

// name reads a name, or the prefix of a string literal such as r"…", u"…" or b"…".
func (l *pyLexer) name() (pyToken, error) {
	start := l.pos
	for l.pos < len(l.src) && (isNameStart(l.src[l.pos]) || isDigit(l.src[l.pos])) {
		l.pos++
	}
	word := string(l.src[start:l.pos])
	if l.pos < len(l.src) && (l.src[l.pos] == '\'' || l.src[l.pos] == '"') {
		switch strings.ToLower(word) {
		case "r", "u", "b", "br", "rb":
			return l.str(strings.ToLower(word))
		}
		return pyToken{}, fmt.Errorf("line %d: string prefix %q is not allowed in a manifest (f-strings are not literals)", l.line, word)
	}
	return pyToken{kind: tokName, text: word, line: l.line}, nil
}

// str reads a string literal at l.pos, with its prefix already read.
func (l *pyLexer) str(prefix string) (pyToken, error) {
	line := l.line
	q := l.src[l.pos]
	triple := l.pos+2 < len(l.src) && l.src[l.pos+1] == q && l.src[l.pos+2] == q
	width := 1
	if triple {
		width = 3
	}
	l.pos += width
	raw := strings.Contains(prefix, "r")
	var b strings.Builder
	for {
		if l.pos >= len(l.src) {
			return pyToken{}, fmt.Errorf("line %d: the string that starts here never ends: close its quote", line)
		}
		c := l.src[l.pos]
		switch {
		case c == q && (!triple || l.pos+2 < len(l.src) && l.src[l.pos+1] == q && l.src[l.pos+2] == q):
			l.pos += width
			return pyToken{kind: tokString, text: b.String(), line: line}, nil
		case c == '\n' && !triple:
			return pyToken{}, fmt.Errorf("line %d: the string that starts here ends at the line's end: close its quote, or use ''' for text over several lines", line)
		case c == '\\':
			if err := l.escape(&b, raw); err != nil {
				return pyToken{}, err
			}
			continue
		case c == '\n':
			l.line++
		}
		b.WriteByte(c)
		l.pos++
	}
}

// escape decodes the backslash escape at l.pos into b (raw strings keep
// it as written; unknown escapes keep their backslash, as in Python).
func (l *pyLexer) escape(b *strings.Builder, raw bool) error {
	if l.pos+1 >= len(l.src) {
		return fmt.Errorf("line %d: the string ends in a backslash: close its quote", l.line)
	}
	c := l.src[l.pos+1]
	if c == '\n' {
		l.line++
	}
	if raw {
		b.Write(l.src[l.pos : l.pos+2])
		l.pos += 2
		return nil
	}
	l.pos += 2
	if s, ok := simpleEscapes[c]; ok {
		b.WriteString(s)
		return nil
	}
	switch c {
	case 'x', 'u', 'U':
		return l.hexEscape(b, c)
	case '0', '1', '2', '3', '4', '5', '6', '7':
		n := int(c - '0')
		for i := 0; i < 2 && l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '7'; i++ {
			n = n*8 + int(l.src[l.pos]-'0')
			l.pos++
		}
		b.WriteRune(rune(n))
		return nil
	}
	b.WriteByte('\\')
	b.WriteByte(c)
	return nil
}

var simpleEscapes = map[byte]string{'\n': "", '\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v"}

// hexEscape decodes \xhh, \uhhhh or \Uhhhhhhhh after its letter.
func (l *pyLexer) hexEscape(b *strings.Builder, kind byte) error {
	n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[kind]
	if l.pos+n > len(l.src) {
		return fmt.Errorf("line %d: \\%c needs %d hex digits", l.line, kind, n)
	}
	v, err := strconv.ParseUint(string(l.src[l.pos:l.pos+n]), 16, 32)
	if err != nil || v > utf8.MaxRune {
		return fmt.Errorf("line %d: \\%c%s is not a valid escape: it needs %d hex digits", l.line, kind, l.src[l.pos:l.pos+n], n)
	}
	l.pos += n
	b.WriteRune(rune(v))
	return nil
}

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
