package jobspec

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// bounded wraps every function of fns so that its cost is counted in b:
// its arguments together and its result are measured against the limits,
// a function whose result may be much larger than its arguments (range,
// setproduct, format, join, replace, ...) is refused before it builds it,
// and the error of a call given a value read from a file is withheld, as
// it may quote the value.
func bounded(b *budget, fns map[string]function.Function) map[string]function.Function {
	out := make(map[string]function.Function, len(fns))
	for name, f := range fns {
		out[name] = b.wrap(name, f)
	}
	return out
}

func (b *budget) wrap(name string, f function.Function) function.Function {
	params := f.Params()
	for i := range params {
		params[i].AllowMarked = true
	}
	var varParam *function.Parameter
	if vp := f.VarParam(); vp != nil {
		c := *vp
		c.AllowMarked = true
		varParam = &c
	}
	pre := prechecks[name]
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      params,
		VarParam:    varParam,
		Type: func(args []cty.Value) (cty.Type, error) {
			// Some functions (coalesce, concat, merge, min, max, the set
			// functions) unify their arguments' types pairwise.
			if err := b.steps(len(args)*len(args)/2, name+": unifying the types of "+strconv.Itoa(len(args))+" arguments compares each with the others"); err != nil {
				return cty.NilType, err
			}
			if name == "tolist" || name == "toset" || name == "tomap" {
				// They convert to find their type.
				if err := b.conversion(args[0], "the argument of "+name); err != nil {
					return cty.NilType, err
				}
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if err := b.charge(1); err != nil {
				return cty.NilVal, err
			}
			var total size
			marked := false
			for _, a := range args {
				if a.Type().IsCapsuleType() {
					continue // try and can's expressions
				}
				marked = marked || a.ContainsMarked()
				s, err := b.measure(a, "the arguments of "+name)
				if err != nil {
					return cty.NilVal, err
				}
				total.elems += s.elems
				total.bytes += s.bytes
			}
			if err := b.sum(total, "the arguments of "+name); err != nil {
				return cty.NilVal, err
			}
			if known(args) {
				plain := make([]cty.Value, len(args))
				for i, a := range args {
					plain[i], _ = a.UnmarkDeep()
				}
				if steps, why := superlinear(name, plain); steps > 0 {
					if err := b.steps(steps, name+": "+why); err != nil {
						return cty.NilVal, err
					}
				}
				if pre != nil {
					if err := pre(b.lim, plain); err != nil {
						return cty.NilVal, b.refuse(overLimit("%s: %v", name, err))
					}
				}
			}
			v, err := f.Call(args)
			if err != nil {
				if marked && !ours(err) {
					return cty.NilVal, withheld(name, err)
				}
				return cty.NilVal, err
			}
			if err := b.check(v, "the result of "+name); err != nil {
				return cty.NilVal, err
			}
			return v, nil
		},
	})
}

// sum refuses a total over the limits.
func (b *budget) sum(s size, what string) error {
	if s.elems > b.lim.Elements {
		return b.refuse(overLimit("%s hold more than %d elements (Limits.Elements)", what, b.lim.Elements))
	}
	if s.bytes > b.lim.StringBytes {
		return b.refuse(overLimit("%s hold more than %d bytes of strings (Limits.StringBytes)", what, b.lim.StringBytes))
	}
	return nil
}

// ours reports an error of this package, which never shows a file's
// content.
func ours(err error) bool {
	var fe *fileError
	return errors.As(err, &fe) || errors.Is(err, ErrLimit)
}

// withheld replaces the error of a call given a value read from a file:
// its message may quote the value.
func withheld(name string, err error) error {
	msg := name + " failed on a value read from a file; the message is withheld so as not to show the file's content"
	var ae function.ArgError
	if errors.As(err, &ae) {
		return function.NewArgErrorf(ae.Index, "%s", msg)
	}
	return errors.New(msg)
}

func known(args []cty.Value) bool {
	for _, a := range args {
		if !a.IsWhollyKnown() || a.IsNull() {
			return false
		}
	}
	return true
}

