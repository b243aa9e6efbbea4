package jobspec

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// maxExponent bounds a number's binary exponent: a number's magnitude is
// below 2^4096 and, unless it is zero, above 2^-4096, so that writing it
// out in full (HCL converts a number to a string digit by digit) stays
// short.
const maxExponent = 4096

// itemCost is the work charged for each attribute evaluated and each block
// a dynamic block generates, besides what its expression costs: what the
// loader does with it costs more than an expression node.
const itemCost = 16

// budget counts what evaluating one job file costs, against its Limits.
// cty evaluates without hooks, and a goroutine cannot be stopped, so the
// cost is counted where values are produced: in a wrapper of every
// function and of every expression node (see guard), each checking the
// size of what it produced and charging it to the load's Work.
type budget struct {
	lim  Limits
	work int
	// fns are the functions of the load, whose parameter types say which
	// arguments HCL converts.
	fns map[string]function.Function
	// err is the first refusal: once set, evaluation stops and every
	// later evaluation fails at once with it.
	err error
}

// charge spends n units of work.
func (b *budget) charge(n int) error {
	if b.err != nil {
		return b.err
	}
	b.work += n
	if b.work > b.lim.Work {
		b.err = overLimit("evaluating the job file costs more than its budget of %d units (Limits.Work)", b.lim.Work)
	}
	return b.err
}

// refuse records a refusal as the one that stops evaluation.
func (b *budget) refuse(err error) error {
	if b.err == nil {
		b.err = err
	}
	return err
}

// size is what a value holds: its elements, counted through nested
// collections, and the bytes of its strings (map and object keys too).
type size struct{ elems, bytes int }

func (s size) cost() int { return 1 + s.elems + s.bytes/64 }

// measure sizes v, stopping as soon as it exceeds a limit, so that its cost
// is bounded by the limits whatever v shares.
func (b *budget) measure(v cty.Value, what string) (size, error) {
	var s size
	stack := []cty.Value{v}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		v, _ = v.Unmark()
		if v.IsNull() || !v.IsKnown() {
			continue
		}
		t := v.Type()
		switch {
		case t == cty.String:
			s.bytes += len(v.AsString())
		case t == cty.Number:
			f := v.AsBigFloat()
			if f.IsInf() {
				continue
			}
			if exp := f.MantExp(nil); f.Sign() != 0 && (exp > maxExponent || exp < -maxExponent) {
				return s, b.refuse(overLimit("%s is a number beyond 2^±%d", what, maxExponent))
			}
		case t.IsListType() || t.IsSetType() || t.IsTupleType() || t.IsMapType() || t.IsObjectType():
			n := v.LengthInt()
			s.elems += n
			if s.elems > b.lim.Elements {
				return s, b.refuse(overLimit("%s holds more than %d elements (Limits.Elements)", what, b.lim.Elements))
			}
			keyed := t.IsMapType() || t.IsObjectType()
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				if keyed {
					s.bytes += len(k.AsString())
				}
				stack = append(stack, e)
			}
		}
		if s.bytes > b.lim.StringBytes {
			return s, b.refuse(overLimit("%s holds more than %d bytes of strings (Limits.StringBytes)", what, b.lim.StringBytes))
		}
	}
	return s, nil
}

// check measures a value that was produced and charges its cost.
func (b *budget) check(v cty.Value, what string) error {
	if b.err != nil {
		return b.err
	}
	s, err := b.measure(v, what)
	if err != nil {
		return err
	}
	return b.charge(s.cost())
}

// conversion charges converting v to a collection type: cty unifies the
// element types of a tuple or an object by comparing each with every
// other, so it costs the square of the elements (bounded here by all the
// elements v holds).
func (b *budget) conversion(v cty.Value, what string) error {
	if b.err != nil {
		return b.err
	}
	if !structural(v.Type()) {
		return nil
	}
	s, err := b.measure(v, what)
	if err != nil {
		return err
	}
	return b.steps(s.elems*s.elems/2, fmt.Sprintf("converting %s, of %d elements, to a collection compares each element's type with the others'", what, s.elems))
}

// stepsPerUnit is how many steps of work that grows faster than its input
// cost a unit of Limits.Work.
const stepsPerUnit = 64

// steps charges work that grows faster than its input before it starts,
// refusing it, with why, when it would exceed the budget.
func (b *budget) steps(n int, why string) error {
	if b.err != nil {
		return b.err
	}
	if n > stepsPerUnit*b.lim.Work {
		return b.refuse(overLimit("%s, %d steps, more than %d (%d × Limits.Work)", why, n, stepsPerUnit*b.lim.Work, stepsPerUnit))
	}
	return b.charge(n / stepsPerUnit)
}

// structural reports whether t is or holds a tuple or an object type, the
// types whose conversion to a collection unifies element types.
func structural(t cty.Type) bool {
	switch {
	case t.IsTupleType() || t.IsObjectType():
		return true
	case t.IsCollectionType():
		return structural(t.ElementType())
	}
	return false
}

// converts reports whether HCL converts a function's argument i to a
// collection type before the call.
func converts(f function.Function, i int) bool {
	params := f.Params()
	var t cty.Type
	switch {
	case i < len(params):
		t = params[i].Type
	case f.VarParam() != nil:
		t = f.VarParam().Type
	default:
		return false
	}
	return t.IsCollectionType()
}
