package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// guard wraps an expression node so that every value it produces is
// measured and charged to the load's budget. HCL builds values without
// calling functions in for expressions, templates, tuples and operators;
// with every inner node guarded, a for expression's collection is measured
// (and its length charged) before it iterates, and what each iteration
// yields is measured too, so nested for expressions over large collections
// spend the budget instead of memory.
type guard struct {
	hclsyntax.Expression // its walkChildNodes keeps HCL's walks working
	b                    *budget
	// converts is set on a value HCL converts to a collection type (a
	// function's argument, a conditional's result): its conversion is
	// charged too.
	converts bool
}

// Value evaluates the node, refusing what exceeds the limits.
func (g *guard) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if g.b.err != nil {
		return cty.DynamicVal, g.diag(g.b.err)
	}
	v, ds := g.Expression.Value(ctx)
	if ds.HasErrors() {
		return v, ds
	}
	if err := g.b.check(v, "a value"); err != nil {
		return cty.DynamicVal, append(ds, g.diag(err)...)
	}
	if g.converts {
		if err := g.b.conversion(v, "an argument"); err != nil {
			return cty.DynamicVal, append(ds, g.diag(err)...)
		}
	}
	return v, ds
}

func (g *guard) diag(err error) hcl.Diagnostics {
	r := g.Range()
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error(), Subject: &r, Extra: err}}
}

// instrument guards the inner nodes of e, in place. It is idempotent: a
// guarded node is left as it is. Leaves (literals, variable references)
// are not guarded: they are bounded by the source and by the checks of
// the values variables hold, and HCL's walks look for them by type.
func (b *budget) instrument(e hclsyntax.Expression) {
	wrap := func(p *hclsyntax.Expression) {
		switch (*p).(type) {
		case nil, *guard, *hclsyntax.LiteralValueExpr, *hclsyntax.ScopeTraversalExpr, *hclsyntax.AnonSymbolExpr:
			return
		case *hclsyntax.ObjectConsKeyExpr:
			// A bare key is read as a name by its type: guard within.
			b.instrument(*p)
			return
		}
		b.instrument(*p)
		*p = &guard{Expression: *p, b: b}
	}
	switch n := e.(type) {
	case *hclsyntax.BinaryOpExpr:
		wrap(&n.LHS)
		wrap(&n.RHS)
	case *hclsyntax.UnaryOpExpr:
		wrap(&n.Val)
	case *hclsyntax.ConditionalExpr:
		// HCL unifies the types of both results, converting tuples of
		// different lengths to lists.
		wrap(&n.Condition)
		b.wrapConverted(&n.TrueResult)
		b.wrapConverted(&n.FalseResult)
	case *hclsyntax.FunctionCallExpr:
		f, known := b.fns[n.Name]
		for i, a := range n.Args {
			if _, g := a.(*guard); g || !known || !(converts(f, i) || (n.ExpandFinal && i == len(n.Args)-1)) {
				wrap(&n.Args[i])
				continue
			}
			b.wrapConverted(&n.Args[i])
		}
	case *hclsyntax.TupleConsExpr:
		for i := range n.Exprs {
			wrap(&n.Exprs[i])
		}
	case *hclsyntax.ObjectConsExpr:
		for i := range n.Items {
			wrap(&n.Items[i].KeyExpr)
			wrap(&n.Items[i].ValueExpr)
		}
	case *hclsyntax.ObjectConsKeyExpr:
		if _, bare := n.Wrapped.(*hclsyntax.ScopeTraversalExpr); !bare {
			wrap(&n.Wrapped)
		}
	case *hclsyntax.ForExpr:
		wrap(&n.CollExpr)
		wrap(&n.KeyExpr)
		wrap(&n.ValExpr)
		wrap(&n.CondExpr)
	case *hclsyntax.IndexExpr:
		wrap(&n.Collection)
		wrap(&n.Key)
	case *hclsyntax.SplatExpr:
		wrap(&n.Source)
		wrap(&n.Each)
	case *hclsyntax.RelativeTraversalExpr:
		wrap(&n.Source)
	case *hclsyntax.ParenthesesExpr:
		wrap(&n.Expression)
	case *hclsyntax.TemplateExpr:
		// A template concatenates its parts without a function: each is
		// measured, a variable's value too, wrapped in parentheses so that
		// HCL's walks still find the variable.
		for i, p := range n.Parts {
			if tr, ok := p.(*hclsyntax.ScopeTraversalExpr); ok {
				n.Parts[i] = &hclsyntax.ParenthesesExpr{Expression: tr, SrcRange: tr.SrcRange}
			}
			wrap(&n.Parts[i])
		}
	case *hclsyntax.TemplateWrapExpr:
		wrap(&n.Wrapped)
	case *hclsyntax.TemplateJoinExpr:
		wrap(&n.Tuple)
	}
}

// wrapConverted guards an expression whose value HCL converts to a
// collection type, charging the conversion; a variable is guarded too, in
// parentheses, which HCL's walks see through.
func (b *budget) wrapConverted(p *hclsyntax.Expression) {
	switch e := (*p).(type) {
	case *guard:
		return
	case *hclsyntax.ScopeTraversalExpr:
		*p = &hclsyntax.ParenthesesExpr{Expression: e, SrcRange: e.SrcRange}
	}
	b.instrument(*p)
	if _, lit := (*p).(*hclsyntax.LiteralValueExpr); lit {
		return
	}
	*p = &guard{Expression: *p, b: b, converts: true}
}
