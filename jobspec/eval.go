package jobspec

import (
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the HCL functions a job file may call: the ones Nomad's
// job files offer that do not depend on the cluster, the file functions
// reading through files.
func functions(files *fileAccess) map[string]function.Function {
	fns := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc,
		"format": stdlib.FormatFunc, "formatdate": stdlib.FormatDateFunc,
		"formatlist": stdlib.FormatListFunc, "indent": stdlib.IndentFunc, "index": stdlib.IndexFunc,
		"join": stdlib.JoinFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
		"log": stdlib.LogFunc, "lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc,
		"max": stdlib.MaxFunc, "merge": stdlib.MergeFunc, "min": stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc, "range": stdlib.RangeFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc, "replace": stdlib.ReplaceFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc,
		"setunion": stdlib.SetUnionFunc, "signum": stdlib.SignumFunc, "slice": stdlib.SliceFunc,
		"sort": stdlib.SortFunc, "split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc,
		"strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "timeadd": stdlib.TimeAddFunc,
		"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"upper": stdlib.UpperFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	}
	for name, f := range moreFunctions() {
		fns[name] = f
	}
	for name, f := range fileFunctions(files) {
		fns[name] = f
	}
	return fns
}

// scopeRoots are the roots a job file's expressions evaluate itself; any
// other root (NOMAD_PORT_http, node.unique.name, attr.kernel.name, meta.x,
// env, ...) is interpolated by Nomad at run time and is kept as written.
var scopeRoots = map[string]bool{"var": true, "local": true}

// runtimeScope returns ctx extended with the run-time roots of vars (an
// expression's), each leaf standing for itself: "${node.unique.name}".
func runtimeScope(ctx *hcl.EvalContext, vars []hcl.Traversal, src []byte) *hcl.EvalContext {
	tree := map[string]any{}
	for _, tr := range vars {
		root := tr.RootName()
		if scopeRoots[root] || defined(ctx, root) {
			continue
		}
		r := tr.SourceRange()
		text := root
		if r.Start.Byte >= 0 && r.End.Byte <= len(src) && r.Start.Byte < r.End.Byte {
			text = string(src[r.Start.Byte:r.End.Byte])
		}
		var path []string
		for _, step := range tr {
			switch s := step.(type) {
			case hcl.TraverseRoot:
				path = append(path, s.Name)
			case hcl.TraverseAttr:
				path = append(path, s.Name)
			case hcl.TraverseIndex:
				if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
					path = append(path, s.Key.AsString())
				} else {
					path = append(path, "")
				}
			}
		}
		insert(tree, path, "${"+text+"}")
	}
	if len(tree) == 0 {
		return ctx
	}
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{}
	for k, v := range tree {
		child.Variables[k] = toCty(v)
	}
	return child
}

// defined reports whether ctx or a parent binds name (a dynamic block's
// iterator, for one).
func defined(ctx *hcl.EvalContext, name string) bool {
	for c := ctx; c != nil; c = c.Parent() {
		if _, ok := c.Variables[name]; ok {
			return true
		}
	}
	return false
}

func insert(tree map[string]any, path []string, leaf string) {
	for i, p := range path {
		if p == "" {
			return
		}
		if i == len(path)-1 {
			if _, ok := tree[p]; !ok {
				tree[p] = leaf
			}
			return
		}
		sub, ok := tree[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			tree[p] = sub
		}
		tree = sub
	}
}

func toCty(v any) cty.Value {
	switch v := v.(type) {
	case string:
		return cty.StringVal(v)
	case map[string]any:
		attrs := map[string]cty.Value{}
		for k, x := range v {
			attrs[k] = toCty(x)
		}
		return cty.ObjectVal(attrs)
	}
	return cty.NilVal
}

// render writes a value canonically: strings as they are at the top level,
// quoted inside collections; maps and objects with sorted keys.
func render(v cty.Value) string { return renderValue(v, true) }

func renderValue(v cty.Value, top bool) string {
	if v.IsNull() {
		return "null"
	}
	if !v.IsKnown() {
		return "(unknown)"
	}
	v, _ = v.Unmark()
	t := v.Type()
	switch {
	case t == cty.String:
		if top {
			return v.AsString()
		}
		return quoteString(v.AsString())
	case t == cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case t == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			parts = append(parts, renderValue(e, false))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case t.IsMapType() || t.IsObjectType():
		m := map[string]string{}
		var keys []string
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			keys = append(keys, k.AsString())
			m[k.AsString()] = renderValue(e, false)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " = " + m[k]
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.GoString()
}

func quoteString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// asInt converts a number value to an int, reporting whether it is one.
func asInt(v cty.Value) (int, bool) {
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return 0, false
	}
	f := v.AsBigFloat()
	if !f.IsInt() {
		return 0, false
	}
	i, acc := f.Int64()
	if acc != big.Exact || i != int64(int(i)) {
		return 0, false
	}
	return int(i), true
}