// prechecks bound, from its arguments, the result a function is about to
// build, for the functions whose result may be much larger than their
// arguments. Arguments are known, not null and unmarked.
var prechecks = map[string]func(lim Limits, args []cty.Value) error{
	"range": func(lim Limits, args []cty.Value) error {
		start, stop, step := 0.0, 0.0, 1.0
		nums := make([]float64, len(args))
		for i, a := range args {
			if a.Type() != cty.Number {
				return nil // range refuses it
			}
			nums[i], _ = a.AsBigFloat().Float64()
		}
		switch len(nums) {
		case 1:
			stop = nums[0]
		case 2:
			start, stop = nums[0], nums[1]
		case 3:
			start, stop, step = nums[0], nums[1], nums[2]
		}
		if step == 0 {
			return nil
		}
		if n := math.Ceil((stop - start) / step); n > float64(lim.Elements) {
			return fmt.Errorf("would make %.0f elements, more than %d (Limits.Elements)", n, lim.Elements)
		}
		return nil
	},
	"setproduct": func(lim Limits, args []cty.Value) error {
		n := 1
		for _, a := range args {
			if !a.CanIterateElements() {
				return nil
			}
			n *= a.LengthInt()
			if n == 0 {
				return nil
			}
			if n*len(args) > lim.Elements {
				return fmt.Errorf("would make more than %d elements (Limits.Elements)", lim.Elements)
			}
		}
		return nil
	},
	"format": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String {
			return nil
		}
		n := formatBound(args[0].AsString()) + stringBytes(args[1:])
		return over(n, lim)
	},
	"formatlist": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String {
			return nil
		}
		rows, scalars, lists := 1, 0, 0
		for _, a := range args[1:] {
			t := a.Type()
			if t.IsListType() || t.IsTupleType() || t.IsSetType() {
				rows = max(rows, a.LengthInt())
				lists += stringBytes([]cty.Value{a})
			} else {
				scalars += stringBytes([]cty.Value{a})
			}
		}
		return over(rows*(formatBound(args[0].AsString())+scalars)+lists, lim)
	},
	"join": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String {
			return nil
		}
		elems := 0
		for _, a := range args[1:] {
			if a.CanIterateElements() {
				elems += a.LengthInt()
			}
		}
		return over(stringBytes(args[1:])+elems*len(args[0].AsString()), lim)
	},
	"replace": func(lim Limits, args []cty.Value) error {
		s, old, repl, ok := strings3(args)
		if !ok {
			return nil
		}
		if len(old) > 1 && old[0] == '/' && old[len(old)-1] == '/' {
			return regexBound(lim, s, old[1:len(old)-1], repl)
		}
		matches := utf8.RuneCountInString(s) + 1
		if old != "" {
			matches = strings.Count(s, old)
		}
		return over(len(s)+matches*len(repl), lim)
	},
	"regex_replace": func(lim Limits, args []cty.Value) error {
		s, pattern, repl, ok := strings3(args)
		if !ok {
			return nil
		}
		return regexBound(lim, s, pattern, repl)
	},
	"indent": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.Number || args[1].Type() != cty.String {
			return nil
		}
		spaces, _ := args[0].AsBigFloat().Int64()
		s := args[1].AsString()
		if spaces > int64(lim.StringBytes) {
			return over(lim.StringBytes+1, lim)
		}
		return over(len(s)+int(spaces)*(strings.Count(s, "\n")+1), lim)
	},
	"split": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String || args[1].Type() != cty.String {
			return nil
		}
		sep, s := args[0].AsString(), args[1].AsString()
		parts := utf8.RuneCountInString(s)
		if sep != "" {
			parts = strings.Count(s, sep) + 1
		}
		return overElements(parts, lim)
	},
	"regexall": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String || args[1].Type() != cty.String {
			return nil
		}
		re, err := regexp.Compile(args[0].AsString())
		if err != nil {
			return nil // regexall reports it
		}
		n := len(re.FindAllStringIndex(args[1].AsString(), lim.Elements+1))
		return overElements(n*max(1, re.NumSubexp()), lim)
	},
	"csvdecode": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String {
			return nil
		}
		s := args[0].AsString()
		first, _, _ := strings.Cut(s, "\n")
		return overElements((strings.Count(s, "\n")+1)*(strings.Count(first, ",")+1), lim)
	},
	"jsondecode": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String {
			return nil
		}
		s := args[0].AsString()
		if off, deep := jsonShape([]byte(s), lim.Depth, lim.Elements); off >= 0 {
			if deep {
				return fmt.Errorf("the document nests deeper than %d levels (Limits.Depth)", lim.Depth)
			}
			return overElements(lim.Elements+1, lim)
		}
		return nil
	},
	"parseint": func(lim Limits, args []cty.Value) error {
		if args[0].Type() != cty.String || args[1].Type() != cty.Number {
			return nil
		}
		base, _ := args[1].AsBigFloat().Int64()
		if base < 2 || base > 62 {
			return nil // parseint reports it
		}
		if bits := float64(len(args[0].AsString())) * math.Log2(float64(base)); bits > maxExponent {
			return fmt.Errorf("the number would be beyond 2^%d", maxExponent)
		}
		return nil
	},
}

