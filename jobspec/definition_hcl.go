package jobspec

import (
	"errors"
	"math"

	"github.com/hashicorp/go-multierror"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rollout-go/rollout"
	"github.com/zclconf/go-cty/cty"
)

// groupDefinition reads a group block's definition (see definition_tree.go).
// The group was read before: a problem of its expressions is reported
// there, so this pass reports only the definitions' own (a field of the
// wrong type).
func (l *loader) groupDefinition(b *hclsyntax.Block, group string) *rollout.GroupDefinition {
	t := l.quietTree(b.Body)
	return l.defBuilder(b).group("group["+quoteString(group)+"]", t)
}

// jobDefinition reads the job block's definition.
func (l *loader) jobDefinition(b *hclsyntax.Block, jobType string) *rollout.JobDefinition {
	t := l.quietTree(b.Body)
	d := l.defBuilder(b).job(t)
	if d.Type == "" {
		d.Type = jobType
	}
	return d
}

func (l *loader) defBuilder(b *hclsyntax.Block) *defBuilder {
	return &defBuilder{bad: func(at, key string, value any, problem string) {
		l.fail(b.TypeRange, "%s.%s %s, not %s", at, key, problem, kindOf(value))
	}}
}

// quietTree is bodyTree with the problems of its expressions dropped: the
// first reading of the block reported them.
func (l *loader) quietTree(body *hclsyntax.Body) tree {
	// multierror.Append appends in place: keep the length, not the value.
	had, n, ctx := l.errs != nil, 0, l.ctx
	if had {
		n = len(l.errs.Errors)
	}
	t := l.bodyTree(body)
	var kept []error // a limit refusal stops the load: it is kept
	if l.errs != nil {
		for _, e := range l.errs.Errors[n:] {
			if errors.Is(e, ErrLimit) {
				kept = append(kept, e)
			}
		}
	}
	if had {
		l.errs.Errors = l.errs.Errors[:n]
	} else {
		l.errs = nil
	}
	for _, e := range kept {
		l.errs = multierror.Append(l.errs, e)
	}
	l.ctx = ctx
	return t
}

// bodyTree turns a body into a tree: its arguments' values, its blocks
// (dynamic ones expanded) as lists of objects under their type.
func (l *loader) bodyTree(body *hclsyntax.Body) tree {
	t := tree{}
	its, restore := l.items(body)
	defer restore()
	for _, it := range its {
		l.ctx = it.ctx
		if a := it.attr; a != nil {
			if v, ok := l.eval(a.Expr); ok {
				t[a.Name] = ctyJSONValue(v)
			}
			continue
		}
		bl := it.block
		sub := l.bodyTree(bl.Body)
		switch len(bl.Labels) {
		case 0:
		case 1:
			sub["name"] = bl.Labels[0]
		default:
			labels := make([]any, len(bl.Labels))
			for i, lab := range bl.Labels {
				labels[i] = lab
			}
			sub["labels"] = labels
		}
		list, _ := t[bl.Type].([]any)
		t[bl.Type] = append(list, map[string]any(sub))
	}
	return t
}

// ctyJSONValue converts a value to the JSON values of a definition:
// strings, float64 numbers, booleans, []any and map[string]any; null and
// unknown values are nil.
func ctyJSONValue(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	v, _ = v.Unmark()
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		if math.IsInf(f, 0) { // out of float64's range: kept as text
			return v.AsBigFloat().Text('g', -1)
		}
		return f
	case t == cty.Bool:
		return v.True()
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyJSONValue(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyJSONValue(e)
		}
		return out
	}
	return nil
}

// kindOf names the kind of a JSON value for a message, which never
// echoes the value itself (it may hold a file's content).
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}
