package jobspec

import (
	"fmt"
	"maps"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// varValue evaluates the expression of a value given in Options.Vars,
// within the limits of a job file's expressions.
func (l *loader) varValue(name, text string) (cty.Value, bool) {
	file := "-var " + name
	start := hcl.Range{Filename: file, Start: hcl.Pos{Line: 1, Column: 1}}
	if len(text) > l.budget.lim.SourceBytes {
		l.add(&Error{Pos: pos(start), Msg: fmt.Sprintf("the value is larger than %d bytes (Limits.SourceBytes)", l.budget.lim.SourceBytes), Err: ErrLimit})
		return cty.NilVal, false
	}
	src := []byte(text)
	if ne := hclNesting(src, l.budget.lim); ne != nil {
		line, col := lineCol(src, int64(ne.off))
		l.add(&Error{Pos: Pos{File: file, Line: line, Column: col}, Msg: ne.message(l.budget.lim), Err: ErrLimit})
		return cty.NilVal, false
	}
	e, ds := hclsyntax.ParseExpression(src, file, start.Start)
	if !l.diags(ds) {
		return cty.NilVal, false
	}
	return l.evalIn(l.ctx, e, src)
}

// locals evaluates locals in dependency order, reporting the ones that
// never resolve. The order is found once (not by passes, which a chain of
// locals written in reverse would make quadratic), and each local is
// evaluated with the locals it names only, not an object of all of them.
func (l *loader) locals(attrs []*hclsyntax.Attribute) {
	vals := map[string]cty.Value{}
	declared := map[string]bool{}
	for _, a := range attrs {
		declared[a.Name] = true
	}
	deps := make([][]string, len(attrs)) // the locals each names
	whole := make([]bool, len(attrs))    // it uses local otherwise: local["x"], keys(local)
	waiting := make([]int, len(attrs))   // its dependencies not evaluated yet
	missing := make([]bool, len(attrs))  // it names a local that is not declared
	users := map[string][]int{}          // the locals that name each local
	for i, a := range attrs {
		seen := map[string]bool{}
		for _, tr := range a.Expr.Variables() {
			if tr.RootName() != "local" {
				continue
			}
			s, ok := hcl.TraverseAttr{}, false
			if len(tr) >= 2 {
				s, ok = tr[1].(hcl.TraverseAttr)
			}
			if !ok {
				whole[i] = true
				continue
			}
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			deps[i] = append(deps[i], s.Name)
			if !declared[s.Name] {
				missing[i] = true
				continue
			}
			waiting[i]++
			users[s.Name] = append(users[s.Name], i)
		}
	}
	var ready []int
	for i := range attrs {
		if waiting[i] == 0 && !missing[i] {
			ready = append(ready, i)
		}
	}
	done := make([]bool, len(attrs))
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		a := attrs[i]
		scope := make(map[string]cty.Value, len(deps[i]))
		if whole[i] {
			maps.Copy(scope, vals)
		}
		for _, d := range deps[i] {
			scope[d] = vals[d]
		}
		if !l.spend(len(scope), a.SrcRange) {
			break
		}
		l.ctx.Variables["local"] = cty.ObjectVal(scope)
		if v, ok := l.evalMarked(a.Expr); ok {
			vals[a.Name] = v
		} else {
			vals[a.Name] = cty.DynamicVal
		}
		done[i] = true
		for _, u := range users[a.Name] {
			// A name declared twice: the first evaluation frees its users.
			if waiting[u] > 0 {
				waiting[u]--
				if waiting[u] == 0 && !missing[u] {
					ready = append(ready, u)
				}
			}
		}
		users[a.Name] = nil
	}
	if !l.limited && l.budget.err == nil {
		for i, a := range attrs {
			if !done[i] {
				l.fail(a.SrcRange, "local %q refers to a local that is not defined or to itself", a.Name)
			}
		}
	}
	l.ctx.Variables["local"] = cty.ObjectVal(vals)
}
