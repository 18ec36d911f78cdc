package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
)

// Built is one composite literal of a type: where a value of it is built.
type Built struct {
	Dir string // the package's folder, relative to the module root
	Pos string // file:line
}

// Literals returns where the module's non-test files under root build a
// value of typeName from the package pkgPath (T{…} or &T{…}).
func Literals(root, pkgPath, typeName string) ([]Built, error) {
	var out []Built
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		name, ok := importName(f, pkgPath)
		if !ok {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if cl, ok := n.(*ast.CompositeLit); ok && isSelector(cl.Type, name, typeName) {
				dir, _ := filepath.Rel(root, filepath.Dir(path))
				p := fset.Position(cl.Pos())
				out = append(out, Built{Dir: filepath.ToSlash(dir), Pos: fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)})
			}
			return true
		})
		return nil
	})
	return out, err
}

// importName is the name file f refers to the package pkgPath by.
func importName(f *ast.File, pkgPath string) (string, bool) {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == pkgPath {
			if im.Name != nil {
				return im.Name.Name, true
			}
			return pkgPath[strings.LastIndex(pkgPath, "/")+1:], true
		}
	}
	return "", false
}

func isSelector(e ast.Expr, pkg, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := s.X.(*ast.Ident)
	return ok && id.Name == pkg && s.Sel.Name == name
}