// superlinear bounds the steps of a call whose cost grows faster than its
// arguments, and says why; 0 for the others. Matching a regular expression
// (RE2) takes up to its length times the string's steps; distinct compares
// every element with those it kept.
func superlinear(name string, args []cty.Value) (int, string) {
	pattern, subject := -1, -1
	switch name {
	case "distinct":
		if len(args) == 1 && args[0].CanIterateElements() {
			n := args[0].LengthInt()
			return n * n / 2, "distinct compares each element with the others"
		}
		return 0, ""
	case "regex", "regexall":
		pattern, subject = 0, 1
	case "regex_replace":
		pattern, subject = 1, 0
	case "replace":
		if len(args) == 3 && args[1].Type() == cty.String {
			if p := args[1].AsString(); len(p) > 1 && p[0] == '/' && p[len(p)-1] == '/' {
				pattern, subject = 1, 0
			}
		}
	}
	if pattern < 0 || len(args) <= max(pattern, subject) || args[pattern].Type() != cty.String || args[subject].Type() != cty.String {
		return 0, ""
	}
	return (len(args[pattern].AsString()) + 1) * (len(args[subject].AsString()) + 1),
		"matching a regular expression takes up to its length times the string's"
}

func strings3(args []cty.Value) (a, b, c string, ok bool) {
	for _, v := range args[:3] {
		if v.Type() != cty.String {
			return "", "", "", false
		}
	}
	return args[0].AsString(), args[1].AsString(), args[2].AsString(), true
}

// regexBound bounds a regular expression replacement: each match becomes
// the replacement, whose $ references may each expand to the whole input.
func regexBound(lim Limits, s, pattern, repl string) error {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil // the function reports it
	}
	per := len(repl) + strings.Count(repl, "$")*len(s)
	most := lim.StringBytes + 1
	if per > 0 {
		most = lim.StringBytes/per + 2
	}
	n := len(re.FindAllStringIndex(s, most))
	return over(len(s)+n*per, lim)
}

// formatBound bounds what a format string writes besides its arguments:
// its own length plus every width and precision it gives.
func formatBound(f string) int {
	n := len(f)
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		for i++; i < len(f); i++ {
			c := f[i]
			if c >= '0' && c <= '9' {
				v := 0
				for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
					if v < math.MaxInt32 {
						v = v*10 + int(f[i]-'0')
					}
				}
				n += v
				i--
				continue
			}
			if !strings.ContainsRune("+- #.[]*", rune(c)) {
				break
			}
		}
	}
	return n
}

// stringBytes is the bytes of the strings of vals, numbers counted by the
// digits they print.
func stringBytes(vals []cty.Value) int {
	n := 0
	stack := append([]cty.Value(nil), vals...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch {
		case v.IsNull() || !v.IsKnown():
		case v.Type() == cty.String:
			n += len(v.AsString())
		case v.Type() == cty.Number:
			n += len(v.AsBigFloat().Text('g', -1)) + digits(v.AsBigFloat())
		case v.CanIterateElements():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				stack = append(stack, e)
			}
		}
	}
	return n
}

// digits bounds the digits of a number written in full (%f).
func digits(f *big.Float) int {
	exp := f.MantExp(nil)
	if exp < 0 {
		exp = -exp
	}
	return exp*3/10 + 2
}

func over(bytes int, lim Limits) error {
	if bytes > lim.StringBytes {
		return fmt.Errorf("would make a string of more than %d bytes (Limits.StringBytes)", lim.StringBytes)
	}
	return nil
}

func overElements(n int, lim Limits) error {
	if n > lim.Elements {
		return fmt.Errorf("would make more than %d elements (Limits.Elements)", lim.Elements)
	}
	return nil
}
