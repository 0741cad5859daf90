package logstats_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNoFlagsInLibrary: the library's strings name no flag of the runner or
// the server (advice is the caller's: STYLE.md 50). The flags are read from
// the sources that define them.
func TestNoFlagsInLibrary(t *testing.T) {
	define := regexp.MustCompile(`\.(?:String|Bool|Int|Int64|Duration|Float64|Var|Func)(?:Var)?\((?:&[\w.]+, )?"([a-z][a-z0-9-]*)"`)
	var sources []string
	for _, glob := range []string{"examples/runner/*.go", "examples/server/*.go", "internal/cli/*.go", "internal/dsn/*.go"} {
		files, _ := filepath.Glob(glob)
		sources = append(sources, files...)
	}
	flags := map[string]bool{}
	for _, name := range sources {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range define.FindAllStringSubmatch(string(src), -1) {
			flags[m[1]] = true
		}
	}
	for _, f := range []string{"format", "customer", "customer-default", "day-zone", "dsn", "follow"} {
		if !flags[f] {
			t.Fatalf("flag -%s not found among the flags defined (%d found): update this test", f, len(flags))
		}
	}
	names := make([]string, 0, len(flags))
	for f := range flags {
		names = append(names, regexp.QuoteMeta(f))
	}
	named := regexp.MustCompile(`(?:^|[\s('"=])-(` + strings.Join(names, "|") + `)(?:$|[^a-z0-9-])`)

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			if m := named.FindStringSubmatch(s); m != nil {
				t.Errorf("%s: %q names the flag -%s; say what is wrong in plain words and let the caller advise", fset.Position(lit.Pos()), s, m[1])
			}
			return true
		})
	}
}
