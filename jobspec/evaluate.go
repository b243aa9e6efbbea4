package jobspec

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// maxErrors is the most errors a load reports.
const maxErrors = 100

func pos(r hcl.Range) Pos { return Pos{File: r.Filename, Line: r.Start.Line, Column: r.Start.Column} }

func (l *loader) fail(r hcl.Range, format string, args ...any) {
	if l.errs != nil && len(l.errs.Errors) > maxErrors {
		return // not even formatted
	}
	l.add(&Error{Pos: pos(r), Msg: fmt.Sprintf(format, args...)})
}

// bodySize is the number of attributes and blocks of a body, nested ones
// included, found once: what reading a block that is read again (a
// dynamic block's content, a job's reschedule block in each group) costs.
func (l *loader) bodySize(b *hclsyntax.Body) int {
	if n, ok := l.sizes[b]; ok {
		return n
	}
	n := len(b.Attributes)
	for _, bl := range b.Blocks {
		n += 1 + l.bodySize(bl.Body)
	}
	if l.sizes == nil {
		l.sizes = map[*hclsyntax.Body]int{}
	}
	l.sizes[b] = n
	return n
}

func (l *loader) add(e *Error) {
	n := 0
	if l.errs != nil {
		n = len(l.errs.Errors)
	}
	switch {
	case n == maxErrors:
		l.errs = multierror.Append(l.errs, &Error{Pos: e.Pos, Msg: fmt.Sprintf("more than %d errors; the others are not reported", maxErrors)})
	case n < maxErrors:
		l.errs = multierror.Append(l.errs, e)
	}
}

func (l *loader) diags(ds hcl.Diagnostics) bool {
	ok := true
	for _, d := range ds {
		if d.Severity != hcl.DiagError {
			continue
		}
		ok = false
		var r hcl.Range
		if d.Subject != nil {
			r = *d.Subject
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		var err error
		if fe, isCall := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d); isCall && ours(fe.FunctionCallError()) {
			err = fe.FunctionCallError()
		} else if e, isErr := d.Extra.(error); isErr && ours(e) {
			err = e
		}
		if err != nil {
			// A refusal of this package: its own message, once.
			msg = err.Error()
			if errors.Is(err, ErrLimit) {
				if l.limited {
					continue
				}
				l.limited = true
			}
		}
		l.add(&Error{Pos: pos(r), Msg: msg, Err: err})
	}
	return ok
}

// eval evaluates an expression; run-time interpolations stay as written.
// The value returned is unmarked; l.fromFile says whether it holds what a
// file read.
func (l *loader) eval(e hclsyntax.Expression) (cty.Value, bool) {
	v, ok := l.evalIn(l.ctx, e, l.src)
	l.fromFile = ok && v.ContainsMarked()
	if ok {
		v, _ = v.UnmarkDeep()
	}
	return v, ok
}

// evalMarked evaluates an expression whose value other expressions use (a
// variable, a local, a dynamic block's for_each): what a file read stays
// marked in it.
func (l *loader) evalMarked(e hclsyntax.Expression) (cty.Value, bool) {
	return l.evalIn(l.ctx, e, l.src)
}

// evalIn evaluates an expression of src in ctx, within the load's budget.
func (l *loader) evalIn(ctx *hcl.EvalContext, e hclsyntax.Expression, src []byte) (cty.Value, bool) {
	if l.limited {
		return cty.NilVal, false
	}
	if !l.spend(itemCost, e.Range()) {
		return cty.NilVal, false
	}
	l.budget.instrument(e)
	sh := l.shape(e)
	if !l.spend(sh.nodes, e.Range()) {
		return cty.NilVal, false
	}
	reads := l.files.reads
	scope := runtimeScope(ctx, sh.vars, src)
	v, ds := e.Value(scope)
	if err := l.budget.err; err != nil && !ds.HasErrors() {
		// try or can swallowed a refusal: it still stops the load.
		ds = append(ds, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: err.Error(), Subject: e.Range().Ptr(), Extra: err})
	}
	if ds.HasErrors() {
		// Nomad keeps a string made only of run-time interpolations as
		// written, even when HCL would read it as arithmetic:
		// "${attr.unique.network.ip-address}".
		if t, ok := e.(*hclsyntax.TemplateExpr); ok && runtimeOnly(sh.vars) {
			r := t.SrcRange
			if r.End.Byte-r.Start.Byte >= 2 && r.End.Byte <= len(src) && src[r.Start.Byte] == '"' {
				return cty.StringVal(string(src[r.Start.Byte+1 : r.End.Byte-1])), true
			}
		}
		if l.files.reads != reads || usesFile(sh.vars, scope) {
			withholdDetails(ds)
		}
	}
	if !l.diags(ds) {
		return cty.NilVal, false
	}
	if err := l.budget.check(v, "the value"); err != nil {
		l.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error(), Subject: e.Range().Ptr(), Extra: err}})
		return cty.NilVal, false
	}
	return v, true
}

// spend charges n units of work to the budget, reporting at r the refusal
// when it runs out.
func (l *loader) spend(n int, r hcl.Range) bool {
	if l.limited {
		return false
	}
	if err := l.budget.charge(n); err != nil {
		l.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error(), Subject: r.Ptr(), Extra: err}})
		return false
	}
	return true
}

// shape is what evaluating an expression walks: its nodes, and the
// variables it refers to.
type shape struct {
	nodes int
	vars  []hcl.Traversal
}

// shape returns e's shape, found once: a dynamic block's content is
// evaluated once per element, and each evaluation is charged for the
// whole expression, evaluated or not (try's fallback, a conditional's
// other branch).
func (l *loader) shape(e hclsyntax.Expression) *shape {
	if sh, ok := l.shapes[e]; ok {
		return sh
	}
	sh := &shape{vars: e.Variables()}
	hclsyntax.VisitAll(e, func(hclsyntax.Node) hcl.Diagnostics {
		sh.nodes++
		return nil
	})
	if l.shapes == nil {
		l.shapes = map[hclsyntax.Expression]*shape{}
	}
	l.shapes[e] = sh
	return sh
}

// usesFile reports whether variables refer to a value that holds what a
// file read.
func usesFile(vars []hcl.Traversal, ctx *hcl.EvalContext) bool {
	for _, tr := range vars {
		if v, ds := tr.TraverseAbs(ctx); !ds.HasErrors() && v.ContainsMarked() {
			return true
		}
	}
	return false
}

// withholdDetails removes the details of the errors of an expression that
// used what a file holds: HCL's and cty's details may quote values.
func withholdDetails(ds hcl.Diagnostics) {
	for _, d := range ds {
		if d.Severity != hcl.DiagError {
			continue
		}
		if e, ok := d.Extra.(error); ok && ours(e) {
			continue
		}
		if fe, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d); ok && ours(fe.FunctionCallError()) {
			continue
		}
		d.Detail = "the details are withheld, as the expression uses a value read from a file"
	}
}

// shown is how a message shows the value last evaluated: never what a
// file holds.
func (l *loader) shown(v cty.Value) string {
	if l.fromFile {
		return "a value read from a file"
	}
	return render(v)
}
