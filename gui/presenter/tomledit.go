package presenter

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Edit is one key to set in a TOML file: Key is "section.name" (the last
// dot separates the key from its table, e.g. "schedule.policy.patches");
// a nil Value removes the key.
type Edit struct {
	Key   string
	Value any // string, bool, int or []string; nil removes the key
}

var (
	tomlKey    = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	tomlHeader = regexp.MustCompile(`^\s*\[([^\[\]]+)\]\s*(#.*)?$`)
	tomlArray  = regexp.MustCompile(`^\s*\[\[`)
)

// EditTOML sets keys in the text of a TOML file and keeps everything else
// as it was: comments, order, other keys. A key's line is replaced where it
// is, else added at the end of its table, else in a new table at the end.
// The result is checked: when it does not read back with the values set
// (a key written another way, an inline table), it refuses.
func EditTOML(text string, edits ...Edit) (string, error) {
	lines := strings.Split(text, "\n")
	for _, e := range edits {
		if !tomlKey.MatchString(e.Key) {
			return "", fmt.Errorf("%q is not a key the form can set", e.Key)
		}
		table, name := splitKey(e.Key)
		var err error
		if lines, err = editLines(lines, table, name, e.Value); err != nil {
			return "", err
		}
	}
	out := strings.Join(lines, "\n")
	if err := checkEdits(out, edits); err != nil {
		return "", err
	}
	return out, nil
}

func splitKey(key string) (table, name string) {
	i := strings.LastIndex(key, ".")
	if i < 0 {
		return "", key
	}
	return key[:i], key[i+1:]
}

// editLines sets (or removes) name in table.
func editLines(lines []string, table, name string, v any) ([]string, error) {
	keyRE := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(name) + `\s*=`)
	cur, seen, last := "", table == "", -1 // last: the table's last line with content
	if table == "" {
		last = -1
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := tomlHeader.FindStringSubmatch(l); m != nil && !tomlArray.MatchString(l) {
			cur = strings.TrimSpace(m[1])
			if cur == table {
				seen, last = true, i
			}
			continue
		}
		if tomlArray.MatchString(l) {
			cur = "[[array]]"
			continue
		}
		if cur != table {
			continue
		}
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			last = i
		}
		if !keyRE.MatchString(l) {
			continue
		}
		end := valueEnd(lines, i)
		if v == nil {
			return slices.Delete(lines, i, end+1), nil
		}
		val, err := tomlValue(v)
		if err != nil {
			return nil, err
		}
		return slices.Replace(lines, i, end+1, name+" = "+val), nil
	}
	if v == nil {
		return lines, nil
	}
	val, err := tomlValue(v)
	if err != nil {
		return nil, err
	}
	line := name + " = " + val
	if seen {
		return slices.Insert(lines, last+1, line), nil
	}
	if len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return append(lines, "", "["+table+"]", line, ""), nil
}

// valueEnd is the last line of the value that starts on line i: an array
// may go on over several lines until its brackets close.
func valueEnd(lines []string, i int) int {
	depth := 0
	for j := i; j < len(lines); j++ {
		depth += bracketDepth(lines[j])
		if depth <= 0 {
			return j
		}
	}
	return i
}

// bracketDepth counts [ minus ] outside strings and comments.
func bracketDepth(l string) int {
	d, quote := 0, rune(0)
	for _, r := range l {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#':
			return d
		case r == '[':
			d++
		case r == ']':
			d--
		}
	}
	return d
}

func tomlValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]", nil
	}
	return "", fmt.Errorf("cannot write %T in the configuration", v)
}

// checkEdits reads text back and compares the keys set with their values.
func checkEdits(text string, edits []Edit) error {
	var doc map[string]any
	if _, err := toml.Decode(text, &doc); err != nil {
		return fmt.Errorf("the change would make the file unreadable (%v): make it in the file below instead", err)
	}
	for _, e := range edits {
		got, ok := lookup(doc, e.Key)
		want := e.Value
		if ss, isList := want.([]string); isList {
			want = toAny(ss)
		}
		if i, isInt := want.(int); isInt {
			want = int64(i)
		}
		if (want == nil && ok) || (want != nil && !reflect.DeepEqual(got, want)) {
			return fmt.Errorf("%s is written in a way the form cannot change: change it in the file below instead", e.Key)
		}
	}
	return nil
}

func lookup(doc map[string]any, key string) (any, bool) {
	parts := strings.Split(key, ".")
	var cur any = doc
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
